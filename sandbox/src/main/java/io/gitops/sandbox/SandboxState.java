package io.gitops.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.lambdas.cli.Invoke;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.aws.FunctionDefinitions;
import io.gitops.sandbox.aws.StageWiring;
import io.gitops.sandbox.aws.TemplateProvisioner;
import io.gitops.sandbox.host.FunctionSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a provisioned sandbox is: the emulator, each function's environment, the rules, the notification
 * queue and the digests marked broken. Saved as {@code .sandbox/state.json} between sandbox commands.
 *
 * @param pid the emulator process the sandbox started, or 0 if it was given an endpoint
 * @param functions each function as the synthesized templates define it, for the local Lambda host
 */
public record SandboxState(
    URI endpoint,
    long pid,
    String stage,
    Map<String, Map<String, String>> environments,
    List<EventRouter.Rule> rules,
    String notificationQueueUrl,
    Set<String> brokenDigests,
    List<String> provisioned,
    List<FunctionSpec> functions) {

  /** Where the lambdas module builds its deployment package; used when the assembly's asset is not on disk. */
  static Path lambdasJar() {
    String configured = System.getProperty("gitops.lambdas.jar");
    if (configured != null) return Path.of(configured);
    for (String candidate : List.of("lambdas/target/gitops-lambdas.jar", "../lambdas/target/gitops-lambdas.jar")) {
      if (Files.exists(Path.of(candidate))) return Path.of(candidate).toAbsolutePath();
    }
    return null;
  }

  /** Provisions a stage into the emulator at {@code endpoint} and reads its wiring. */
  public static SandboxState provision(CloudAssembly assembly, URI endpoint, long pid) {
    Emulator emulator = new Emulator(endpoint, List.of());
    emulator.warmUp().join();
    TemplateProvisioner p = new TemplateProvisioner(assembly, emulator);
    p.provisionAll();
    StageWiring wiring = StageWiring.read(p);
    if (wiring.alarmTopicArn() == null) throw new SandboxException("no ALARM_TOPIC_ARN in the functions' environment");
    String queue = Sandbox.subscribeQueue(emulator, wiring.alarmTopicArn(), assembly.stage() + "-sandbox-notifications");
    List<FunctionSpec> functions = FunctionDefinitions.read(p, wiring.environments(), lambdasJar());
    return new SandboxState(endpoint, pid, assembly.stage(), wiring.environments(), wiring.rules(), queue,
        new LinkedHashSet<>(), p.log(), functions);
  }

  public void save(Path file) {
    ObjectNode o = Emulator.object();
    o.put("endpoint", endpoint.toString());
    o.put("pid", pid);
    o.put("stage", stage);
    o.set("environments", CloudAssembly.JSON.valueToTree(environments));
    ArrayNode rs = o.putArray("rules");
    for (EventRouter.Rule r : rules) rs.addObject().put("name", r.name()).put("function", r.function()).set("pattern", r.pattern());
    o.put("notificationQueueUrl", notificationQueueUrl);
    o.set("brokenDigests", CloudAssembly.JSON.valueToTree(brokenDigests));
    o.set("provisioned", CloudAssembly.JSON.valueToTree(provisioned));
    ArrayNode fs = o.putArray("functions");
    functions.forEach(f -> fs.add(FunctionDefinitions.toJson(f)));
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, CloudAssembly.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    } catch (IOException e) {
      throw new SandboxException("cannot write " + file + ": " + e.getMessage());
    }
  }

  public static SandboxState load(Path file) {
    if (!Files.isRegularFile(file)) throw new SandboxException("the sandbox is not up (run 'bin/gitops sandbox up')");
    try {
      JsonNode o = CloudAssembly.JSON.readTree(file.toFile());
      Map<String, Map<String, String>> envs = new LinkedHashMap<>();
      o.path("environments").fields().forEachRemaining(e -> {
        Map<String, String> m = new LinkedHashMap<>();
        e.getValue().fields().forEachRemaining(v -> m.put(v.getKey(), v.getValue().asText()));
        envs.put(e.getKey(), m);
      });
      List<EventRouter.Rule> rules = new ArrayList<>();
      o.path("rules").forEach(r -> rules.add(new EventRouter.Rule(r.path("name").asText(), r.path("function").asText(), r.path("pattern"))));
      Set<String> broken = new LinkedHashSet<>();
      o.path("brokenDigests").forEach(b -> broken.add(b.asText()));
      List<String> provisioned = new ArrayList<>();
      o.path("provisioned").forEach(b -> provisioned.add(b.asText()));
      List<FunctionSpec> functions = new ArrayList<>();
      o.path("functions").forEach(f -> functions.add(FunctionDefinitions.fromJson(f)));
      return new SandboxState(URI.create(o.path("endpoint").asText()), o.path("pid").asLong(), o.path("stage").asText(),
          envs, rules, o.path("notificationQueueUrl").asText(), broken, provisioned, functions);
    } catch (IOException | RuntimeException e) {
      throw new SandboxException("cannot read " + file + " (run 'bin/gitops sandbox down' then 'up'): " + e.getMessage());
    }
  }
}
