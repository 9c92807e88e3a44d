package io.gitops.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.CloudAssembly.ResourceRef;
import io.gitops.sandbox.EventRouter.Rule;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How the stage wires its functions, as the sandbox needs it: each function's environment variables and
 * the EventBridge rules (pattern → function), read from the deployment-automation stack's
 * AWS::Lambda::Function and AWS::Events::Rule resources.
 *
 * <p><b>Fallbacks</b>, used only while a stage has no such resources (the automation stack is not yet in
 * the app), each recorded in {@link #fallbacks()}: the environment is derived from the compute, storage
 * and monitoring resources ({@link #deriveEnvironment}); the rules come from the pattern files the deployer
 * and guard keep under {@code lambdas/src/test/resources/patterns/} ({@link #patternFiles}).
 */
public final class StageWiring {
  /** The handler class prefix of this project's functions. */
  static final String HANDLER_PACKAGE = "io.gitops.lambdas.";

  private final Map<String, Map<String, String>> environments;
  private final List<Rule> rules;
  private final List<String> fallbacks;
  private final String alarmTopicArn;

  StageWiring(Map<String, Map<String, String>> environments, List<Rule> rules, List<String> fallbacks,
      String alarmTopicArn) {
    this.environments = environments;
    this.rules = rules;
    this.fallbacks = fallbacks;
    this.alarmTopicArn = alarmTopicArn;
  }

  /** Each function's environment variables as the stack sets them, by function name (image-deployer, guard). */
  public Map<String, Map<String, String>> environments() {
    return environments;
  }

  public List<Rule> rules() {
    return rules;
  }

  /** Human-readable notes on each fallback used; empty when everything came from the templates. */
  public List<String> fallbacks() {
    return fallbacks;
  }

  public String alarmTopicArn() {
    return alarmTopicArn;
  }

  /**
   * Reads the wiring of a provisioned stage.
   *
   * @param patternsDir where the fallback pattern files live (may not exist)
   * @param functionNames the functions that can run locally (rules for others are ignored)
   */
  public static StageWiring read(TemplateProvisioner p, Path patternsDir, Collection<String> functionNames) {
    CloudAssembly a = p.assembly();
    List<String> fallbacks = new ArrayList<>();
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
      Map<String, String> derived = deriveEnvironment(p, fallbacks);
      for (String name : functionNames) envs.put(name, derived);
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
      Map<String, String> env = envs.values().iterator().next();
      for (Rule r : patternFiles(patternsDir, functionNames)) rules.add(withStageValues(r, p.emulator(), env));
      fallbacks.add("rules: no AWS::Events::Rule targets a function in the " + a.stage() + " templates; using the"
          + " pattern files in " + patternsDir + " with this stage's repositories, cluster and services");
    }
    String topic = envs.values().stream().map(m -> m.get("ALARM_TOPIC_ARN")).filter(v -> v != null).findFirst()
        .orElse(null);
    return new StageWiring(envs, rules, fallbacks, topic);
  }

  /** {@code io.gitops.lambdas.guard.GuardHandler::handleRequest} → {@code guard}. */
  static String functionName(String handler) {
    String cls = handler.contains("::") ? handler.substring(0, handler.indexOf("::")) : handler;
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

  // ---------------------------------------------------------------------------------------------
  // Fallbacks: until the deployment-automation stack is part of the app.

  /**
   * FALLBACK: the variables the deployers read (docs/lambda-config.md), derived from the other stacks:
   * SERVICE_MAP from each ECS service's container whose image is a release parameter, the ledger table
   * (a pk/sk table, else one the sandbox creates) and the alarm topic.
   */
  static Map<String, String> deriveEnvironment(TemplateProvisioner p, List<String> fallbacks) {
    CloudAssembly a = p.assembly();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ENVIRONMENT_NAME", a.stage());

    String table = a.resources("AWS::DynamoDB::Table").stream()
        .filter(StageWiring::isLedgerShaped)
        .map(t -> p.physical(t).ref())
        .findFirst()
        .orElseGet(() -> {
          String name = a.stage() + "-sandbox-ledger";
          p.createLedgerTable(name);
          return name;
        });
    env.put("LEDGER_TABLE", table);

    List<ResourceRef> topics = new ArrayList<>(a.resources("AWS::SNS::Topic"));
    topics.sort(Comparator.comparing((ResourceRef t) -> !t.constructId().toLowerCase(Locale.ROOT).contains("alarm")));
    String topic = topics.isEmpty()
        ? p.createTopic(a.stage() + "-sandbox-alarms")
        : p.physical(topics.get(0)).ref();
    env.put("ALARM_TOPIC_ARN", topic);

    ObjectNode map = CloudAssembly.JSON.createObjectNode();
    for (ResourceRef svc : a.resources("AWS::ECS::Service")) {
      JsonNode tdRef = svc.properties().path("TaskDefinition").path("Ref");
      if (tdRef.isMissingNode()) continue;
      ResourceRef td = new ResourceRef(svc.stack(), tdRef.asText());
      for (JsonNode c : td.properties().path("ContainerDefinitions")) {
        JsonNode imageRef = c.path("Image").path("Ref");
        JsonNode param = svc.stack().section("Parameters").path(imageRef.asText());
        if (imageRef.isMissingNode() || !param.path("Type").asText().startsWith("AWS::SSM::Parameter::Value")) continue;
        String container = c.path("Name").asText();
        Optional<ResourceRef> repo = a.resources("AWS::ECR::Repository").stream()
            .filter(r -> TemplateProvisioner.repositoryName(r).equals(container)
                || r.properties().path("RepositoryName").asText().equals(container))
            .findFirst();
        if (repo.isEmpty()) continue;
        TemplateProvisioner.Physical rp = p.physical(repo.get());
        ObjectNode entry = map.putObject(rp.ref());
        entry.put("cluster", p.intrinsics().string(svc.stack().name(), svc.properties().get("Cluster"), svc + ".Cluster"));
        entry.put("service", p.physical(svc).attributes().get("Name").asText());
        entry.put("container", container);
        entry.put("releaseParameter", param.path("Default").asText());
        entry.put("repositoryUri", rp.attributes().get("RepositoryUri").asText());
      }
    }
    ObjectNode targetGroups = CloudAssembly.JSON.createObjectNode();
    for (ResourceRef svc : a.resources("AWS::ECS::Service")) {
      JsonNode lbs = p.intrinsics().resolve(svc.stack().name(), svc.properties().path("LoadBalancers"), svc + ".LoadBalancers");
      if (lbs != null && lbs.isArray() && !lbs.isEmpty()) {
        targetGroups.put(p.physical(svc).attributes().get("Name").asText(), lbs.get(0).path("TargetGroupArn").asText());
      }
    }
    if (!targetGroups.isEmpty()) env.put("TARGET_GROUP_ARNS", targetGroups.toString());
    if (map.isEmpty()) {
      throw new SandboxException("the " + a.stage() + " templates have no ECS service whose container image is a"
          + " release parameter (stacks: " + a.stacks().stream().map(CloudAssembly.Stack::id).toList() + ")");
    }
    env.put("SERVICE_MAP", map.toString());
    fallbacks.add("environment: no function of " + HANDLER_PACKAGE + "* in the " + a.stage() + " templates; SERVICE_MAP,"
        + " LEDGER_TABLE (" + table + "), ALARM_TOPIC_ARN and TARGET_GROUP_ARNS derived from the other stacks");
    return env;
  }

  static boolean isLedgerShaped(ResourceRef t) {
    List<String> keys = new ArrayList<>();
    t.properties().path("KeySchema").forEach(k -> keys.add(k.path("AttributeName").asText() + ":" + k.path("KeyType").asText()));
    return keys.equals(List.of("pk:HASH", "sk:RANGE"));
  }

  /**
   * FALLBACK: the rules' patterns from {@code <function>-*.json} files (the deployer's and guard's routing
   * fixtures). The function is the longest known function name the file name starts with.
   */
  static List<Rule> patternFiles(Path dir, Collection<String> functionNames) {
    List<Rule> out = new ArrayList<>();
    if (dir == null || !Files.isDirectory(dir)) return out;
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
      ds.forEach(files::add);
    } catch (IOException e) {
      throw new SandboxException("cannot list " + dir + ": " + e.getMessage());
    }
    files.sort(Comparator.naturalOrder());
    for (Path f : files) {
      String file = f.getFileName().toString();
      functionNames.stream()
          .filter(file::startsWith)
          .max(Comparator.comparingInt(String::length))
          .ifPresent(fn -> {
            try {
              out.add(new Rule(file.replace(".json", ""), fn, CloudAssembly.JSON.readTree(f.toFile())));
            } catch (IOException e) {
              throw new SandboxException("cannot read pattern " + f + ": " + e.getMessage());
            }
          });
    }
    return out;
  }

  /**
   * FALLBACK: a pattern file with this stage's values, as docs/lambda-config.md describes the stack's rules:
   * {@code detail.repository-name} lists the mapped repositories, {@code detail.clusterArn} the cluster,
   * {@code detail.group} the services ({@code service:NAME}) and {@code resources} the service ARNs.
   */
  static Rule withStageValues(Rule rule, Emulator emulator, Map<String, String> env) {
    io.gitops.lambdas.core.LambdaConfig config = io.gitops.lambdas.core.LambdaConfig.from(
        Sandbox.functionEnv(env, emulator.endpoint()));
    List<String> repositories = new ArrayList<>(config.services().keySet());
    List<String> clusters = new ArrayList<>();
    List<String> groups = new ArrayList<>();
    List<String> serviceArns = new ArrayList<>();
    for (io.gitops.lambdas.core.ServiceTarget t : config.services().values()) {
      emulator.clients().ecs().describeServices(b -> b.cluster(t.cluster()).services(t.service())).services()
          .forEach(s -> {
            if (!clusters.contains(s.clusterArn())) clusters.add(s.clusterArn());
            groups.add("service:" + s.serviceName());
            serviceArns.add(s.serviceArn());
          });
    }
    ObjectNode pattern = rule.pattern().deepCopy();
    JsonNode detail = pattern.path("detail");
    if (detail instanceof ObjectNode d) {
      replaceStrings(d, "repository-name", repositories);
      replaceStrings(d, "clusterArn", clusters);
      replaceStrings(d, "group", groups);
    }
    replaceStrings(pattern, "resources", serviceArns);
    return new Rule(rule.name(), rule.function(), pattern);
  }

  private static void replaceStrings(ObjectNode o, String field, List<String> values) {
    JsonNode v = o.get(field);
    if (v == null || !v.isArray()) return;
    for (JsonNode e : v) if (!e.isTextual()) return; // a content filter (prefix, ...): keep it as written
    com.fasterxml.jackson.databind.node.ArrayNode out = o.putArray(field);
    values.forEach(out::add);
  }

  private static JsonNode parse(String text, String where) {
    try {
      return CloudAssembly.JSON.readTree(text);
    } catch (IOException e) {
      throw new SandboxException(where + ": EventPattern is not JSON");
    }
  }
}
