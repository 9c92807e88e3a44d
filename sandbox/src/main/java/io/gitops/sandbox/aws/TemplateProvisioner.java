package io.gitops.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly.ResourceRef;
import io.gitops.sandbox.aws.CloudAssembly.Stack;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.CreateTargetGroupRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;

/**
 * Creates a stage's deployable state in the emulator from its synthesized templates' resource properties
 * (moto's CloudFormation cannot deploy CDK's ECS stacks faithfully; see toolchain.md): ECR repositories,
 * ECS clusters, task definitions and services, target groups, the VPCs, subnets and security groups these
 * name (moto checks them), DynamoDB tables,
 * SNS topics, SQS queues and the release parameters (AWS::SSM::Parameter, or the create-only custom resource whose
 * Create call is an SSM PutParameter).
 *
 * <p>Resources are created on first reference, so dependencies need no ordering. Resources the sandbox does
 * not emulate (roles, log groups, security groups, subnets, functions) get <em>synthetic</em> names and ARNs
 * so that the definitions that mention them stay faithful.
 */
public final class TemplateProvisioner implements Intrinsics.Scope {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** The types created in the emulator, in the order a full provisioning walks them. */
  static final List<String> PROVISIONED_TYPES = List.of(
      "AWS::SSM::Parameter", "AWS::ECR::Repository", "AWS::EC2::VPC", "AWS::EC2::Subnet",
      "AWS::EC2::SecurityGroup", "AWS::ECS::Cluster",
      "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ECS::TaskDefinition", "AWS::ECS::Service",
      "AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::SecretsManager::Secret");

  /** CloudFormation members whose values are free-form maps: their keys are data, not member names. */
  private static final Set<String> MAP_MEMBERS = Set.of("Options", "DockerLabels", "DriverOpts", "Labels");
  private static final Map<String, String> RENAMED = Map.of(
      "EFSVolumeConfiguration", "efsVolumeConfiguration",
      "FSxWindowsFileServerVolumeConfiguration", "fsxWindowsFileServerVolumeConfiguration");

  /** What one created (or synthetic) resource answers to Ref and Fn::GetAtt. */
  record Physical(String ref, Map<String, JsonNode> attributes, boolean synthetic) {}

  private final CloudAssembly assembly;
  private final Emulator emulator;
  private final Intrinsics intrinsics;
  private final Map<String, Physical> created = new LinkedHashMap<>();
  private final Set<String> inProgress = new HashSet<>();
  private final List<String> log = new ArrayList<>();

  public TemplateProvisioner(CloudAssembly assembly, Emulator emulator) {
    this.assembly = assembly;
    this.emulator = emulator;
    this.intrinsics = new Intrinsics(this, Emulator.REGION, Emulator.ACCOUNT);
  }

  public Intrinsics intrinsics() {
    return intrinsics;
  }

  public CloudAssembly assembly() {
    return assembly;
  }

  public Emulator emulator() {
    return emulator;
  }

  /** One line per created resource ({@code AWS::ECS::Service dev-Compute/bffService → bff}). */
  public List<String> log() {
    return List.copyOf(log);
  }

  /** Creates every resource of the emulated types in the stage. */
  public void provisionAll() {
    // Release parameters first: the task definitions' image parameters read them.
    for (ResourceRef r : releaseParameterResources()) physical(r);
    for (String type : PROVISIONED_TYPES) {
      if (type.startsWith("AWS::EC2::")) continue; // only the network resources something names
      for (ResourceRef r : assembly.resources(type)) physical(r);
    }
  }

  /** AWS::SSM::Parameter resources and the custom resources that put a parameter on create. */
  List<ResourceRef> releaseParameterResources() {
    // The custom resources (the release parameters) first: a plain parameter may name resources whose provisioning
    // reads a release parameter (the operator wiring names the ledger, whose stack comes after the compute stack).
    List<ResourceRef> out = new ArrayList<>();
    for (Stack s : assembly.stacks()) {
      s.resources().fields().forEachRemaining(e -> {
        ResourceRef r = new ResourceRef(s, e.getKey());
        if (r.type().startsWith("Custom::") && r.properties().has("Create")) {
          JsonNode create = parseCall(r);
          if (create != null && "SSM".equalsIgnoreCase(create.path("service").asText())
              && "PutParameter".equals(create.path("action").asText())) {
            out.add(r);
          }
        }
      });
    }
    out.addAll(assembly.resources("AWS::SSM::Parameter"));
    return out;
  }

  private JsonNode parseCall(ResourceRef r) {
    String text = intrinsics.string(r.stack().name(), r.properties().get("Create"), r + ".Create");
    try {
      return CloudAssembly.JSON.readTree(text);
    } catch (Exception e) {
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Intrinsics.Scope

  @Override
  public JsonNode ref(String stack, String logicalId) {
    Stack s = assembly.stack(stack);
    JsonNode param = s.section("Parameters").get(logicalId);
    if (param != null) return parameter(s, logicalId, param);
    return TextNode.valueOf(physical(resource(s, logicalId)).ref());
  }

  @Override
  public JsonNode getAtt(String stack, String logicalId, String attribute) {
    ResourceRef r = resource(assembly.stack(stack), logicalId);
    Physical p = physical(r);
    JsonNode v = p.attributes().get(attribute);
    if (v != null) return v;
    if (p.synthetic()) return TextNode.valueOf(attribute.endsWith("Arn") ? syntheticArn(r, p.ref()) : p.ref() + "-" + attribute);
    throw new SandboxException(r + ": the sandbox does not know the attribute " + attribute + " of " + r.type());
  }

  @Override
  public JsonNode importValue(String exportName) {
    for (Stack s : assembly.stacks()) {
      Iterator<Map.Entry<String, JsonNode>> it = s.section("Outputs").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> o = it.next();
        JsonNode name = o.getValue().path("Export").path("Name");
        if (!name.isMissingNode()
            && exportName.equals(intrinsics.string(s.name(), name, s.name() + ".Outputs." + o.getKey()))) {
          return intrinsics.resolve(s.name(), o.getValue().get("Value"), s.name() + ".Outputs." + o.getKey());
        }
      }
    }
    throw new SandboxException("Fn::ImportValue: no stack of the " + assembly.stage() + " stage exports " + exportName);
  }

  @Override
  public JsonNode stackOutput(String stackName, String outputName) {
    Stack s = assembly.stack(stackName);
    JsonNode o = s.section("Outputs").get(outputName);
    if (o == null) throw new SandboxException("Fn::GetStackOutput: stack " + stackName + " has no output " + outputName);
    return intrinsics.resolve(s.name(), o.get("Value"), s.name() + ".Outputs." + outputName);
  }

  @Override
  public JsonNode condition(String stack, String name) {
    JsonNode c = assembly.stack(stack).section("Conditions").get(name);
    if (c == null) throw new SandboxException(stack + ": Fn::If names the condition " + name + ", which the template does not define");
    return c;
  }

  private JsonNode parameter(Stack s, String name, JsonNode param) {
    String type = param.path("Type").asText();
    if (type.startsWith("AWS::SSM::Parameter::Value<")) {
      String parameterName = param.path("Default").asText();
      return emulator.clients().ssm().getParameter(b -> b.name(parameterName)).parameter().value().transform(TextNode::valueOf);
    }
    if (param.has("Default")) return param.get("Default");
    throw new SandboxException(s.name() + ": parameter " + name + " has no default and the sandbox passes no value");
  }

  private ResourceRef resource(Stack s, String logicalId) {
    if (!s.resources().has(logicalId)) {
      throw new SandboxException(s.name() + ": Ref or Fn::GetAtt to an unknown resource " + logicalId);
    }
    return new ResourceRef(s, logicalId);
  }

  // ---------------------------------------------------------------------------------------------
  // Creation

  Physical physical(ResourceRef r) {
    String key = r.toString();
    Physical p = created.get(key);
    if (p != null) return p;
    if (!inProgress.add(key)) throw new SandboxException(r + ": circular reference while provisioning");
    long t0 = System.nanoTime();
    try {
      p = create(r);
    } finally {
      inProgress.remove(key);
    }
    created.put(key, p);
    if (!p.synthetic()) {
      log.add(r.type() + " " + r + " → " + p.ref() + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
    }
    return p;
  }

  private Physical create(ResourceRef r) {
    String stack = r.stack().name();
    String where = r.toString();
    JsonNode resolved = intrinsics.resolve(stack, r.properties(), where);
    JsonNode props = resolved == null || resolved.isMissingNode() ? F.objectNode() : resolved;
    String type = r.type();
    switch (type) {
      case "AWS::SSM::Parameter" -> {
        String name = props.path("Name").asText(physicalName(r));
        String value = props.path("Value").asText();
        emulator.clients().ssm().putParameter(b -> b.name(name).value(value).type("String").overwrite(true));
        return new Physical(name, Map.of("Value", TextNode.valueOf(value)), false);
      }
      case "AWS::ECR::Repository" -> {
        String name = props.has("RepositoryName") ? props.get("RepositoryName").asText() : repositoryName(r);
        ObjectNode body = Emulator.object().put("repositoryName", name);
        if (props.has("ImageTagMutability")) body.put("imageTagMutability", props.get("ImageTagMutability").asText());
        if (props.has("ImageScanningConfiguration")) {
          body.set("imageScanningConfiguration", camel(props.get("ImageScanningConfiguration")));
        }
        if (props.has("Tags")) body.set("tags", props.get("Tags"));
        JsonNode repo = emulator.ecr("CreateRepository", body).path("repository");
        return new Physical(name, Map.of(
            "Arn", repo.path("repositoryArn"),
            "RepositoryUri", repo.path("repositoryUri")), false);
      }
      case "AWS::EC2::VPC" -> {
        String xml = emulator.ec2("CreateVpc", Map.of("CidrBlock", props.path("CidrBlock").asText("10.0.0.0/16")));
        String id = Emulator.xmlValue(xml, "vpcId");
        return new Physical(id, Map.of("VpcId", TextNode.valueOf(id),
            "CidrBlock", props.path("CidrBlock")), false);
      }
      case "AWS::EC2::Subnet" -> {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("VpcId", props.path("VpcId").asText());
        params.put("CidrBlock", props.path("CidrBlock").asText());
        if (props.has("AvailabilityZone")) params.put("AvailabilityZone", props.get("AvailabilityZone").asText());
        String id = Emulator.xmlValue(emulator.ec2("CreateSubnet", params), "subnetId");
        return new Physical(id, Map.of("SubnetId", TextNode.valueOf(id),
            "AvailabilityZone", props.path("AvailabilityZone")), false);
      }
      case "AWS::EC2::SecurityGroup" -> {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("GroupName", props.path("GroupName").asText(shortName(r, 255)));
        params.put("GroupDescription", props.path("GroupDescription").asText("sandbox"));
        if (props.has("VpcId")) params.put("VpcId", props.get("VpcId").asText());
        String id = Emulator.xmlValue(emulator.ec2("CreateSecurityGroup", params), "groupId");
        return new Physical(id, Map.of("GroupId", TextNode.valueOf(id)), false);
      }
      case "AWS::ECS::Cluster" -> {
        String name = props.path("ClusterName").asText(physicalName(r));
        ObjectNode body = Emulator.object().put("clusterName", name);
        if (props.has("ClusterSettings")) body.set("settings", camel(props.get("ClusterSettings")));
        if (props.has("Tags")) body.set("tags", camel(props.get("Tags")));
        JsonNode c = emulator.ecs("CreateCluster", body).path("cluster");
        return new Physical(name, Map.of("Arn", c.path("clusterArn")), false);
      }
      case "AWS::ECS::TaskDefinition" -> {
        ObjectNode body = (ObjectNode) camel(props);
        if (!body.has("family")) body.put("family", physicalName(r));
        body.remove("taskDefinitionStatus");
        JsonNode td = emulator.ecs("RegisterTaskDefinition", body).path("taskDefinition");
        String arn = td.path("taskDefinitionArn").asText();
        return new Physical(arn, Map.of("TaskDefinitionArn", TextNode.valueOf(arn)), false);
      }
      case "AWS::ECS::Service" -> {
        ObjectNode body = (ObjectNode) camel(props);
        String name = props.path("ServiceName").asText(serviceName(r));
        body.put("serviceName", name);
        // Cloud Map is not emulated, and forceNewDeployment exists only in CloudFormation.
        body.remove("serviceRegistries");
        body.remove("forceNewDeployment");
        JsonNode svc = emulator.ecs("CreateService", body).path("service");
        // The scheduler's part: the desired tasks run (moto counts them only after an UpdateService), and
        // deploymentConfiguration round-trips only after an UpdateService.
        ObjectNode update = Emulator.object()
            .put("cluster", svc.path("clusterArn").asText())
            .put("service", name)
            .put("desiredCount", svc.path("desiredCount").asInt(1));
        if (body.has("deploymentConfiguration")) update.set("deploymentConfiguration", body.get("deploymentConfiguration"));
        emulator.ecs("UpdateService", update);
        String arn = svc.path("serviceArn").asText();
        return new Physical(arn, Map.of("Name", TextNode.valueOf(name), "ServiceArn", TextNode.valueOf(arn)), false);
      }
      case "AWS::ElasticLoadBalancingV2::TargetGroup" -> {
        String name = props.path("Name").asText(shortName(r, 32));
        CreateTargetGroupRequest.Builder b = CreateTargetGroupRequest.builder().name(name);
        if (props.has("Protocol")) b.protocol(props.get("Protocol").asText());
        if (props.has("ProtocolVersion")) b.protocolVersion(props.get("ProtocolVersion").asText());
        if (props.has("Port")) b.port(props.get("Port").asInt());
        if (props.has("VpcId")) b.vpcId(props.get("VpcId").asText());
        if (props.has("TargetType")) b.targetType(props.get("TargetType").asText());
        if (props.has("HealthCheckPath")) b.healthCheckPath(props.get("HealthCheckPath").asText());
        if (props.has("HealthCheckProtocol")) b.healthCheckProtocol(props.get("HealthCheckProtocol").asText());
        if (props.has("HealthCheckIntervalSeconds")) b.healthCheckIntervalSeconds(props.get("HealthCheckIntervalSeconds").asInt());
        if (props.has("HealthCheckTimeoutSeconds")) b.healthCheckTimeoutSeconds(props.get("HealthCheckTimeoutSeconds").asInt());
        if (props.has("HealthyThresholdCount")) b.healthyThresholdCount(props.get("HealthyThresholdCount").asInt());
        if (props.has("UnhealthyThresholdCount")) b.unhealthyThresholdCount(props.get("UnhealthyThresholdCount").asInt());
        if (props.path("Matcher").has("HttpCode")) b.matcher(m -> m.httpCode(props.get("Matcher").get("HttpCode").asText()));
        TargetGroup tg = emulator.elb().createTargetGroup(b.build()).targetGroups().get(0);
        String arn = tg.targetGroupArn();
        return new Physical(arn, Map.of(
            "TargetGroupArn", TextNode.valueOf(arn),
            "TargetGroupName", TextNode.valueOf(name),
            "TargetGroupFullName", TextNode.valueOf(arn.substring(arn.indexOf("targetgroup/"))),
            "LoadBalancerArns", F.arrayNode()), false);
      }
      case "AWS::DynamoDB::Table" -> {
        String name = props.path("TableName").asText(physicalName(r));
        ObjectNode body = Emulator.object().put("TableName", name);
        for (String k : List.of("KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
            "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification", "Tags")) {
          if (props.has(k)) body.set(k, props.get(k));
        }
        if (!body.has("BillingMode") && !body.has("ProvisionedThroughput")) body.put("BillingMode", "PAY_PER_REQUEST");
        JsonNode t = emulator.dynamodb("CreateTable", body).path("TableDescription");
        return new Physical(name, Map.of("Arn", t.path("TableArn"), "StreamArn",
            t.path("LatestStreamArn").isMissingNode() ? TextNode.valueOf("") : t.path("LatestStreamArn")), false);
      }
      case "AWS::SNS::Topic" -> {
        String name = props.path("TopicName").asText(shortName(r, 256));
        String arn = emulator.clients().sns().createTopic(b -> b.name(name)).topicArn();
        return new Physical(arn, Map.of("TopicArn", TextNode.valueOf(arn), "TopicName", TextNode.valueOf(name)), false);
      }
      case "AWS::SecretsManager::Secret" -> {
        // The canary's test route needs the generated value in moto: the guard's probe reads it from Secrets
        // Manager and the local load balancer compares it. CloudFormation generates it on AWS.
        String name = props.path("Name").asText(shortName(r, 256));
        ObjectNode body = F.objectNode().put("Name", name)
            .put("SecretString", props.has("SecretString") ? props.get("SecretString").asText()
                : generatedSecret(props.path("GenerateSecretString")));
        String arn = emulator.json("secretsmanager", "secretsmanager.CreateSecret", "1.1", body).path("ARN").asText();
        return new Physical(arn, Map.of("Id", TextNode.valueOf(arn)), false);
      }
      case "AWS::SQS::Queue" -> {
        // The functions' on-failure destinations: the host writes Lambda's invocation records here.
        String name = props.path("QueueName").asText(shortName(r, 80));
        String url = emulator.sqs().createQueue(b -> b.queueName(name)).queueUrl();
        String arn = "arn:aws:sqs:" + Emulator.REGION + ":" + Emulator.ACCOUNT + ":" + name;
        return new Physical(url, Map.of("Arn", TextNode.valueOf(arn), "QueueName", TextNode.valueOf(name),
            "QueueUrl", TextNode.valueOf(url)), false);
      }
      default -> {
        if (type.startsWith("Custom::") && releaseParameterResources().contains(r)) {
          JsonNode call = parseCall(r).path("parameters");
          String name = call.path("Name").asText();
          String value = call.path("Value").asText();
          // Create-only: an existing value (a live release) is kept, as ignoreErrorCodesMatching does on AWS.
          if (emulator.clients().ssm().describeParameters(b -> b.parameterFilters(f -> f.key("Name").values(name)))
              .parameters().isEmpty()) {
            emulator.clients().ssm().putParameter(b -> b.name(name).value(value).type(call.path("Type").asText("String")));
          }
          return new Physical(name, Map.of(), false);
        }
        return synthetic(r);
      }
    }
  }

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  /**
   * A value as Secrets Manager generates it for CloudFormation's GenerateSecretString: PasswordLength characters
   * (32 by default) of letters and digits, punctuation unless ExcludePunctuation; with SecretStringTemplate and
   * GenerateStringKey, the template's JSON with the value under that key.
   */
  static String generatedSecret(JsonNode spec) {
    String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        + (spec.path("ExcludePunctuation").asBoolean(false) ? "" : "!#$%&()*+,-.:;<=>?@[]^_{|}~");
    String exclude = spec.path("ExcludeCharacters").asText("");
    StringBuilder v = new StringBuilder();
    int length = spec.path("PasswordLength").asInt(32);
    while (v.length() < length) {
      char c = chars.charAt(RANDOM.nextInt(chars.length()));
      if (exclude.indexOf(c) < 0) v.append(c);
    }
    if (spec.hasNonNull("SecretStringTemplate") && spec.hasNonNull("GenerateStringKey")) {
      try {
        ObjectNode template = (ObjectNode) CloudAssembly.JSON.readTree(spec.get("SecretStringTemplate").asText());
        return template.put(spec.get("GenerateStringKey").asText(), v.toString()).toString();
      } catch (java.io.IOException | ClassCastException e) {
        throw new SandboxException("GenerateSecretString: SecretStringTemplate is not a JSON object");
      }
    }
    return v.toString();
  }

  /** A placeholder for a resource the sandbox does not emulate; its properties are never read. */
  private Physical synthetic(ResourceRef r) {
    String name = physicalName(r);
    Map<String, JsonNode> attrs = new HashMap<>();
    if (r.type().equals("AWS::Lambda::Function")) {
      attrs.put("Arn", TextNode.valueOf("arn:aws:lambda:" + Emulator.REGION + ":" + Emulator.ACCOUNT + ":function:" + name));
    }
    if (r.type().equals("AWS::ElasticLoadBalancingV2::Listener")) {
      // Ref of a listener is its ARN, app/NAME/ID/LISTENER-ID: CDK derives the load balancer's CloudWatch
      // dimension (app/NAME/ID) from it with Fn::Split and Fn::Select.
      String id = sha8(name);
      return new Physical("arn:aws:elasticloadbalancing:" + Emulator.REGION + ":" + Emulator.ACCOUNT
          + ":listener/app/" + r.stack().name() + "-alb/" + id + id + "/" + id, attrs, true);
    }
    return new Physical(name, attrs, true);
  }

  private static String sha8(String s) {
    return Sandbox.sha256(s).substring(0, 8);
  }

  private static String syntheticArn(ResourceRef r, String name) {
    String[] t = r.type().split("::");
    String service = t.length > 1 ? t[1].toLowerCase(Locale.ROOT) : "cloudformation";
    String kind = t.length > 2 ? t[2].toLowerCase(Locale.ROOT) : "resource";
    return "arn:aws:" + service + ":" + Emulator.REGION + ":" + Emulator.ACCOUNT + ":" + kind + "/" + name;
  }

  /** {@code <stack>-<logical id>}: the sandbox's stand-in for a (unique) name CloudFormation would generate. */
  static String physicalName(ResourceRef r) {
    return (r.stack().name() + "-" + r.logicalId()).replaceAll("[^A-Za-z0-9_.-]", "-");
  }

  /**
   * An ECR repository the template leaves unnamed takes the name of its construct without the
   * {@code Repository} suffix ({@code bffRepository} → {@code bff}), so that pushes read naturally.
   */
  static String repositoryName(ResourceRef r) {
    String id = r.constructId();
    if (id.endsWith("Repository") && id.length() > "Repository".length()) id = id.substring(0, id.length() - "Repository".length());
    return id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._/-]", "-");
  }

  /**
   * An unnamed service takes the name of the nearest construct above its CDK-generated children
   * ({@code .../Compute/Bff/Service/Service} → {@code bff}); without path metadata, its logical id.
   */
  static String serviceName(ResourceRef r) {
    String path = r.definition().path("Metadata").path("aws:cdk:path").asText("");
    String[] parts = path.split("/");
    for (int i = parts.length - 1; i >= 0 && !path.isEmpty(); i--) {
      if (!Set.of("Resource", "Default", "Service", "").contains(parts[i])) {
        return parts[i].toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
      }
    }
    return r.constructId().replaceAll("[^A-Za-z0-9_-]", "-");
  }

  /** {@code <stack>-<logical id>}, or only the logical id's end where names are short (target groups: 32). */
  private static String shortName(ResourceRef r, int max) {
    String n = physicalName(r).replaceAll("[^A-Za-z0-9-]", "-");
    if (n.length() <= max) return n;
    String id = r.logicalId().replaceAll("[^A-Za-z0-9-]", "-");
    return id.length() <= max ? id : id.substring(id.length() - max);
  }

  /** CloudFormation's PascalCase members → the API's camelCase, leaving free-form map keys alone. */
  static JsonNode camel(JsonNode node) {
    if (node.isArray()) {
      ArrayNode out = F.arrayNode();
      node.forEach(n -> out.add(camel(n)));
      return out;
    }
    if (!node.isObject()) return node;
    ObjectNode out = F.objectNode();
    node.fields().forEachRemaining(e -> {
      String k = e.getKey();
      String name = RENAMED.getOrDefault(k, k.isEmpty() ? k : Character.toLowerCase(k.charAt(0)) + k.substring(1));
      out.set(name, MAP_MEMBERS.contains(k) ? e.getValue() : camel(e.getValue()));
    });
    return out;
  }
}
