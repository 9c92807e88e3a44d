package io.gitops.stacks.automation;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.automation.DeploymentStackProps.DeployedService;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.events.EventPattern;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.events.targets.LambdaFunctionProps;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.constructs.Construct;

/**
 * The event-driven deployers of one environment: the image deployer (ECR push → new task definition
 * revision → rolling update) where the environment deploys on push, and the deployment guard
 * (ECS task and deployment events → health checks → rollback) everywhere, with the deployment
 * ledger they share. It comes last in the chain: it needs the cluster, the services, the release
 * parameters and the alarm topic. The function configuration contract is docs/lambda-config.md.
 */
public class DeploymentStack extends PlatformStack {

  public static final String IMAGE_DEPLOYER_HANDLER =
      "io.gitops.lambdas.deployer.ImageDeployerHandler::handleRequest";
  public static final String GUARD_HANDLER = "io.gitops.lambdas.guard.GuardHandler::handleRequest";
  /** Lambda's java runtimes already stop at C1 for short-lived work; measured in docs/performance.md. */
  public static final String JAVA_TOOL_OPTIONS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";
  /** The ledger's TTL attribute: lambdas' GuardLedger.TTL_ATTRIBUTE. */
  public static final String TTL_ATTRIBUTE = "expiresAt";
  /** The functions' EMF namespace (LambdaConfig's default METRICS_NAMESPACE) and failure metric (Metrics). */
  public static final String METRICS_NAMESPACE = "GitOps/Deployments";
  public static final String FAILURE_METRIC = "FunctionFailures";
  /** The {@code Function} dimension values the functions write (their handlers' FUNCTION constants). */
  public static final String IMAGE_DEPLOYER_FUNCTION = "image-deployer";
  public static final String GUARD_FUNCTION = "guard";

  private final Table ledger;
  private final Optional<DeployerFunction> imageDeployer;
  private final DeployerFunction guard;
  private final Optional<Rule> pushRule;
  private final Rule taskRule;
  private final Rule deploymentRule;

  public DeploymentStack(Construct scope, String id, EnvironmentConfig config, DeploymentStackProps props) {
    super(scope, id, config, "Event-driven deployers: image deployer, deployment guard, ledger");
    RemovalPolicy removal = config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    ledger = Table.Builder.create(this, "Ledger")
        .partitionKey(Attribute.builder().name("pk").type(AttributeType.STRING).build())
        .sortKey(Attribute.builder().name("sk").type(AttributeType.STRING).build())
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .encryption(TableEncryption.AWS_MANAGED)
        .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder()
            .pointInTimeRecoveryEnabled(true).build())
        .deletionProtection(config.isProduction())
        .removalPolicy(removal)
        // The guard's task items carry an expiry (GuardLedger.TTL_ATTRIBUTE); DynamoDB deletes them on its own.
        .timeToLiveAttribute(TTL_ATTRIBUTE)
        .build();

    Map<String, String> common = new LinkedHashMap<>();
    common.put("LEDGER_TABLE", ledger.getTableName());
    common.put("ALARM_TOPIC_ARN", props.alarmTopic().getTopicArn());
    common.put("SERVICE_MAP", serviceMap(props));
    common.put("ENVIRONMENT_NAME", config.name());
    common.put("LOCK_LEASE_SECONDS", String.valueOf(DeployerFunction.TIMEOUT.toSeconds().intValue() * 2));
    // The functions' time budget and the same-event take-over of a rollout need the timeout (lambda-config.md).
    common.put("FUNCTION_TIMEOUT_SECONDS", String.valueOf(DeployerFunction.TIMEOUT.toSeconds().intValue()));
    common.put("JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS);

    if (config.autoDeployImages()) {
      DeployerFunction deployer = new DeployerFunction(this, "ImageDeployer", new DeployerFunction.Props(
          props.lambdaJar(), IMAGE_DEPLOYER_HANDLER,
          "Image deployer (" + config.name() + "): ECR push -> task definition revision -> rolling update",
          common, props.alarmTopic(), removal));
      deployer.encryptLogs(props.alarmTopicKey());
      grantImageDeployer(deployer, props);
      failureAlarm(deployer, "ImageDeployerFailures", IMAGE_DEPLOYER_FUNCTION, props);
      Rule rule = Rule.Builder.create(this, "ImagePushRule")
          .description("Successful image pushes to this environment's repositories")
          .eventPattern(EventPattern.builder()
              .source(List.of("aws.ecr"))
              .detailType(List.of("ECR Image Action"))
              .detail(Map.of(
                  "action-type", List.of("PUSH"),
                  "result", List.of("SUCCESS"),
                  "repository-name", props.services().stream().map(DeployedService::repositoryName).toList()))
              .build())
          .build();
      rule.addTarget(target(deployer));
      imageDeployer = Optional.of(deployer);
      pushRule = Optional.of(rule);
    } else {
      imageDeployer = Optional.empty();
      pushRule = Optional.empty();
    }

    Map<String, String> guardEnv = new LinkedHashMap<>(common);
    Map<String, Object> targetGroups = new LinkedHashMap<>();
    Map<String, Object> probes = new LinkedHashMap<>();
    for (DeployedService s : props.services()) {
      if (s.behindLoadBalancer()) {
        targetGroups.put(s.serviceName(), s.targetGroupArn());
        if (props.albDnsName() != null) {
          probes.put(s.serviceName(), props.healthScheme() + "://" + props.albDnsName() + s.healthPath());
        }
      }
    }
    guardEnv.put("TARGET_GROUP_ARNS", toJson(targetGroups));
    guardEnv.put("HEALTH_PROBE_URLS", toJson(probes));
    guard = new DeployerFunction(this, "Guard", new DeployerFunction.Props(
        props.lambdaJar(), GUARD_HANDLER,
        "Deployment guard (" + config.name() + "): ECS task/deployment events -> health checks -> rollback",
        guardEnv, props.alarmTopic(), removal));
    guard.encryptLogs(props.alarmTopicKey());
    grantGuard(guard, props);
    failureAlarm(guard, "GuardFailures", GUARD_FUNCTION, props);

    taskRule = Rule.Builder.create(this, "TaskStateRule")
        .description("Task state changes of this environment's services")
        .eventPattern(EventPattern.builder()
            .source(List.of("aws.ecs"))
            .detailType(List.of("ECS Task State Change"))
            .detail(Map.of(
                "clusterArn", List.of(props.cluster().getClusterArn()),
                "group", props.services().stream().map(s -> "service:" + s.serviceName()).toList(),
                "lastStatus", List.of("RUNNING", "STOPPED")))
            .build())
        .build();
    taskRule.addTarget(target(guard));
    deploymentRule = Rule.Builder.create(this, "DeploymentStateRule")
        .description("Deployment state changes of this environment's services")
        .eventPattern(EventPattern.builder()
            .source(List.of("aws.ecs"))
            .detailType(List.of("ECS Deployment State Change"))
            .resources(props.services().stream().map(DeployedService::serviceArn).toList())
            .build())
        .build();
    deploymentRule.addTarget(target(guard));
  }

  /** EventBridge invokes the alias; events it cannot deliver go to the same on-failure queue. */
  private static LambdaFunction target(DeployerFunction function) {
    return new LambdaFunction(function.alias(), LambdaFunctionProps.builder()
        .deadLetterQueue(function.onFailureQueue())
        .retryAttempts(185)
        .maxEventAge(software.amazon.awscdk.Duration.hours(24))
        .build());
  }

  /**
   * Pages when a function fails permanently: the {@code FunctionFailures} metric the functions write (EMF,
   * dimension {@code Function} only, so one series per function), summed over 5 minutes.
   */
  private void failureAlarm(DeployerFunction fn, String id, String functionName, DeploymentStackProps props) {
    software.amazon.awscdk.services.cloudwatch.Alarm alarm =
        software.amazon.awscdk.services.cloudwatch.Alarm.Builder.create(this, id)
            .alarmDescription(functionName + " failed permanently: read its notification on the alarm topic and "
                + "its logs; the release state may need a hand")
            .metric(software.amazon.awscdk.services.cloudwatch.Metric.Builder.create()
                .namespace(METRICS_NAMESPACE).metricName(FAILURE_METRIC)
                .dimensionsMap(Map.of("Function", functionName))
                .statistic("Sum").period(software.amazon.awscdk.Duration.minutes(5)).build())
            .threshold(1)
            .evaluationPeriods(1)
            .comparisonOperator(software.amazon.awscdk.services.cloudwatch.ComparisonOperator
                .GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .treatMissingData(software.amazon.awscdk.services.cloudwatch.TreatMissingData.NOT_BREACHING)
            .build();
    alarm.addAlarmAction(new software.amazon.awscdk.services.cloudwatch.actions.SnsAction(props.alarmTopic()));
    failureAlarms.put(functionName, alarm);
  }

  private final Map<String, software.amazon.awscdk.services.cloudwatch.Alarm> failureAlarms = new LinkedHashMap<>();

  /** The permanent-failure alarms, by function name ({@code image-deployer}, {@code guard}). */
  public Map<String, software.amazon.awscdk.services.cloudwatch.Alarm> failureAlarms() {
    return failureAlarms;
  }

  private void grantImageDeployer(DeployerFunction fn, DeploymentStackProps props) {
    List<String> serviceArns = props.services().stream().map(DeployedService::serviceArn).toList();
    fn.addToRolePolicy(statement(List.of("ecs:DescribeServices", "ecs:UpdateService"), serviceArns));
    grantRegistration(fn, props);
    grantShared(fn, props);
  }

  /**
   * Registering revisions of the services' own families: the image deployer's clones, and the guard's
   * re-registration of a rollback target CloudFormation deregistered (docs/ledger.md).
   */
  private void grantRegistration(DeployerFunction fn, DeploymentStackProps props) {
    // RegisterTaskDefinition, DescribeTaskDefinition and ListTaskDefinitions (an interrupted rollout looks
    // up the revision it registered, docs/ledger.md) support no resource-level permissions:
    // the API requires "*" (Service Authorization Reference, Amazon ECS).
    fn.addToRolePolicy(statement(List.of("ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions"), List.of("*")));
    Nag.acknowledge(fn.role().getNode().findChild("DefaultPolicy"), "AwsSolutions-IAM5[Resource::*]",
        "ecs:RegisterTaskDefinition, ecs:DescribeTaskDefinition and ecs:ListTaskDefinitions accept no resource-level "
            + "permissions; the new revision can only pass this environment's task roles (iam:PassRole below)");
    // Registering with tags needs TagResource on the new revision of our own families only.
    List<String> families = props.services().stream()
        .map(s -> taskDefinitionArn(s.taskDefinitionFamily()))
        .toList();
    fn.addToRolePolicy(statement(List.of("ecs:TagResource"), families));
    for (DeployedService s : props.services()) {
      Nag.acknowledgeWildcardResource(fn.role().getNode().findChild("DefaultPolicy"),
          taskDefinitionArn(s.taskDefinitionFamily()),
          "Revisions of this service's own task definition family: the revision number is assigned at "
              + "registration, so the ARN ends in a wildcard");
    }
    List<String> passable = new java.util.ArrayList<>();
    passable.add(props.executionRole().getRoleArn());
    props.services().forEach(s -> passable.add(s.taskRole().getRoleArn()));
    fn.addToRolePolicy(PolicyStatement.Builder.create()
        .actions(List.of("iam:PassRole"))
        .resources(passable)
        .conditions(Map.of("StringEquals", Map.of("iam:PassedToService", "ecs-tasks.amazonaws.com")))
        .build());
  }

  private void grantGuard(DeployerFunction fn, DeploymentStackProps props) {
    List<String> serviceArns = props.services().stream().map(DeployedService::serviceArn).toList();
    fn.addToRolePolicy(statement(List.of("ecs:DescribeServices", "ecs:UpdateService"), serviceArns));
    String tasks = Stack.of(this).formatArn(ArnComponents.builder()
        .service("ecs").resource("task").resourceName(props.cluster().getClusterName() + "/*")
        .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build());
    fn.addToRolePolicy(PolicyStatement.Builder.create()
        .actions(List.of("ecs:DescribeTasks"))
        .resources(List.of(tasks))
        .conditions(Map.of("ArnEquals", Map.of("ecs:cluster", props.cluster().getClusterArn())))
        .build());
    Nag.acknowledgeWildcardResource(fn.role().getNode().findChild("DefaultPolicy"), tasks,
        "Tasks of this cluster only (also pinned by the ecs:cluster condition); task IDs are assigned "
            + "at launch, so the ARN ends in a wildcard");
    // DescribeTargetHealth supports no resource-level permissions: the API requires "*".
    fn.addToRolePolicy(statement(List.of("elasticloadbalancing:DescribeTargetHealth"), List.of("*")));
    Nag.acknowledge(fn.role().getNode().findChild("DefaultPolicy"), "AwsSolutions-IAM5[Resource::*]",
        "elasticloadbalancing:DescribeTargetHealth accepts no resource-level permissions; it is read-only");
    grantRegistration(fn, props);
    grantShared(fn, props);
  }

  /**
   * Both functions: the ledger, the release parameters and the alarm topic, nothing else. There is
   * no dynamodb:TransactWriteItems action: a transaction is authorized item by item with the
   * actions below.
   */
  private void grantShared(DeployerFunction fn, DeploymentStackProps props) {
    fn.addToRolePolicy(statement(List.of("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:Query", "dynamodb:ConditionCheckItem"),
        List.of(ledger.getTableArn())));
    fn.addToRolePolicy(statement(List.of("ssm:GetParameter", "ssm:PutParameter"),
        props.services().stream().map(DeployedService::releaseParameterArn).toList()));
    fn.addToRolePolicy(statement(List.of("sns:Publish"), List.of(props.alarmTopic().getTopicArn())));
    fn.addToRolePolicy(statement(List.of("kms:GenerateDataKey", "kms:Decrypt"),
        List.of(props.alarmTopicKey().getKeyArn())));
  }

  private static PolicyStatement statement(List<String> actions, List<String> resources) {
    return PolicyStatement.Builder.create().actions(actions).resources(resources).build();
  }

  private String taskDefinitionArn(String family) {
    return Stack.of(this).formatArn(ArnComponents.builder()
        .service("ecs").resource("task-definition").resourceName(family + ":*")
        .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build());
  }

  private String serviceMap(DeploymentStackProps props) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (DeployedService s : props.services()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("cluster", props.cluster().getClusterName());
      entry.put("service", s.serviceName());
      entry.put("container", s.name());
      entry.put("releaseParameter", s.releaseParameterName());
      entry.put("repositoryUri", s.repositoryUri());
      map.put(s.repositoryName(), entry);
    }
    return toJson(map);
  }

  private String toJson(Map<String, Object> map) {
    return Stack.of(this).toJsonString(map);
  }

  public Table ledger() {
    return ledger;
  }

  public Optional<DeployerFunction> imageDeployer() {
    return imageDeployer;
  }

  public DeployerFunction guard() {
    return guard;
  }

  public Optional<Rule> pushRule() {
    return pushRule;
  }

  public Rule taskRule() {
    return taskRule;
  }

  public Rule deploymentRule() {
    return deploymentRule;
  }
}
