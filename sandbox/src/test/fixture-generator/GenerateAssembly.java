// Generates sandbox/src/test/resources/assembly-GitOpsPipeline-dev: a small CDK app shaped like the project's
// dev stage (network, storage, compute, monitoring and deployment automation), synthesized by the real
// aws-cdk-lib, so that the sandbox's tests run on genuine CDK output while the real stacks are still being
// built. Not compiled by Maven. Regenerate with sandbox/src/test/fixture-generator/generate.sh.
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.*;
import software.amazon.awscdk.customresources.*;
import software.amazon.awscdk.services.dynamodb.*;
import software.amazon.awscdk.services.ec2.*;
import software.amazon.awscdk.services.ecr.*;
import software.amazon.awscdk.services.ecs.*;
import software.amazon.awscdk.services.elasticloadbalancingv2.*;
import software.amazon.awscdk.services.events.CfnRule;
import software.amazon.awscdk.services.lambda.CfnFunction;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.ssm.ParameterValueType;
import software.amazon.awscdk.services.ssm.StringParameter;

public class GenerateAssembly {
  static final List<String> SERVICES = List.of("bff", "graphql", "agentcore");

  public static void main(String[] args) {
    String excluded = args.length > 1 ? args[1] : "";
    App app = new App(AppProps.builder().outdir(args[0]).build());
    Stack pipeline = new Stack(app, "GitOpsPipeline");
    Stage dev = new Stage(pipeline, "dev", StageProps.builder()
        .env(Environment.builder().account("111111111111").region("us-east-1").build()).build());
    Environment env = Environment.builder().account("111111111111").region("us-east-1").build();

    Stack network = new Stack(dev, "Network", StackProps.builder().env(env).stackName("dev-Network").build()) {
      @Override public List<String> getAvailabilityZones() { return List.of("us-east-1a", "us-east-1b"); }
    };
    Vpc vpc = Vpc.Builder.create(network, "Vpc").maxAzs(2).natGateways(1).build();

    Stack storage = new Stack(dev, "Storage", StackProps.builder().env(env).stackName("dev-Storage").build());
    Map<String, Repository> repos = new java.util.LinkedHashMap<>();
    for (String s : SERVICES) {
      repos.put(s, Repository.Builder.create(storage, s + "Repository").imageScanOnPush(true)
          .imageTagMutability(TagMutability.IMMUTABLE).removalPolicy(RemovalPolicy.DESTROY).build());
      String name = "/gitops/dev/release/" + s;
      AwsCustomResource.Builder.create(storage, s + "Release")
          .resourceType("Custom::ReleaseParameter")
          .onCreate(AwsSdkCall.builder().service("SSM").action("PutParameter")
              .parameters(Map.of("Name", name, "Type", "String",
                  "Value", "docker.io/ealen/echo-server@sha256:ec8a6e95890df937a1eb5fafca033a32172d4f43c1fea1f302931d5f230a137f"))
              .ignoreErrorCodesMatching("ParameterAlreadyExists")
              .physicalResourceId(PhysicalResourceId.of(name)).build())
          .policy(AwsCustomResourcePolicy.fromSdkCalls(SdkCallsPolicyOptions.builder()
              .resources(AwsCustomResourcePolicy.ANY_RESOURCE).build()))
          .installLatestAwsSdk(false)
          .build();
    }

    Stack compute = new Stack(dev, "Compute", StackProps.builder().env(env).stackName("dev-Compute").build());
    Cluster cluster = Cluster.Builder.create(compute, "Cluster").vpc(vpc).containerInsightsV2(ContainerInsights.ENABLED).build();
    Map<String, FargateService> services = new java.util.LinkedHashMap<>();
    ApplicationTargetGroup tg = null;
    for (String s : SERVICES) {
      String image = StringParameter.valueForTypedStringParameterV2(compute, "/gitops/dev/release/" + s, ParameterValueType.STRING);
      FargateTaskDefinition td = FargateTaskDefinition.Builder.create(compute, cap(s) + "TaskDefinition")
          .cpu(256).memoryLimitMiB(512)
          .runtimePlatform(RuntimePlatform.builder().cpuArchitecture(CpuArchitecture.ARM64)
              .operatingSystemFamily(OperatingSystemFamily.LINUX).build())
          .build();
      td.addContainer(s, ContainerDefinitionOptions.builder()
          .containerName(s)
          .image(ContainerImage.fromRegistry(image))
          .portMappings(List.of(PortMapping.builder().containerPort(8080).build()))
          .environment(Map.of("SERVICE_NAME", s, "PORT", "8080"))
          .healthCheck(software.amazon.awscdk.services.ecs.HealthCheck.builder()
              .command(List.of("CMD-SHELL", "wget -qO- http://localhost:8080/health || exit 1")).build())
          .logging(LogDriver.awsLogs(AwsLogDriverProps.builder().streamPrefix(s).build()))
          .readonlyRootFilesystem(true)
          .build());
      FargateService svc = FargateService.Builder.create(compute, cap(s))
          .cluster(cluster).taskDefinition(td).desiredCount(s.equals("bff") ? 2 : 1)
          .circuitBreaker(DeploymentCircuitBreaker.builder().enable(true).rollback(true).build())
          .minHealthyPercent(100).maxHealthyPercent(200)
          .build();
      services.put(s, svc);
      if (s.equals("bff")) {
        tg = ApplicationTargetGroup.Builder.create(compute, "BffTargetGroup").vpc(vpc)
            .targetType(TargetType.IP).protocol(ApplicationProtocol.HTTP).port(8080)
            .healthCheck(software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck.builder()
                .path("/health").healthyHttpCodes("200-299").build())
            .targets(List.of(svc.loadBalancerTarget(LoadBalancerTargetOptions.builder()
                .containerName("bff").containerPort(8080).build())))
            .build();
      }
    }

    Stack monitoring = new Stack(dev, "Monitoring", StackProps.builder().env(env).stackName("dev-Monitoring").build());
    Topic alarms = Topic.Builder.create(monitoring, "AlarmTopic").displayName("dev alarms").build();

    Stack automation = new Stack(dev, "DeploymentAutomation",
        StackProps.builder().env(env).stackName("dev-DeploymentAutomation").build());
    Table ledger = Table.Builder.create(automation, "Ledger")
        .partitionKey(Attribute.builder().name("pk").type(AttributeType.STRING).build())
        .sortKey(Attribute.builder().name("sk").type(AttributeType.STRING).build())
        .billingMode(BillingMode.PAY_PER_REQUEST).removalPolicy(RemovalPolicy.DESTROY).build();
    Map<String, Object> serviceMap = new java.util.LinkedHashMap<>();
    for (String s : SERVICES) {
      serviceMap.put(s, Map.of(
          "cluster", cluster.getClusterName(),
          "service", services.get(s).getServiceName(),
          "container", s,
          "releaseParameter", "/gitops/dev/release/" + s,
          "repositoryUri", repos.get(s).getRepositoryUri()));
    }
    Map<String, String> vars = Map.of(
        "SERVICE_MAP", automation.toJsonString(serviceMap),
        "LEDGER_TABLE", ledger.getTableName(),
        "ALARM_TOPIC_ARN", alarms.getTopicArn(),
        "ENVIRONMENT_NAME", "dev");
    CfnFunction deployer = function(automation, "ImageDeployer", "io.gitops.lambdas.deployer.ImageDeployerHandler::handleRequest", vars);
    Map<String, String> guardVars = new java.util.LinkedHashMap<>(vars);
    guardVars.put("TARGET_GROUP_ARNS", automation.toJsonString(Map.of(services.get("bff").getServiceName(), tg.getTargetGroupArn())));
    guardVars.put("FAILURE_THRESHOLD", "2");
    CfnFunction guard = function(automation, "Guard", "io.gitops.lambdas.guard.GuardHandler::handleRequest", guardVars);

    List<String> repoNames = new java.util.ArrayList<>();
    for (String s : SERVICES) if (!s.equals(excluded)) repoNames.add(repos.get(s).getRepositoryName());
    rule(automation, "ImagePushRule", deployer, Map.of(
        "source", List.of("aws.ecr"), "detail-type", List.of("ECR Image Action"),
        "detail", Map.of("action-type", List.of("PUSH"), "result", List.of("SUCCESS"), "repository-name", repoNames)));
    List<String> groups = new java.util.ArrayList<>();
    services.values().forEach(v -> groups.add("service:" + v.getServiceName()));
    rule(automation, "TaskStateRule", guard, Map.of(
        "source", List.of("aws.ecs"), "detail-type", List.of("ECS Task State Change"),
        "detail", Map.of("clusterArn", List.of(cluster.getClusterArn()), "group", groups,
            "lastStatus", List.of("RUNNING", "STOPPED"))));
    List<String> serviceArns = new java.util.ArrayList<>();
    services.values().forEach(v -> serviceArns.add(v.getServiceArn()));
    rule(automation, "DeploymentStateRule", guard, Map.of(
        "source", List.of("aws.ecs"), "detail-type", List.of("ECS Deployment State Change"),
        "resources", serviceArns));
    app.synth();
  }

  static CfnFunction function(Stack s, String id, String handler, Map<String, String> vars) {
    return CfnFunction.Builder.create(s, id)
        .runtime("java21").handler(handler).memorySize(1024).timeout(60)
        .role("arn:aws:iam::111111111111:role/placeholder")
        .code(CfnFunction.CodeProperty.builder().s3Bucket("assets").s3Key("gitops-lambdas.jar").build())
        .environment(CfnFunction.EnvironmentProperty.builder().variables(vars).build())
        .build();
  }

  static void rule(Stack s, String id, CfnFunction target, Map<String, Object> pattern) {
    CfnRule.Builder.create(s, id).eventPattern(pattern).state("ENABLED")
        .targets(List.of(CfnRule.TargetProperty.builder().id("Target0").arn(target.getAttrArn()).build()))
        .build();
  }

  static String cap(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
