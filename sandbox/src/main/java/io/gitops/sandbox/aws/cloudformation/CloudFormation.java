package io.gitops.sandbox.aws.cloudformation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.CloudAssembly.Stack;
import io.gitops.sandbox.aws.Intrinsics;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * CloudFormation creating one stack in an {@link EmulatedAccount}, as on the pipeline's first run:
 * <ol>
 *   <li>before any resource (the change set): every stack the stack depends on exists, every
 *       {@code AWS::SSM::Parameter::Value} parameter names a parameter that exists, every {@code Fn::ImportValue}
 *       names an export of the account;
 *   <li>then each resource in {@link CreateOrder}, checked as the service behind it checks a create call:
 *       ECS's CreateService (the lifecycle hooks' targets and roles, each target group attached to a listener, the
 *       alternate target group in the production and test listener rules' forward actions, the load balancer
 *       role), Lambda's CreateFunction (its role), an ELB listener rule (its listener and target groups);
 *       a service's tasks then start through the {@link ServiceStarter} (the task simulator and the network
 *       model), and a service whose tasks cannot start fails its create when the circuit breaker trips.
 * </ol>
 * CloudFormation creates independent resources in parallel, so the failure it reports first is the earliest in
 * time: a refused create call fails at once, a service whose tasks fail only after minutes
 * ({@link #BREAKER_MINUTES}). Any failure rolls the whole stack back: nothing of it stays in the account.
 */
public final class CloudFormation {
  /** Minutes until ECS's circuit breaker trips on a first deployment whose tasks never start (3 failed waves). */
  public static final double BREAKER_MINUTES = 10;
  /** S3's managed prefix list id in the model (what Custom::S3PrefixList's DescribeManagedPrefixLists returns). */
  public static final String S3_PREFIX_LIST = "pl-63a5400a";

  /** Starts a created service's tasks; null when they run, else why they cannot (the breaker then trips). */
  @FunctionalInterface
  public interface ServiceStarter {
    String start(EmulatedAccount account, Resource service, Resource taskDefinition, List<Resource> visible);
  }

  public enum Status { CREATE_COMPLETE, ROLLBACK_COMPLETE, CREATE_FAILED }

  /** The outcome of one create: the failing resource (null for a change-set failure) and reason when it failed. */
  public record Outcome(String stack, Status status, String failedResource, String reason, List<String> events,
      double minutes) {
    public boolean ok() {
      return status == Status.CREATE_COMPLETE;
    }

    public String line() {
      return stack + ": " + status + (ok() ? " (" + events.size() + " resources)" :
          (failedResource == null ? "" : " at " + failedResource) + ": " + reason);
    }
  }

  private static final Map<String, String> NAME_PROPERTY = Map.ofEntries(
      Map.entry("AWS::IAM::Role", "RoleName"), Map.entry("AWS::Lambda::Function", "FunctionName"),
      Map.entry("AWS::ECS::Cluster", "ClusterName"), Map.entry("AWS::ECR::Repository", "RepositoryName"),
      Map.entry("AWS::SSM::Parameter", "Name"), Map.entry("AWS::SQS::Queue", "QueueName"),
      Map.entry("AWS::SNS::Topic", "TopicName"), Map.entry("AWS::DynamoDB::Table", "TableName"),
      Map.entry("AWS::S3::Bucket", "BucketName"), Map.entry("AWS::Logs::LogGroup", "LogGroupName"),
      Map.entry("AWS::ECS::Service", "ServiceName"), Map.entry("AWS::ElasticLoadBalancingV2::TargetGroup", "Name"),
      Map.entry("AWS::SecretsManager::Secret", "Name"), Map.entry("AWS::ECS::TaskDefinition", "Family"),
      Map.entry("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name"), Map.entry("AWS::IAM::Policy", "PolicyName"));

  private final ServiceStarter starter;
  private final boolean lenient;

  public CloudFormation(ServiceStarter starter) {
    this(starter, false);
  }

  /**
   * {@code lenient}: a resource that fails its checks is still created and the stack kept (the outcome still
   * names the first failure). For the blockers' static checks, which read a whole stage as its templates
   * describe it; the first run itself is never lenient.
   */
  public CloudFormation(ServiceStarter starter, boolean lenient) {
    this.starter = starter;
    this.lenient = lenient;
  }

  /** Creates {@code stack} in {@code account}; {@code dependencies} are the stack names the assembly says it needs. */
  public Outcome create(EmulatedAccount account, Stack stack, List<String> dependencies) {
    String name = stack.name();
    for (String d : dependencies) {
      if (!account.hasStack(d)) return failed(name, null, "the stack it depends on, " + d + ", does not exist in "
          + account.env() + "'s account");
    }
    Creation c = new Creation(account, stack);
    // The change set: parameters and imports resolve before any resource is created.
    Iterator<Map.Entry<String, JsonNode>> params = stack.section("Parameters").fields();
    while (params.hasNext()) {
      Map.Entry<String, JsonNode> p = params.next();
      String type = p.getValue().path("Type").asText();
      if (type.startsWith("AWS::SSM::Parameter::Value<")) {
        String pname = p.getValue().path("Default").asText();
        if (account.store().parameter(pname).isEmpty()) {
          return failed(name, null, "parameter " + p.getKey() + ": SSM parameter " + pname + " does not exist in "
              + account.env() + "'s account");
        }
      }
    }
    for (String export : imports(stack.template())) {
      if (account.export(export).isEmpty()) {
        return failed(name, null, "No export named " + export + " found (Fn::ImportValue; " + account.env()
            + "'s account exports " + (account.stack(export.split(":")[0]).isPresent() ? "other names" : "nothing of that stack") + ")");
      }
    }
    Map<String, Set<String>> deps = CreateOrder.dependencies(stack.resources());
    List<String> order;
    try {
      order = CreateOrder.of(stack.resources());
    } catch (SandboxException e) {
      return failed(name, null, e.getMessage());
    }
    Map<String, Double> done = new HashMap<>();
    Map<String, Double> services = new LinkedHashMap<>();
    Set<String> failedOrSkipped = new HashSet<>();
    String firstFailure = null;
    String firstReason = null;
    double firstTime = Double.MAX_VALUE;
    double end = 0;
    List<String> events = new ArrayList<>();
    for (String id : order) {
      if (deps.get(id).stream().anyMatch(failedOrSkipped::contains)) {
        failedOrSkipped.add(id);
        continue;
      }
      double start = deps.get(id).stream().mapToDouble(done::get).max().orElse(0);
      String reason;
      double failAt = start;
      Resource r;
      try {
        r = c.create(id);
        reason = validate(account, c, r);
        if (reason == null && r.type().equals("AWS::ECS::Service")) services.put(id, start);
      } catch (SandboxException e) {
        r = null;
        reason = e.getMessage();
      }
      if (reason != null) {
        if (!lenient || r == null) failedOrSkipped.add(id);
        if (failAt < firstTime) {
          firstTime = failAt;
          firstFailure = id;
          firstReason = reason;
        }
        if (!lenient || r == null) continue;
      }
      double finish = start + minutes(r.type());
      done.put(id, finish);
      end = Math.max(end, finish);
      events.add(r.type() + " " + id + " CREATE_COMPLETE");
    }
    // A service's tasks start once CreateService returned; by the time they pull, the rest of the stack (its
    // security group rules among them) exists, and the failure surfaces when the breaker trips.
    for (Map.Entry<String, Double> e : services.entrySet()) {
      Resource svc = c.created.get(e.getKey());
      Resource td = c.byRef(svc.properties().path("TaskDefinition").asText());
      String reason = td == null ? "its task definition does not exist" : starter.start(account, svc, td, c.all());
      double failAt = e.getValue() + BREAKER_MINUTES;
      if (reason != null && failAt < firstTime) {
        firstTime = failAt;
        firstFailure = e.getKey();
        firstReason = reason;
      }
    }
    if (firstFailure != null && !lenient) {
      return new Outcome(name, Status.ROLLBACK_COMPLETE, firstFailure, firstReason, events, firstTime);
    }
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    Map<String, JsonNode> exports = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> outs = stack.section("Outputs").fields();
    while (outs.hasNext()) {
      Map.Entry<String, JsonNode> o = outs.next();
      JsonNode v = c.intrinsics.resolve(name, o.getValue().get("Value"), name + ".Outputs." + o.getKey());
      outputs.put(o.getKey(), v);
      JsonNode export = o.getValue().path("Export").path("Name");
      if (!export.isMissingNode()) exports.put(c.intrinsics.string(name, export, name + ".Outputs." + o.getKey()), v);
    }
    account.commit(new EmulatedAccount.CreatedStack(name, outputs), new ArrayList<>(c.created.values()), exports);
    if (firstFailure != null) return new Outcome(name, Status.ROLLBACK_COMPLETE, firstFailure, firstReason, events, firstTime);
    return new Outcome(name, Status.CREATE_COMPLETE, null, null, events, end);
  }

  private static Outcome failed(String stack, String resource, String reason) {
    return new Outcome(stack, Status.CREATE_FAILED, resource, reason, List.of(), 0);
  }

  private static double minutes(String type) {
    return switch (type) {
      case "AWS::ECS::Service" -> 5;
      case "AWS::RDS::DBCluster", "AWS::RDS::DBInstance" -> 10;
      case "AWS::OpenSearchService::Domain" -> 15;
      case "AWS::EC2::NatGateway" -> 2;
      default -> 0.2;
    };
  }

  /** Every literal export name the template imports. */
  static Set<String> imports(JsonNode n) {
    Set<String> out = new LinkedHashSet<>();
    collectImports(n, out);
    return out;
  }

  private static void collectImports(JsonNode n, Set<String> out) {
    if (n == null) return;
    if (n.isObject() && n.size() == 1 && n.has("Fn::ImportValue") && n.get("Fn::ImportValue").isTextual()) {
      out.add(n.get("Fn::ImportValue").asText());
      return;
    }
    n.forEach(x -> collectImports(x, out));
  }

  // ---------------------------------------------------------------------------------------------
  // What the services check on create

  private static String validate(EmulatedAccount account, Creation c, Resource r) {
    if (r == null) return null;
    JsonNode p = r.properties();
    switch (r.type()) {
      case "AWS::Lambda::Function" -> {
        String role = p.path("Role").asText();
        if (!c.exists(role)) return "Lambda CreateFunction: The role defined for the function cannot be assumed by Lambda (" + role + " does not exist)";
      }
      case "AWS::ElasticLoadBalancingV2::ListenerRule" -> {
        String listener = p.path("ListenerArn").asText();
        if (!c.exists(listener)) return "ELB CreateRule: listener " + listener + " not found";
        for (String tg : forwardTargets(p.path("Actions"))) {
          if (!c.exists(tg)) return "ELB CreateRule: target group " + tg + " not found";
        }
      }
      case "AWS::ECS::Service" -> {
        for (JsonNode hook : p.path("DeploymentConfiguration").path("LifecycleHooks")) {
          String target = hook.path("HookTargetArn").asText();
          if (!c.exists(target)) {
            return "ECS CreateService: InvalidParameterException: the lifecycle hook target " + target
                + " does not exist (ECS validates hook targets when it creates the service)";
          }
          String role = hook.path("RoleArn").asText();
          if (!c.exists(role)) return "ECS CreateService: the lifecycle hook role " + role + " does not exist";
        }
        for (JsonNode lb : p.path("LoadBalancers")) {
          String tg = lb.path("TargetGroupArn").asText();
          if (!attached(c, tg)) return noLoadBalancer(c, tg);
          JsonNode adv = lb.path("AdvancedConfiguration");
          if (adv.isMissingNode()) continue;
          String alt = adv.path("AlternateTargetGroupArn").asText();
          if (!attached(c, alt)) return noLoadBalancer(c, alt) + " (the alternate target group of a traffic-shifting"
              + " deployment must be in the listener rules' forward action, weighted: primary 100, alternate 0)";
          for (String ruleField : List.of("ProductionListenerRule", "TestListenerRule")) {
            if (!adv.has(ruleField)) continue;
            Resource rule = c.byRef(adv.path(ruleField).asText());
            if (rule == null) return "ECS CreateService: the " + ruleField + " " + adv.path(ruleField).asText() + " does not exist";
            Set<String> targets = forwardTargets(rule.properties().path("Actions"));
            if (!targets.contains(tg) || !targets.contains(alt)) {
              return "ECS CreateService: InvalidParameterException: the " + ruleField + " " + rule.logicalId()
                  + " must forward to both the primary and the alternate target group (it forwards to "
                  + targets.stream().map(t -> c.logicalIdOf(t)).toList() + ")";
            }
          }
          String role = adv.path("RoleArn").asText();
          if (!c.exists(role)) return "ECS CreateService: the load balancer infrastructure role " + role + " does not exist";
        }
      }
      default -> { }
    }
    return null;
  }

  private static String noLoadBalancer(Creation c, String tg) {
    return "ECS CreateService: InvalidParameterException: The target group with targetGroupArn " + c.logicalIdOf(tg)
        + " does not have an associated load balancer";
  }

  /** Whether a listener or listener rule that exists forwards to {@code tg}. */
  private static boolean attached(Creation c, String tg) {
    for (Resource r : c.all()) {
      if (r.type().equals("AWS::ElasticLoadBalancingV2::Listener") && forwardTargets(r.properties().path("DefaultActions")).contains(tg)) return true;
      if (r.type().equals("AWS::ElasticLoadBalancingV2::ListenerRule") && forwardTargets(r.properties().path("Actions")).contains(tg)) return true;
    }
    return false;
  }

  /** The target groups a list of ELB actions forwards to (TargetGroupArn, or ForwardConfig's weighted groups). */
  public static Set<String> forwardTargets(JsonNode actions) {
    Set<String> out = new LinkedHashSet<>();
    for (JsonNode a : actions) {
      if (!"forward".equals(a.path("Type").asText())) continue;
      if (a.hasNonNull("TargetGroupArn")) out.add(a.get("TargetGroupArn").asText());
      for (JsonNode g : a.path("ForwardConfig").path("TargetGroups")) out.add(g.path("TargetGroupArn").asText());
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Physical ids, in the shapes AWS gives them

  /** One stack's creation: the resources created so far and the intrinsics over them and the account. */
  private static final class Creation implements Intrinsics.Scope {
    final EmulatedAccount account;
    final Stack stack;
    final Intrinsics intrinsics;
    final Map<String, Resource> created = new LinkedHashMap<>();

    Creation(EmulatedAccount account, Stack stack) {
      this.account = account;
      this.stack = stack;
      this.intrinsics = new Intrinsics(this, account.region(), account.id());
    }

    List<Resource> all() {
      List<Resource> out = new ArrayList<>(account.resources());
      out.addAll(created.values());
      return out;
    }

    boolean exists(String arnOrId) {
      return account.exists(arnOrId) || created.values().stream()
          .anyMatch(r -> r.ref().equals(arnOrId) || r.attributes().containsValue(arnOrId));
    }

    Resource byRef(String value) {
      return all().stream().filter(r -> r.ref().equals(value) || r.attributes().containsValue(value)).findFirst().orElse(null);
    }

    String logicalIdOf(String value) {
      Resource r = byRef(value);
      return r == null ? value : r.logicalId();
    }

    Resource create(String id) {
      CloudAssembly.ResourceRef ref = new CloudAssembly.ResourceRef(stack, id);
      String type = ref.type();
      JsonNode props = intrinsics.resolve(stack.name(), ref.properties(), stack.name() + "/" + id);
      if (props == null || props.isMissingNode()) props = CloudAssembly.JSON.createObjectNode();
      Resource r = physical(account, stack.name(), id, type, props);
      created.put(id, r);
      return r;
    }

    @Override
    public JsonNode ref(String stackName, String logicalId) {
      JsonNode param = stack.section("Parameters").get(logicalId);
      if (param != null) {
        if (param.path("Type").asText().startsWith("AWS::SSM::Parameter::Value<")) {
          String n = param.path("Default").asText();
          return TextNode.valueOf(account.store().parameter(n)
              .orElseThrow(() -> new SandboxException("SSM parameter " + n + " does not exist")));
        }
        if (param.has("Default")) return param.get("Default");
        throw new SandboxException("parameter " + logicalId + " has no value");
      }
      Resource r = created.get(logicalId);
      if (r == null) throw new SandboxException(stack.name() + ": Ref to " + logicalId + ", which is not created yet");
      return TextNode.valueOf(r.ref());
    }

    @Override
    public JsonNode getAtt(String stackName, String logicalId, String attribute) {
      Resource r = created.get(logicalId);
      if (r == null) throw new SandboxException(stack.name() + ": Fn::GetAtt on " + logicalId + ", which is not created yet");
      String v = r.attributes().get(attribute);
      if (v == null) v = attribute.endsWith("Arn") ? r.arn() : r.ref() + "." + attribute;
      return TextNode.valueOf(v);
    }

    @Override
    public JsonNode importValue(String exportName) {
      return account.export(exportName).orElseThrow(() -> new SandboxException("No export named " + exportName + " found"));
    }

    @Override
    public JsonNode stackOutput(String stackName, String outputName) {
      JsonNode v = account.stack(stackName).map(s -> s.outputs().get(outputName)).orElse(null);
      if (v == null) throw new SandboxException("Fn::GetStackOutput: stack " + stackName + " has no output " + outputName);
      return v;
    }

    @Override
    public JsonNode condition(String stackName, String name) {
      JsonNode c = stack.section("Conditions").get(name);
      if (c == null) throw new SandboxException(stackName + ": no condition " + name);
      return c;
    }
  }

  static Resource physical(EmulatedAccount account, String stack, String id, String type, JsonNode p) {
    String a = account.id();
    String region = account.region();
    String hash = Sandbox.sha256(account.id() + "/" + stack + "/" + id).substring(0, 12);
    String prop = NAME_PROPERTY.get(type);
    String generated = (stack + "-" + id).replaceAll("[^A-Za-z0-9-]", "-");
    if (generated.length() > 50) generated = generated.substring(0, 37) + "-" + hash;
    String name = prop != null && p.hasNonNull(prop) ? p.get(prop).asText() : generated;
    Map<String, String> at = new LinkedHashMap<>();
    String ref = name;
    switch (type) {
      case "AWS::IAM::Role" -> {
        at.put("Arn", "arn:aws:iam::" + a + ":role/" + name);
        at.put("RoleId", "AROA" + hash.toUpperCase(Locale.ROOT));
        if (p.hasNonNull("RoleName")) account.store().createRole(name, p.path("AssumeRolePolicyDocument").toString());
      }
      case "AWS::Lambda::Function" -> at.put("Arn", "arn:aws:lambda:" + region + ":" + a + ":function:" + name);
      case "AWS::Lambda::Alias", "AWS::Lambda::Version" -> {
        String fn = p.path("FunctionName").asText();
        String fnArn = fn.startsWith("arn:") ? fn : "arn:aws:lambda:" + region + ":" + a + ":function:" + fn;
        ref = fnArn + ":" + (type.endsWith("Alias") ? p.path("Name").asText() : "1");
        if (type.endsWith("Version")) at.put("Version", "1");
        at.put("Arn", ref);
      }
      case "AWS::EC2::VPC" -> ref = "vpc-" + hash;
      case "AWS::EC2::Subnet" -> ref = "subnet-" + hash;
      case "AWS::EC2::SecurityGroup" -> {
        ref = "sg-" + hash;
        at.put("GroupId", ref);
      }
      case "AWS::EC2::RouteTable" -> ref = "rtb-" + hash;
      case "AWS::EC2::InternetGateway" -> ref = "igw-" + hash;
      case "AWS::EC2::NatGateway" -> ref = "nat-" + hash;
      case "AWS::EC2::VPCEndpoint" -> ref = "vpce-" + hash;
      case "AWS::EC2::EIP" -> {
        ref = "198.51.100." + (Integer.parseInt(hash.substring(0, 2), 16) % 250 + 1);
        at.put("AllocationId", "eipalloc-" + hash);
      }
      case "AWS::ElasticLoadBalancingV2::LoadBalancer" -> {
        String lb = name.length() > 32 ? name.substring(0, 20) + "-" + hash.substring(0, 6) : name;
        ref = "arn:aws:elasticloadbalancing:" + region + ":" + a + ":loadbalancer/app/" + lb + "/" + hash;
        at.put("LoadBalancerFullName", "app/" + lb + "/" + hash);
        at.put("DNSName", lb + "-" + hash.substring(0, 8) + "." + region + ".elb.amazonaws.com");
        at.put("LoadBalancerName", lb);
      }
      case "AWS::ElasticLoadBalancingV2::Listener" -> {
        String lb = p.path("LoadBalancerArn").asText();
        ref = lb.replace(":loadbalancer/", ":listener/") + "/" + hash;
        at.put("ListenerArn", ref);
      }
      case "AWS::ElasticLoadBalancingV2::ListenerRule" -> {
        ref = p.path("ListenerArn").asText().replace(":listener/", ":listener-rule/") + "/" + hash;
        at.put("RuleArn", ref);
      }
      case "AWS::ElasticLoadBalancingV2::TargetGroup" -> {
        String tg = name.length() > 32 ? hash.substring(0, 12) : name;
        ref = "arn:aws:elasticloadbalancing:" + region + ":" + a + ":targetgroup/" + tg + "/" + hash;
        at.put("TargetGroupFullName", "targetgroup/" + tg + "/" + hash);
        at.put("TargetGroupName", tg);
      }
      case "AWS::ECS::Cluster" -> at.put("Arn", "arn:aws:ecs:" + region + ":" + a + ":cluster/" + name);
      case "AWS::ECS::Service" -> {
        String cluster = p.path("Cluster").asText();
        ref = "arn:aws:ecs:" + region + ":" + a + ":service/" + cluster.substring(cluster.lastIndexOf('/') + 1) + "/" + name;
        at.put("Name", name);
        at.put("ServiceArn", ref);
      }
      case "AWS::ECS::TaskDefinition" -> {
        ref = "arn:aws:ecs:" + region + ":" + a + ":task-definition/" + name + ":1";
        at.put("TaskDefinitionArn", ref);
      }
      case "AWS::SQS::Queue" -> {
        ref = "https://sqs." + region + ".amazonaws.com/" + a + "/" + name;
        at.put("Arn", "arn:aws:sqs:" + region + ":" + a + ":" + name);
        at.put("QueueName", name);
        at.put("QueueUrl", ref);
      }
      case "AWS::SNS::Topic" -> {
        ref = "arn:aws:sns:" + region + ":" + a + ":" + name;
        at.put("TopicArn", ref);
        at.put("TopicName", name);
      }
      case "AWS::DynamoDB::Table" -> at.put("Arn", "arn:aws:dynamodb:" + region + ":" + a + ":table/" + name);
      case "AWS::S3::Bucket" -> {
        name = name.toLowerCase(Locale.ROOT);
        ref = name;
        at.put("Arn", "arn:aws:s3:::" + name);
        at.put("DomainName", name + ".s3.amazonaws.com");
        at.put("RegionalDomainName", name + ".s3." + region + ".amazonaws.com");
      }
      case "AWS::KMS::Key" -> {
        ref = java.util.UUID.nameUUIDFromBytes(hash.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
        at.put("Arn", "arn:aws:kms:" + region + ":" + a + ":key/" + ref);
        at.put("KeyId", ref);
      }
      case "AWS::SecretsManager::Secret" -> ref = "arn:aws:secretsmanager:" + region + ":" + a + ":secret:" + name + "-" + hash.substring(0, 6);
      case "AWS::SecretsManager::SecretTargetAttachment" -> ref = p.path("SecretId").asText();
      case "AWS::Logs::LogGroup" -> at.put("Arn", "arn:aws:logs:" + region + ":" + a + ":log-group:" + name + ":*");
      case "AWS::ECR::Repository" -> {
        name = prop != null && p.hasNonNull(prop) ? name : name.toLowerCase(Locale.ROOT);
        ref = name;
        at.put("Arn", "arn:aws:ecr:" + region + ":" + a + ":repository/" + name);
        at.put("RepositoryUri", a + ".dkr.ecr." + region + ".amazonaws.com/" + name);
        account.store().createRepository(name, p.path("RepositoryPolicyText").toString());
      }
      case "AWS::SSM::Parameter" -> {
        at.put("Value", p.path("Value").asText());
        account.store().putParameterIfAbsent(name, p.path("Value").asText());
      }
      case "AWS::RDS::DBCluster" -> {
        ref = name.toLowerCase(Locale.ROOT);
        at.put("DBClusterResourceId", "cluster-" + hash.toUpperCase(Locale.ROOT));
        at.put("Endpoint.Address", ref + ".cluster-" + hash + "." + region + ".rds.amazonaws.com");
        at.put("Endpoint.Port", "5432");
      }
      case "Custom::S3PrefixList" -> {
        ref = CloudFormation.S3_PREFIX_LIST;
        at.put("PrefixLists.0.PrefixListId", ref);
      }
      default -> {
        if (type.startsWith("Custom::") && p.hasNonNull("Create")) {
          try {
            JsonNode call = CloudAssembly.JSON.readTree(p.get("Create").asText());
            if ("PutParameter".equals(call.path("action").asText())) {
              String n = call.path("parameters").path("Name").asText();
              account.store().putParameterIfAbsent(n, call.path("parameters").path("Value").asText());
              ref = n;
            }
          } catch (java.io.IOException ignored) {
            // not an AwsCustomResource call: a custom resource the model gives only a name
          }
        }
        String[] t = type.split("::");
        if (t.length == 3 && type.startsWith("AWS::")) {
          at.put("Arn", "arn:aws:" + t[1].toLowerCase(Locale.ROOT) + ":" + region + ":" + a + ":"
              + t[2].toLowerCase(Locale.ROOT) + "/" + name);
        }
      }
    }
    return new Resource(stack, id, type, p, ref, at);
  }
}
