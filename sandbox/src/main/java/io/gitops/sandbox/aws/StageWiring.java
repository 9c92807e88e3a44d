package io.gitops.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.contract.EnvVar;
import io.gitops.contract.FunctionHandler;
import io.gitops.sandbox.EventRouter.Rule;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly.ResourceRef;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How the stage wires its functions, as the sandbox needs it: each function's environment variables and
 * the EventBridge rules (pattern → function), read from the deployment-automation stack's
 * AWS::Lambda::Function and AWS::Events::Rule resources. A stage without either cannot be run locally: that
 * is one clear error, never a stand-in.
 */
public final class StageWiring {
  /** The handler class prefix of this project's functions. */
  static final String HANDLER_PACKAGE = "io.gitops.lambdas.";

  private final Map<String, Map<String, String>> environments;
  private final List<Rule> rules;
  private final String alarmTopicArn;

  StageWiring(Map<String, Map<String, String>> environments, List<Rule> rules, String alarmTopicArn) {
    this.environments = environments;
    this.rules = rules;
    this.alarmTopicArn = alarmTopicArn;
  }

  /** Each function's environment variables as the stack sets them, by function name (image-deployer, guard). */
  public Map<String, Map<String, String>> environments() {
    return environments;
  }

  public List<Rule> rules() {
    return rules;
  }

  public String alarmTopicArn() {
    return alarmTopicArn;
  }

  /**
   * Reads the wiring of a provisioned stage.
   */
  public static StageWiring read(TemplateProvisioner p) {
    CloudAssembly a = p.assembly();
    Map<String, ResourceRef> functions = new LinkedHashMap<>();
    for (ResourceRef f : a.resources("AWS::Lambda::Function")) {
      String handler = f.properties().path("Handler").asText("");
      if (handler.startsWith(HANDLER_PACKAGE)) functions.put(functionName(handler), f);
    }

    Map<String, Map<String, String>> envs = new LinkedHashMap<>();
    for (Map.Entry<String, ResourceRef> e : functions.entrySet()) {
      ResourceRef f = e.getValue();
      JsonNode vars = p.intrinsics().resolve(f.stack().name(),
          f.properties().path("Environment").path("Variables"), f + ".Environment.Variables");
      Map<String, String> env = new LinkedHashMap<>();
      if (vars != null) vars.fields().forEachRemaining(v -> env.put(v.getKey(), v.getValue().asText()));
      envs.put(e.getKey(), env);
    }
    if (envs.isEmpty()) {
      throw new SandboxException("the " + a.stage() + " templates have no AWS::Lambda::Function with a handler in "
          + HANDLER_PACKAGE + "* (stacks: " + a.stacks().stream().map(CloudAssembly.Stack::id).toList() + ")");
    }

    List<Rule> rules = new ArrayList<>();
    for (ResourceRef r : a.resources("AWS::Events::Rule")) {
      if (!r.properties().has("EventPattern")) continue;
      Optional<String> target = targetFunction(r, functions);
      if (target.isEmpty()) continue;
      JsonNode pattern = p.intrinsics().resolve(r.stack().name(), r.properties().get("EventPattern"), r + ".EventPattern");
      if (pattern.isTextual()) pattern = parse(pattern.asText(), r.toString());
      rules.add(new Rule(r.stack().name() + "/" + r.logicalId(), target.get(), pattern));
    }
    if (rules.isEmpty()) {
      throw new SandboxException("no AWS::Events::Rule of the " + a.stage() + " templates targets "
          + String.join(" or ", envs.keySet()) + ": no event could reach a function");
    }
    String topic = envs.values().stream().map(m -> m.get(EnvVar.ALARM_TOPIC_ARN)).filter(v -> v != null).findFirst()
        .orElse(null);
    return new StageWiring(envs, rules, topic);
  }

  /**
   * The contract's name for a handler ({@code io.gitops.lambdas.guard.GuardHandler::handleRequest} →
   * {@code guard}); a handler the contract does not know is named after its class.
   */
  static String functionName(String handler) {
    String cls = handler.contains("::") ? handler.substring(0, handler.indexOf("::")) : handler;
    for (FunctionHandler f : FunctionHandler.values()) {
      if (f.className().equals(cls)) return f.functionName();
    }
    String simple = cls.substring(cls.lastIndexOf('.') + 1).replaceAll("Handler$", "");
    return simple.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  /** The function a rule targets: through its targets' Arn (a function, a version or an alias). */
  private static Optional<String> targetFunction(ResourceRef rule, Map<String, ResourceRef> functions) {
    for (JsonNode t : rule.properties().path("Targets")) {
      List<String> ids = new ArrayList<>();
      collectIds(t.path("Arn"), ids);
      for (int hops = 0; hops < 3; hops++) {
        for (Map.Entry<String, ResourceRef> f : functions.entrySet()) {
          if (f.getValue().stack() == rule.stack() && ids.contains(f.getValue().logicalId())) {
            return Optional.of(f.getKey());
          }
        }
        // an alias or version: follow its FunctionName / FunctionVersion references
        List<String> next = new ArrayList<>();
        for (String id : ids) {
          JsonNode res = rule.stack().resources().path(id);
          collectIds(res.path("Properties").path("FunctionName"), next);
          collectIds(res.path("Properties").path("FunctionVersion"), next);
        }
        ids = next;
      }
    }
    return Optional.empty();
  }

  private static void collectIds(JsonNode n, List<String> out) {
    if (n.isObject()) {
      if (n.has("Ref")) out.add(n.get("Ref").asText());
      if (n.has("Fn::GetAtt")) {
        JsonNode g = n.get("Fn::GetAtt");
        out.add(g.isArray() ? g.get(0).asText() : g.asText().split("\\.")[0]);
      }
      n.forEach(c -> collectIds(c, out));
    } else if (n.isArray()) {
      n.forEach(c -> collectIds(c, out));
    }
  }

  private static JsonNode parse(String text, String where) {
    try {
      return CloudAssembly.JSON.readTree(text);
    } catch (IOException e) {
      throw new SandboxException(where + ": EventPattern is not JSON");
    }
  }
}
