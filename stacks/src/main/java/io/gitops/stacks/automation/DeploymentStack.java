package io.gitops.stacks.automation;

import io.gitops.contract.FunctionEnvironment;
import io.gitops.contract.FunctionHandler;
import io.gitops.contract.ServiceMapEntry;
import io.gitops.contract.Telemetry;
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

  /** Lambda's java runtimes already stop at C1 for short-lived work; measured in docs/performance.md. */
  public static final String JAVA_TOOL_OPTIONS = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";

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
        // The guard's task items carry an expiry; DynamoDB deletes them on its own.
        .timeToLiveAttribute(Telemetry.LEDGER_TTL_ATTRIBUTE)
        .build();

    int timeout = DeployerFunction.TIMEOUT.toSeconds().intValue();
    // The lease is twice the timeout; the functions' time budget and the same-event take-over of a rollout
    // need the timeout itself (lambda-config.md).
    FunctionEnvironment common = new FunctionEnvironment(ledger.getTableName(), props.alarmTopic().getTopicArn(),
        serviceMap(props), config.name(), timeout * 2, timeout, JAVA_TOOL_OPTIONS, null);

    if (config.autoDeployImages()) {
      DeployerFunction deployer = new DeployerFunction(this, "ImageDeployer", new DeployerFunction.Props(
          props.lambdaJar(), FunctionHandler.IMAGE_DEPLOYER.handler(),
          "Image deployer (" + config.name() + "): ECR push -> task definition revision -> rolling update",
          common.toVariables(this::toJson), props.alarmTopic(), removal));
      deployer.encryptLogs(props.alarmTopicKey());
      grantImageDeployer(deployer, props);
      failureAlarm(deployer, "ImageDeployerFailures", FunctionHandler.IMAGE_DEPLOYER.functionName(), props);
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

    Map<String, String> targetGroups = new LinkedHashMap<>();
    Map<String, String> probes = new LinkedHashMap<>();
    for (DeployedService s : props.services()) {
      if (s.behindLoadBalancer()) {
        targetGroups.put(s.serviceName(), s.targetGroupArn());
        if (props.albDnsName() != null) {
          probes.put(s.serviceName(), props.healthScheme() + "://" + props.albDnsName() + s.healthPath());
        }
      }
    }
    Map<String, Map<String, Object>> canaries = canaryPlans(props.canaries(), props.albDnsName(), props.healthScheme());
    Map<String, String> guardEnv = common.withGuard(new FunctionEnvironment.Guard(targetGroups, probes, canaries))
        .toVariables(this::toJson);
    guard = new DeployerFunction(this, "Guard", new DeployerFunction.Props(
        props.lambdaJar(), FunctionHandler.GUARD.handler(),
        "Deployment guard (" + config.name() + "): ECS task/deployment events -> health checks -> rollback",
        guardEnv, props.alarmTopic(), removal));
    guard.encryptLogs(props.alarmTopicKey());
    grantGuard(guard, props);
    props.canaryHookRole().ifPresent(role -> grantCanaryHook(role, props));
    failureAlarm(guard, "GuardFailures", FunctionHandler.GUARD.functionName(), props);

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

    // Read-only access for the pipeline's release report before the prod approval (docs/release-report.md).
    releaseReportRole = new ReleaseReportRole(this, "ReleaseReportRole",
        new ReleaseReportRole.Props(config, props.services(), ledger));

    revisionCleanup = revisionCleanup(config, props, common, removal);

    // bin/gitops release/dora find this environment in an account through one parameter: the image deployer's own
    // variables (ledger, topic, service map, lease), read with the operator's credentials (no function is called).
    var wiring = software.amazon.awscdk.services.ssm.StringParameter.Builder.create(this, "OperatorWiring")
        .parameterName(io.gitops.contract.OperatorWiring.parameterName(config.name()))
        .description("What bin/gitops release and dora need to operate " + config.name() + " (docs/ledger.md)")
        .stringValue(toJson(operatorWiring(common)))
        .build();
    config.promotion().to().ifPresent(to -> promotionEvidence(config, wiring));
  }

  /** The image deployer's variables, and where each function's parked events wait (bin/gitops release redrive). */
  private Map<String, Object> operatorWiring(FunctionEnvironment common) {
    Map<String, Object> wiring = new LinkedHashMap<>(common.toVariables(this::toJson));
    Map<String, Object> queues = new LinkedHashMap<>();
    imageDeployer.ifPresent(f -> queues.put(FunctionHandler.IMAGE_DEPLOYER.functionName(), parking(f)));
    queues.put(FunctionHandler.GUARD.functionName(), parking(guard));
    queues.put(FunctionHandler.REVISION_CLEANUP.functionName(), parking(revisionCleanup));
    wiring.put(io.gitops.contract.OperatorWiring.ON_FAILURE_QUEUES, queues);
    return wiring;
  }

  /** The queue only: each parked record names the function (alias) it was meant for. */
  private static String parking(DeployerFunction f) {
    return f.onFailureQueue().getQueueUrl();
  }

  /**
   * The promotion out of this environment asks its ledger whether each digest was judged HEALTHY, and for how long
   * (buildspecs/promote.sh). The promotion role is the storage stack's, which comes before the ledger: the grant is
   * a policy of this stack on that role, by its fixed name, so the storage stack needs no reference to this one.
   */
  private void promotionEvidence(EnvironmentConfig config, software.amazon.awscdk.services.ssm.StringParameter wiring) {
    software.amazon.awscdk.services.iam.Policy.Builder.create(this, "PromotionEvidence")
        .roles(List.of(software.amazon.awscdk.services.iam.Role.fromRoleName(this, "ReleasePromotionRole",
            io.gitops.stacks.config.Promotion.environmentRoleName(config.name()))))
        .statements(List.of(
            // The step finds the ledger's generated name where the operator's commands find it.
            statement(List.of("ssm:GetParameter"), List.of(wiring.getParameterArn())),
            // Scan, not Query: the step looks an image up across services, whose keys are ECS service names it
            // does not know (the same reason as the release report's read role). The ledger is small.
            statement(List.of("dynamodb:Scan"), List.of(ledger.getTableArn()))))
        .build();
  }

  private final ReleaseReportRole releaseReportRole;

  /** The role the pipeline's release report step reads this environment through. */
  public ReleaseReportRole releaseReportRole() {
    return releaseReportRole;
  }

  /**
   * The daily revision cleanup (docs/ledger.md, "Revision cleanup"): reads the services, the ledger and the release
   * parameters; deregisters and deletes revisions of the services' own families. Reports only in production until
   * an operator sets {@code CLEANUP_DRY_RUN=false} there.
   */
  private DeployerFunction revisionCleanup(EnvironmentConfig config, DeploymentStackProps props,
      FunctionEnvironment common, RemovalPolicy removal) {
    Map<String, String> env = new LinkedHashMap<>(common.toVariables(this::toJson));
    env.put(io.gitops.contract.EnvVar.CLEANUP_DRY_RUN, String.valueOf(config.isProduction()));
    env.put(io.gitops.contract.EnvVar.CLEANUP_KEEP_HEALTHY, "5");
    DeployerFunction fn = new DeployerFunction(this, "RevisionCleanup", new DeployerFunction.Props(
        props.lambdaJar(), FunctionHandler.REVISION_CLEANUP.handler(),
        "Revision cleanup (" + config.name() + "): deregisters and deletes task definition revisions nothing needs",
        env, props.alarmTopic(), removal));
    fn.encryptLogs(props.alarmTopicKey());
    List<String> serviceArns = props.services().stream().map(DeployedService::serviceArn).toList();
    fn.addToRolePolicy(statement(List.of("ecs:DescribeServices"), serviceArns));
    // ListTaskDefinitions, DeregisterTaskDefinition and DeleteTaskDefinitions name no resource type in the Service
    // Authorization Reference (Amazon ECS): the API requires "*". The function only acts on the services' own
    // families, which it reads from the services themselves.
    fn.addToRolePolicy(statement(List.of("ecs:ListTaskDefinitions", "ecs:DeregisterTaskDefinition",
        "ecs:DeleteTaskDefinitions"), List.of("*")));
    Nag.acknowledge(fn.role().getNode().findChild("DefaultPolicy"), "AwsSolutions-IAM5[Resource::*]",
        "ecs:ListTaskDefinitions, ecs:DeregisterTaskDefinition and ecs:DeleteTaskDefinitions accept no "
            + "resource-level permissions; the function only touches the services' own families");
    fn.addToRolePolicy(statement(List.of("dynamodb:GetItem", "dynamodb:Query"), List.of(ledger.getTableArn())));
    fn.addToRolePolicy(statement(List.of("ssm:GetParameter"),
        props.services().stream().map(DeployedService::releaseParameterArn).toList()));
    // The release tags (released-<env>-<hex>) on the services' own repositories only: list the images, retag one
    // (read its manifest, put it again with the tag) and drop a tag (docs/ledger.md, "Release images").
    fn.addToRolePolicy(statement(List.of("ecr:DescribeImages", "ecr:BatchGetImage", "ecr:PutImage",
        "ecr:BatchDeleteImage"), props.services().stream().map(s -> Stack.of(this).formatArn(ArnComponents.builder()
            .service("ecr").resource("repository").resourceName(s.repositoryName()).build())).toList()));
    failureAlarm(fn, "RevisionCleanupFailures", FunctionHandler.REVISION_CLEANUP.functionName(), props);
    Rule schedule = Rule.Builder.create(this, "RevisionCleanupSchedule")
        .description("Daily cleanup of unneeded task definition revisions (" + config.name() + ")")
        .schedule(software.amazon.awscdk.services.events.Schedule.rate(software.amazon.awscdk.Duration.days(1)))
        .build();
    schedule.addTarget(target(fn));
    return fn;
  }

  private final DeployerFunction revisionCleanup;

  public DeployerFunction revisionCleanup() {
    return revisionCleanup;
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
                .namespace(Telemetry.METRICS_NAMESPACE).metricName(Telemetry.FAILURE_METRIC)
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
   * CANARY_ANALYSIS: per canary service, what the analysis needs (its groups, the load balancer's dimension, the test
   * route's URL and header, the schedule). The guard reads it to leave canary services to their hook; the hook (compute
   * stack) to analyse them.
   */
  public static Map<String, Map<String, Object>> canaryPlans(List<DeploymentStackProps.Canary> canaries,
      String albDnsName, String healthScheme) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (DeploymentStackProps.Canary c : canaries) {
      Map<String, Object> plan = new LinkedHashMap<>();
      plan.put("loadBalancer", c.loadBalancer());
      plan.put("targetGroups", c.targetGroups());
      if (albDnsName != null) {
        plan.put("testProbeUrl", healthScheme + "://" + albDnsName + c.testPath());
      }
      // The name of the header the test route requires and where its value is: the value itself stays in Secrets
      // Manager, read by the hook when it probes.
      plan.put("testHeader", new java.util.TreeMap<>(Map.of("name", io.gitops.contract.CanaryTestRoute.HEADER,
          "secretArn", c.testRouteSecretArn())));
      plan.put("canaryPercent", c.canaryPercent());
      plan.put("intervalSeconds", c.intervalSeconds());
      plan.put("canaryCount", c.canaryCount());
      plan.put("bakeCount", c.bakeCount());
      out.put(c.serviceName(), plan);
    }
    return out;
  }

  /**
   * What the canary hook (compute stack) needs of this stack's and the storage stack's resources: the ledger (it
   * records an abort), the release parameters (it restores one) and the alarm topic (it notifies). A policy here, on
   * the hook's role: the reference goes from this stack to compute, never back.
   */
  private void grantCanaryHook(software.amazon.awscdk.services.iam.IRole role, DeploymentStackProps props) {
    software.amazon.awscdk.services.iam.Policy.Builder.create(this, "CanaryHookPolicy")
        .roles(List.of(role))
        .statements(List.of(
            statement(List.of("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                "dynamodb:ConditionCheckItem"), List.of(ledger.getTableArn())),
            statement(List.of("ssm:GetParameter", "ssm:PutParameter"),
                props.services().stream().map(DeployedService::releaseParameterArn).toList()),
            statement(List.of("sns:Publish"), List.of(props.alarmTopic().getTopicArn())),
            statement(List.of("kms:GenerateDataKey", "kms:Decrypt"), List.of(props.alarmTopicKey().getKeyArn()))))
        .build();
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

  private Map<String, ServiceMapEntry> serviceMap(DeploymentStackProps props) {
    Map<String, ServiceMapEntry> map = new LinkedHashMap<>();
    for (DeployedService s : props.services()) {
      map.put(s.repositoryName(), new ServiceMapEntry(props.cluster().getClusterName(), s.serviceName(), s.name(),
          s.releaseParameterName(), s.repositoryUri()));
    }
    return map;
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
