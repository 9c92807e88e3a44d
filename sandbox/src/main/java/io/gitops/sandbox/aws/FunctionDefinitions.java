package io.gitops.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.aws.CloudAssembly.ResourceRef;
import io.gitops.sandbox.host.FunctionSpec;
import io.gitops.sandbox.host.HostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads each function of a provisioned stage as Lambda would run it, from the synthesized templates only:
 * the {@code AWS::Lambda::Function} (handler, runtime, memory, timeout, environment, SnapStart, reserved
 * concurrency, log group, code asset), what the EventBridge rules invoke (the alias, a version or the
 * function itself), and the {@code AWS::Lambda::EventInvokeConfig} that applies to that qualifier.
 *
 * <p>Lambda applies an event invoke config and SnapStart per qualifier: a config put on the {@code live}
 * alias does nothing for an invocation of {@code $LATEST}, and SnapStart never applies to {@code $LATEST}.
 * Both rules are kept here, so a rule that targeted the bare function would lose its retries, destination
 * and snapshot in the sandbox as it would on AWS.
 */
public final class FunctionDefinitions {
  private FunctionDefinitions() {}

  /**
   * @param environments each function's resolved environment (from {@link StageWiring}), by function name
   * @param fallbackCode the deployment package to use when the template's asset is not on disk (an assembly
   *     synthesized elsewhere, like the test fixtures), or null to fail instead
   */
  public static List<FunctionSpec> read(TemplateProvisioner p, Map<String, Map<String, String>> environments,
      Path fallbackCode) {
    CloudAssembly a = p.assembly();
    List<FunctionSpec> out = new ArrayList<>();
    for (ResourceRef f : a.resources("AWS::Lambda::Function")) {
      JsonNode props = f.properties();
      String handler = props.path("Handler").asText("");
      if (!handler.startsWith(StageWiring.HANDLER_PACKAGE)) continue;
      String name = StageWiring.functionName(handler);
      String physical = props.has("FunctionName")
          ? p.intrinsics().string(f.stack().name(), props.get("FunctionName"), f + ".FunctionName")
          : p.physical(f).ref();

      // What the rules invoke: an alias of this function, one of its versions, or the function itself.
      String qualifier = null;
      Map<String, ResourceRef> aliases = new LinkedHashMap<>();
      for (ResourceRef al : a.resources("AWS::Lambda::Alias")) {
        if (al.stack() == f.stack() && refersTo(al.properties().path("FunctionName"), f.logicalId())) {
          aliases.put(al.logicalId(), al);
        }
      }
      for (ResourceRef rule : a.resources("AWS::Events::Rule")) {
        if (rule.stack() != f.stack()) continue;
        for (JsonNode t : rule.properties().path("Targets")) {
          String id = targetId(t.path("Arn"));
          if (id == null) continue;
          if (aliases.containsKey(id)) qualifier = aliases.get(id).properties().path("Name").asText();
          else if (id.equals(f.logicalId())) qualifier = "$LATEST";
          else if (isVersionOf(f, id)) qualifier = "1";
        }
      }
      if (qualifier == null) {
        qualifier = aliases.isEmpty() ? "$LATEST" : aliases.values().iterator().next().properties().path("Name").asText();
      }
      String executedVersion = qualifier.equals("$LATEST") ? "$LATEST" : "1";

      int retries = FunctionSpec.DEFAULT_RETRIES;
      Duration maxAge = FunctionSpec.DEFAULT_MAX_EVENT_AGE;
      Optional<String> onFailure = Optional.empty();
      for (ResourceRef c : a.resources("AWS::Lambda::EventInvokeConfig")) {
        JsonNode cp = c.properties();
        if (c.stack() != f.stack() || !refersTo(cp.path("FunctionName"), f.logicalId())) continue;
        if (!qualifier.equals(configQualifier(c, aliases))) continue; // Lambda applies it to that qualifier only
        if (cp.has("MaximumRetryAttempts")) retries = cp.get("MaximumRetryAttempts").asInt();
        if (cp.has("MaximumEventAgeInSeconds")) maxAge = Duration.ofSeconds(cp.get("MaximumEventAgeInSeconds").asLong());
        JsonNode dest = cp.path("DestinationConfig").path("OnFailure").path("Destination");
        if (!dest.isMissingNode()) {
          onFailure = Optional.of(p.intrinsics().string(c.stack().name(), dest, c + ".DestinationConfig"));
        }
      }

      boolean snapStart = "PublishedVersions".equals(props.path("SnapStart").path("ApplyOn").asText())
          && !qualifier.equals("$LATEST");
      Optional<Integer> reserved = props.has("ReservedConcurrentExecutions")
          ? Optional.of(props.get("ReservedConcurrentExecutions").asInt()) : Optional.empty();
      String logGroup = "/aws/lambda/" + physical;
      JsonNode lg = props.path("LoggingConfig").path("LogGroup");
      if (!lg.isMissingNode()) logGroup = p.intrinsics().string(f.stack().name(), lg, f + ".LoggingConfig");

      Map<String, String> env = environments.get(name);
      if (env == null) throw new HostException(name + ": no environment read for " + f);
      out.add(new FunctionSpec(name, physical, handler, props.path("Runtime").asText("java21"),
          props.path("MemorySize").asInt(128), Duration.ofSeconds(props.path("Timeout").asLong(3)), env, snapStart,
          reserved, qualifier, executedVersion, retries, maxAge, onFailure, code(a, f, fallbackCode), logGroup));
    }
    return out;
  }

  /** The deployment package: the asset the template's metadata names, relative to the assembly directory. */
  static Path code(CloudAssembly a, ResourceRef f, Path fallback) {
    String asset = f.definition().path("Metadata").path("aws:asset:path").asText("");
    if (!asset.isEmpty() && a.dir() != null) {
      Path p = a.dir().resolve(asset).normalize();
      if (Files.exists(p)) return p.toAbsolutePath();
    }
    if (fallback != null && Files.exists(fallback)) return fallback.toAbsolutePath();
    throw new HostException(f + ": its code asset '" + asset + "' is not in the cloud assembly"
        + (fallback == null ? "" : " and " + fallback + " does not exist") + " (run 'bin/gitops synth')");
  }

  private static String configQualifier(ResourceRef c, Map<String, ResourceRef> aliases) {
    JsonNode q = c.properties().path("Qualifier");
    if (q.isTextual()) return q.asText();
    // CDK writes the alias's name as Fn::Select [7, Fn::Split [":", Ref alias]]: the alias it points at.
    for (Map.Entry<String, ResourceRef> al : aliases.entrySet()) {
      if (refersTo(q, al.getKey())) return al.getValue().properties().path("Name").asText();
    }
    return "$LATEST";
  }

  private static boolean isVersionOf(ResourceRef f, String id) {
    JsonNode r = f.stack().resources().path(id);
    return "AWS::Lambda::Version".equals(r.path("Type").asText())
        && refersTo(r.path("Properties").path("FunctionName"), f.logicalId());
  }

  private static String targetId(JsonNode arn) {
    if (arn.has("Ref")) return arn.get("Ref").asText();
    JsonNode g = arn.get("Fn::GetAtt");
    if (g != null) return g.isArray() ? g.get(0).asText() : g.asText().split("\\.")[0];
    return null;
  }

  private static boolean refersTo(JsonNode n, String logicalId) {
    if (n == null || n.isMissingNode()) return false;
    if (n.isObject()) {
      if (logicalId.equals(n.path("Ref").asText(null))) return true;
      JsonNode g = n.get("Fn::GetAtt");
      if (g != null && logicalId.equals(g.isArray() ? g.get(0).asText() : g.asText().split("\\.")[0])) return true;
      for (JsonNode c : n) if (refersTo(c, logicalId)) return true;
    } else if (n.isArray()) {
      for (JsonNode c : n) if (refersTo(c, logicalId)) return true;
    }
    return false;
  }

  /** A spec as JSON, for {@code .sandbox/state.json}. */
  public static ObjectNode toJson(FunctionSpec s) {
    ObjectNode o = CloudAssembly.JSON.createObjectNode();
    o.put("name", s.name()).put("physicalName", s.physicalName()).put("handler", s.handler()).put("runtime", s.runtime())
        .put("memoryMb", s.memoryMb()).put("timeoutSeconds", s.timeout().toSeconds()).put("snapStart", s.snapStart())
        .put("qualifier", s.qualifier()).put("executedVersion", s.executedVersion())
        .put("maximumRetryAttempts", s.maximumRetryAttempts()).put("maximumEventAgeSeconds", s.maximumEventAge().toSeconds())
        .put("code", s.code().toString()).put("logGroupName", s.logGroupName());
    s.reservedConcurrency().ifPresent(r -> o.put("reservedConcurrency", r));
    s.onFailureQueueArn().ifPresent(q -> o.put("onFailureQueueArn", q));
    o.set("environment", CloudAssembly.JSON.valueToTree(s.environment()));
    return o;
  }

  public static FunctionSpec fromJson(JsonNode o) {
    Map<String, String> env = new LinkedHashMap<>();
    o.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    return new FunctionSpec(o.path("name").asText(), o.path("physicalName").asText(), o.path("handler").asText(),
        o.path("runtime").asText(), o.path("memoryMb").asInt(), Duration.ofSeconds(o.path("timeoutSeconds").asLong()),
        env, o.path("snapStart").asBoolean(),
        o.has("reservedConcurrency") ? Optional.of(o.get("reservedConcurrency").asInt()) : Optional.empty(),
        o.path("qualifier").asText(), o.path("executedVersion").asText(), o.path("maximumRetryAttempts").asInt(),
        Duration.ofSeconds(o.path("maximumEventAgeSeconds").asLong()),
        o.has("onFailureQueueArn") ? Optional.of(o.get("onFailureQueueArn").asText()) : Optional.empty(),
        Path.of(o.path("code").asText()), o.path("logGroupName").asText());
  }
}
