package io.gitops.sandbox.sim.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Intrinsics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pipeline's own order, read from the synthesized pipeline template: its CodePipeline stages, and in each
 * the actions grouped by run order (CDK Pipelines turns waves, pre and post steps into run orders), each with
 * its resolved configuration, role and, for a CodeBuild action, the project's environment variables.
 */
public final class PipelinePlan {

  /** One action: its stage, run order, name, provider, resolved configuration and the CodeBuild project's variables. */
  public record Action(String stage, int runOrder, String name, String provider, JsonNode configuration, String roleArn,
      Map<String, String> environment, String serviceRole, List<String> commands, List<String> exported) {
    public String stackName() {
      return configuration.path("StackName").asText();
    }

    public String actionMode() {
      return configuration.path("ActionMode").asText();
    }
  }

  /** One pipeline stage: its run orders, each a wave of actions that run side by side. */
  public record Stage(String name, TreeMap<Integer, List<Action>> waves) {}

  private final List<Stage> stages;
  private final String toolchainAccount;

  private PipelinePlan(List<Stage> stages, String toolchainAccount) {
    this.stages = stages;
    this.toolchainAccount = toolchainAccount;
  }

  public List<Stage> stages() {
    return stages;
  }

  public String toolchainAccount() {
    return toolchainAccount;
  }

  /** Reads the pipeline stack of the assembly in {@code cdkOut} (the top-level stack holding an AWS::CodePipeline::Pipeline). */
  public static PipelinePlan load(Path cdkOut) {
    return load(cdkOut, Path.of("."));
  }

  /** {@code root}: the repository, whose buildspec files a project may name. */
  public static PipelinePlan load(Path cdkOut, Path root) {
    JsonNode manifest;
    try {
      manifest = CloudAssembly.JSON.readTree(cdkOut.resolve("manifest.json").toFile());
    } catch (IOException e) {
      throw new SandboxException("no cloud assembly at " + cdkOut + " (run 'bin/gitops synth')");
    }
    Iterator<Map.Entry<String, JsonNode>> it = manifest.path("artifacts").fields();
    while (it.hasNext()) {
      JsonNode a = it.next().getValue();
      if (!"aws:cloudformation:stack".equals(a.path("type").asText())) continue;
      Path file = cdkOut.resolve(a.path("properties").path("templateFile").asText());
      ObjectNode template;
      try {
        template = (ObjectNode) CloudAssembly.JSON.readTree(Files.readString(file));
      } catch (IOException e) {
        throw new SandboxException("cannot read " + file + ": " + e.getMessage());
      }
      String env = a.path("environment").asText();
      String account = env.replaceAll("^aws://([0-9]{12})/.*$", "$1");
      for (JsonNode r : template.path("Resources")) {
        if ("AWS::CodePipeline::Pipeline".equals(r.path("Type").asText())) {
          String name = a.path("properties").path("stackName").asText(a.path("displayName").asText());
          return parse(name, template, account, root);
        }
      }
    }
    throw new SandboxException("no stack with an AWS::CodePipeline::Pipeline in " + cdkOut);
  }

  /**
   * The commands of a buildspec, phase after phase (install, pre_build, build, post_build): inline JSON as CDK
   * Pipelines writes it, or a file of the repository (the YAML buildspecs under buildspecs/, one command per
   * "- " line).
   */
  static List<String> buildspec(String spec, Path root) {
    List<String> out = new ArrayList<>();
    if (spec.isBlank()) return out;
    try {
      JsonNode json = CloudAssembly.JSON.readTree(spec);
      if (json != null && json.isObject()) {
        for (String phase : List.of("install", "pre_build", "build", "post_build")) {
          json.path("phases").path(phase).path("commands").forEach(c -> out.add(c.asText()));
        }
        return out;
      }
    } catch (IOException notJson) {
      // a file name
    }
    Path file = root.resolve(spec.trim());
    try {
      boolean inCommands = false;
      for (String line : Files.readAllLines(file)) {
        String t = line.trim();
        if (t.equals("commands:")) {
          inCommands = true;
          continue;
        }
        if (inCommands && t.startsWith("- ")) {
          out.add(t.substring(2));
        } else if (!t.isEmpty() && !t.startsWith("#")) {
          inCommands = false;
        }
      }
    } catch (IOException e) {
      throw new SandboxException("the buildspec " + file + " cannot be read: " + e.getMessage());
    }
    return out;
  }

  /** The variables an inline buildspec exports ({@code env.exported-variables}), read at the end of the build. */
  static List<String> exportedVariables(String spec) {
    List<String> out = new ArrayList<>();
    try {
      JsonNode json = CloudAssembly.JSON.readTree(spec);
      if (json != null) json.path("env").path("exported-variables").forEach(v -> out.add(v.asText()));
    } catch (IOException notJson) {
      // a buildspec file: the repository's export nothing
    }
    return out;
  }

  static PipelinePlan parse(String stackName, ObjectNode template, String account) {
    return parse(stackName, template, account, Path.of("."));
  }

  static PipelinePlan parse(String stackName, ObjectNode template, String account, Path root) {
    ObjectNode resources = (ObjectNode) template.path("Resources");
    Intrinsics in = new Intrinsics(new Intrinsics.Scope() {
      @Override
      public JsonNode ref(String stack, String logicalId) {
        return TextNode.valueOf(logicalId);
      }

      @Override
      public JsonNode getAtt(String stack, String logicalId, String attribute) {
        // A named role's ARN is known before the stack exists: a step's role, which the roles it assumes trust.
        JsonNode r = resources.path(logicalId);
        if ("Arn".equals(attribute) && "AWS::IAM::Role".equals(r.path("Type").asText()) && r.path("Properties").path("RoleName").isTextual()) {
          return TextNode.valueOf("arn:aws:iam::" + account + ":role/" + r.path("Properties").path("RoleName").asText());
        }
        return TextNode.valueOf(logicalId + "." + attribute);
      }

      @Override
      public JsonNode importValue(String exportName) {
        return TextNode.valueOf(exportName);
      }

      @Override
      public JsonNode stackOutput(String stack, String output) {
        return TextNode.valueOf(stack + "." + output);
      }
    }, "us-east-1", account);
    List<Stage> stages = new ArrayList<>();
    for (JsonNode r : resources) {
      if (!"AWS::CodePipeline::Pipeline".equals(r.path("Type").asText())) continue;
      for (JsonNode s : r.path("Properties").path("Stages")) {
        String stage = s.path("Name").asText();
        TreeMap<Integer, List<Action>> waves = new TreeMap<>();
        for (JsonNode a : s.path("Actions")) {
          String name = a.path("Name").asText();
          JsonNode config = in.resolve(stackName, a.path("Configuration"), stage + "/" + name);
          String role = a.has("RoleArn") ? in.string(stackName, a.get("RoleArn"), stage + "/" + name + ".RoleArn") : "";
          Map<String, String> env = new LinkedHashMap<>();
          List<String> commands = new ArrayList<>();
          List<String> exported = new ArrayList<>();
          String serviceRole = "";
          String project = config.path("ProjectName").asText("");
          if (!project.isEmpty() && resources.has(project)) {
            JsonNode p = in.resolve(stackName, resources.get(project).path("Properties"), project);
            for (JsonNode v : p.path("Environment").path("EnvironmentVariables")) env.put(v.path("Name").asText(), v.path("Value").asText());
            serviceRole = p.path("ServiceRole").asText();
            commands = buildspec(p.path("Source").path("BuildSpec").asText(""), root);
            exported = exportedVariables(p.path("Source").path("BuildSpec").asText(""));
          }
          if (config.has("EnvironmentVariables")) {
            try {
              for (JsonNode v : CloudAssembly.JSON.readTree(config.get("EnvironmentVariables").asText())) {
                env.put(v.path("name").asText(), v.path("value").asText());
              }
            } catch (IOException e) {
              throw new SandboxException(stage + "/" + name + ": unreadable EnvironmentVariables");
            }
          }
          waves.computeIfAbsent(a.path("RunOrder").asInt(1), k -> new ArrayList<>())
              .add(new Action(stage, a.path("RunOrder").asInt(1), name, a.path("ActionTypeId").path("Provider").asText(),
                  config, role, env, serviceRole, commands, exported));
        }
        stages.add(new Stage(stage, waves));
      }
    }
    return new PipelinePlan(stages, account);
  }
}
