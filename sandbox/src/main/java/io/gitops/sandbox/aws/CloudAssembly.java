package io.gitops.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One stage's synthesized stacks, read from a cloud assembly ({@code cdk.out}): the nested assembly
 * {@code assembly-<pipeline>-<stage>/manifest.json} lists each stack's name, construct path and template.
 */
public final class CloudAssembly {
  public static final ObjectMapper JSON = new ObjectMapper();

  /** One stack: {@code name} is the CloudFormation stack name, {@code id} the construct id (Compute, ...). */
  public record Stack(String name, String id, ObjectNode template) {
    public ObjectNode resources() {
      JsonNode r = template.get("Resources");
      return r instanceof ObjectNode o ? o : JSON.createObjectNode();
    }

    public ObjectNode section(String name) {
      JsonNode r = template.get(name);
      return r instanceof ObjectNode o ? o : JSON.createObjectNode();
    }
  }

  private final String stage;
  private final Map<String, Stack> stacks;
  private final Path dir;

  public CloudAssembly(String stage, Map<String, Stack> stacks) {
    this(stage, stacks, null);
  }

  public CloudAssembly(String stage, Map<String, Stack> stacks, Path dir) {
    this.stage = stage;
    this.stacks = stacks;
    this.dir = dir;
  }

  /** The assembly directory (asset paths in the templates' metadata are relative to it); null if built in memory. */
  public Path dir() {
    return dir;
  }

  /** Reads the stage's nested assembly under {@code cdkOut} (e.g. {@code cdk.out}, stage {@code dev}). */
  public static CloudAssembly load(Path cdkOut, String stage) {
    Path dir;
    try (Stream<Path> s = Files.list(cdkOut)) {
      List<Path> found = s.filter(p -> Files.isDirectory(p)
              && p.getFileName().toString().startsWith("assembly-")
              && p.getFileName().toString().endsWith("-" + stage))
          .toList();
      if (found.size() != 1) {
        throw new SandboxException("expected one assembly-*-" + stage + " directory in " + cdkOut + ", found "
            + found.size() + " (run 'bin/gitops synth')");
      }
      dir = found.get(0);
    } catch (IOException e) {
      throw new SandboxException("no cloud assembly at " + cdkOut + " (run 'bin/gitops synth'): " + e.getMessage());
    }
    return loadDirectory(dir, stage);
  }

  /** Reads one assembly directory holding {@code manifest.json} and the templates. */
  public static CloudAssembly loadDirectory(Path dir, String stage) {
    Map<String, Stack> stacks = new LinkedHashMap<>();
    try {
      JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile());
      Iterator<Map.Entry<String, JsonNode>> it = manifest.path("artifacts").fields();
      while (it.hasNext()) {
        JsonNode a = it.next().getValue();
        if (!"aws:cloudformation:stack".equals(a.path("type").asText())) continue;
        JsonNode props = a.path("properties");
        String display = a.path("displayName").asText();
        String id = display.substring(display.lastIndexOf('/') + 1);
        String name = props.path("stackName").asText(id);
        ObjectNode template = (ObjectNode) JSON.readTree(dir.resolve(props.path("templateFile").asText()).toFile());
        stacks.put(name, new Stack(name, id, template));
      }
    } catch (IOException | RuntimeException e) {
      throw new SandboxException("cannot read the cloud assembly in " + dir + ": " + e.getMessage());
    }
    if (stacks.isEmpty()) throw new SandboxException("no stacks in the cloud assembly " + dir);
    return new CloudAssembly(stage, stacks, dir);
  }

  public String stage() {
    return stage;
  }

  public List<Stack> stacks() {
    return new ArrayList<>(stacks.values());
  }

  public Stack stack(String name) {
    Stack s = stacks.get(name);
    if (s == null) throw new SandboxException("no stack named " + name + " in the " + stage + " assembly");
    return s;
  }

  /** Every resource of a type, across the stage's stacks, in template order. */
  public List<ResourceRef> resources(String type) {
    List<ResourceRef> out = new ArrayList<>();
    for (Stack s : stacks.values()) {
      s.resources().fields().forEachRemaining(e -> {
        if (type.equals(e.getValue().path("Type").asText())) out.add(new ResourceRef(s, e.getKey()));
      });
    }
    return out;
  }

  /** A resource by stack and logical id. */
  public record ResourceRef(Stack stack, String logicalId) {
    public JsonNode definition() {
      return stack.resources().path(logicalId);
    }

    public String type() {
      return definition().path("Type").asText();
    }

    public JsonNode properties() {
      return definition().path("Properties");
    }

    /** The construct id from the CDK metadata path ({@code .../bffRepository/Resource} → bffRepository). */
    public String constructId() {
      String path = definition().path("Metadata").path("aws:cdk:path").asText("");
      String[] parts = path.split("/");
      for (int i = parts.length - 1; i >= 0; i--) {
        if (!parts[i].equals("Resource") && !parts[i].equals("Default") && !parts[i].isEmpty()) return parts[i];
      }
      // no metadata (an app synthesized without path metadata): the logical id without CDK's hash suffix
      return logicalId.replaceAll("[0-9A-F]{8}$", "");
    }

    @Override
    public String toString() {
      return stack.name() + "/" + logicalId;
    }
  }
}
