package io.gitops.stacks.automation;

import static io.gitops.stacks.compute.ComputeFixture.logicalId;
import static io.gitops.stacks.compute.ComputeFixture.statementsOfRole;
import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.contract.EnvVar;
import io.gitops.contract.FunctionHandler;
import io.gitops.stacks.PlatformStacks;
import io.gitops.stacks.compute.ComputeFixture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The deployers' stack in dev (deploys on push) and prod (promotion only), synthesized once. */
class DeploymentStackTest {

  private static PlatformStacks dev;
  private static PlatformStacks prod;
  private static Template devTemplate;
  private static Template prodTemplate;

  @BeforeAll
  static void synthesize() {
    dev = ComputeFixture.dev();
    prod = ComputeFixture.prod();
    devTemplate = Template.fromStack(dev.deployment());
    prodTemplate = Template.fromStack(prod.deployment());
  }

  @Test
  void ledgerIsOnDemandEncryptedWithPointInTimeRecovery() {
    devTemplate.hasResourceProperties("AWS::DynamoDB::Table", Map.of(
        "KeySchema", List.of(Map.of("AttributeName", "pk", "KeyType", "HASH"),
            Map.of("AttributeName", "sk", "KeyType", "RANGE")),
        "BillingMode", "PAY_PER_REQUEST",
        "SSESpecification", Map.of("SSEEnabled", true),
        "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true)));
  }

  @Test
  void prodRetainsAndProtectsTheLedgerWhileDevDoesNot() {
    prodTemplate.hasResource("AWS::DynamoDB::Table", Map.of(
        "DeletionPolicy", "Retain",
        "Properties", Match.objectLike(Map.of("DeletionProtectionEnabled", true))));
    devTemplate.hasResource("AWS::DynamoDB::Table", Map.of("DeletionPolicy", "Delete"));
  }

  @Test
  void imageDeployerAndItsPushRuleExistOnlyWhereImagesDeployOnPush() {
    assertThat(dev.deployment().imageDeployer()).isPresent();
    assertThat(dev.deployment().pushRule()).isPresent();
    assertThat(prod.deployment().imageDeployer()).isEmpty();
    assertThat(prod.deployment().pushRule()).isEmpty();
    // plus the revision cleanup, everywhere
    devTemplate.resourceCountIs("AWS::Lambda::Function", 3);
    prodTemplate.resourceCountIs("AWS::Lambda::Function", 2);
  }

  @Test
  void functionsRunJava21OnArm64WithSnapStartAndBoundedConcurrency() {
    devTemplate.resourcePropertiesCountIs("AWS::Lambda::Function", Map.of(
        "Runtime", "java21",
        "Architectures", List.of("arm64"),
        "SnapStart", Map.of("ApplyOn", "PublishedVersions"),
        "MemorySize", DeployerFunction.MEMORY_MIB,
        "Timeout", 60,
        "ReservedConcurrentExecutions", DeployerFunction.RESERVED_CONCURRENCY,
        "Environment", Map.of("Variables", Match.objectLike(Map.of(
            "LEDGER_TABLE", Map.of("Ref", logicalId(dev.deployment().ledger())),
            "ENVIRONMENT_NAME", "dev",
            "LOCK_LEASE_SECONDS", "120",
            "JAVA_TOOL_OPTIONS", DeploymentStack.JAVA_TOOL_OPTIONS)))), 3);
    devTemplate.hasResourceProperties("AWS::Lambda::Function", Map.of(
        "Handler", FunctionHandler.IMAGE_DEPLOYER.handler()));
    devTemplate.hasResourceProperties("AWS::Lambda::Function", Map.of(
        "Handler", FunctionHandler.GUARD.handler()));
  }

  /** The stack sets exactly the contract's variables (a name written outside the contract fails here). */
  @Test
  void functionsGetExactlyTheContractsVariables() {
    List<String> common = List.of(EnvVar.LEDGER_TABLE, EnvVar.ALARM_TOPIC_ARN, EnvVar.SERVICE_MAP,
        EnvVar.ENVIRONMENT_NAME, EnvVar.LOCK_LEASE_SECONDS, EnvVar.FUNCTION_TIMEOUT_SECONDS,
        EnvVar.JAVA_TOOL_OPTIONS);
    List<String> guard = new java.util.ArrayList<>(common);
    guard.addAll(List.of(EnvVar.TARGET_GROUP_ARNS, EnvVar.HEALTH_PROBE_URLS, EnvVar.CANARY_ANALYSIS));
    assertThat(variableNames(FunctionHandler.IMAGE_DEPLOYER)).containsExactlyInAnyOrderElementsOf(common);
    assertThat(variableNames(FunctionHandler.GUARD)).containsExactlyInAnyOrderElementsOf(guard);
  }

  @SuppressWarnings("unchecked")
  private static List<String> variableNames(FunctionHandler handler) {
    Map<String, Map<String, Object>> functions = devTemplate.findResources("AWS::Lambda::Function",
        Map.of("Properties", Match.objectLike(Map.of("Handler", handler.handler()))));
    assertThat(functions).hasSize(1);
    Map<String, Object> props = (Map<String, Object>) functions.values().iterator().next().get("Properties");
    Map<String, Object> vars = (Map<String, Object>) ((Map<String, Object>) props.get("Environment")).get("Variables");
    return List.copyOf(vars.keySet());
  }

  @Test
  void serviceMapNamesEveryRepositoryWithItsClusterServiceContainerAndReleaseParameter() {
    Capture serviceMap = new Capture();
    devTemplate.hasResourceProperties("AWS::Lambda::Function", Map.of(
        "Handler", FunctionHandler.IMAGE_DEPLOYER.handler(),
        "Environment", Map.of("Variables", Match.objectLike(Map.of("SERVICE_MAP", serviceMap)))));
    String rendered = serviceMap.asObject().toString();
    for (String service : List.of("bff", "graphql", "agentcore")) {
      assertThat(rendered)
          .contains("\"container\":\"" + service + "\"")
          .contains("\"releaseParameter\":\"/gitops/dev/release/" + service + "\"");
    }
  }

  @Test
  void guardKnowsTheBffTargetGroupAndHealthEndpoint() {
    Capture groups = new Capture();
    Capture probes = new Capture();
    devTemplate.hasResourceProperties("AWS::Lambda::Function", Map.of(
        "Handler", FunctionHandler.GUARD.handler(),
        "Environment", Map.of("Variables", Match.objectLike(Map.of(
            "TARGET_GROUP_ARNS", groups, "HEALTH_PROBE_URLS", probes)))));
    assertThat(groups.asObject().toString()).contains("TargetGroup");
    assertThat(probes.asObject().toString()).contains("http://").contains("/api/health");
  }

  @Test
  void eventBridgeInvokesThePublishedAliasAndParksUndeliverableEventsInTheQueue() {
    String alias = logicalId(dev.deployment().guard().alias());
    String queue = logicalId(dev.deployment().guard().onFailureQueue());
    devTemplate.hasResourceProperties("AWS::Events::Rule", Map.of(
        "EventPattern", Match.objectLike(Map.of("detail-type", List.of("ECS Task State Change"))),
        "Targets", List.of(Match.objectLike(Map.of(
            "Arn", Map.of("Ref", alias),
            "DeadLetterConfig", Map.of("Arn", Map.of("Fn::GetAtt", List.of(queue, "Arn"))),
            "RetryPolicy", Map.of("MaximumEventAgeInSeconds", 86400, "MaximumRetryAttempts", 185))))));
  }

  @Test
  void asyncFailuresGoToTheEncryptedOnFailureQueueAfterTwoRetries() {
    String queue = logicalId(dev.deployment().guard().onFailureQueue());
    devTemplate.hasResourceProperties("AWS::Lambda::EventInvokeConfig", Map.of(
        "MaximumRetryAttempts", DeployerFunction.ASYNC_RETRIES,
        "DestinationConfig", Map.of("OnFailure", Map.of("Destination",
            Map.of("Fn::GetAtt", List.of(queue, "Arn"))))));
    devTemplate.hasResourceProperties("AWS::SQS::Queue", Map.of("SqsManagedSseEnabled", true));
  }

  @Test
  void aMessageInAnOnFailureQueueRaisesAnAlarmOnTheAlarmTopic() {
    devTemplate.resourcePropertiesCountIs("AWS::CloudWatch::Alarm", Map.of(
        "MetricName", "ApproximateNumberOfMessagesVisible",
        "Threshold", 1,
        "ComparisonOperator", "GreaterThanOrEqualToThreshold",
        "AlarmActions", List.of(Match.anyValue())), 3);
  }

  @Test
  void pushRuleMatchesSuccessfulPushesToThisEnvironmentsRepositoriesOnly() {
    Capture pattern = new Capture();
    devTemplate.hasResourceProperties("AWS::Events::Rule", Map.of("EventPattern", pattern,
        "Description", "Successful image pushes to this environment's repositories"));
    @SuppressWarnings("unchecked")
    Map<String, Object> detail = (Map<String, Object>) pattern.asObject().get("detail");
    assertThat(pattern.asObject()).containsEntry("source", List.of("aws.ecr"))
        .containsEntry("detail-type", List.of("ECR Image Action"));
    assertThat(detail).containsEntry("action-type", List.of("PUSH")).containsEntry("result", List.of("SUCCESS"));
    assertThat((List<?>) detail.get("repository-name")).hasSize(3);
  }

  @Test
  void imageDeployerMayTouchOnlyItsServicesParametersLedgerAndTopic() {
    List<String> statements = statementsOfRole(devTemplate,
        logicalId(dev.deployment().imageDeployer().orElseThrow().role()));
    assertThat(statements).anyMatch(s -> s.startsWith("ecs:DescribeServices,ecs:UpdateService on ")
        && !s.contains("*"));
    assertThat(statements).contains("ecs:DescribeTaskDefinition,ecs:ListTaskDefinitions,ecs:RegisterTaskDefinition on *");
    assertThat(statements).anyMatch(s -> s.startsWith("iam:PassRole on ")
        && s.contains("iam:PassedToService=ecs-tasks.amazonaws.com"));
    assertThat(statements).anyMatch(s -> s.startsWith("ssm:GetParameter,ssm:PutParameter on ")
        && s.contains("parameter/gitops/dev/release/bff"));
    assertThat(statements).anyMatch(s -> s.startsWith(
        "dynamodb:ConditionCheckItem,dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem on "));
    assertThat(statements).anyMatch(s -> s.startsWith("sns:Publish on "));
    assertThat(statements).noneMatch(s -> s.matches("(^|.*,)[a-z0-9-]+:\\*.*"));
    assertThat(statements).filteredOn(s -> s.endsWith(" on *"))
        .containsExactly("ecs:DescribeTaskDefinition,ecs:ListTaskDefinitions,ecs:RegisterTaskDefinition on *");
  }

  /** The guard registers a rollback target again when CloudFormation deregistered it (issue 12, hole 4). */
  @Test
  void guardMayDescribeTargetHealthAndRegisterOnlyItsServicesRevisions() {
    List<String> statements = statementsOfRole(devTemplate, logicalId(dev.deployment().guard().role()));
    // No cloudwatch:GetMetricData: the canary's metrics are read by its hook (compute stack), not the guard.
    assertThat(statements).filteredOn(s -> s.endsWith(" on *")).containsExactlyInAnyOrder(
        "elasticloadbalancing:DescribeTargetHealth on *",
        "ecs:DescribeTaskDefinition,ecs:ListTaskDefinitions,ecs:RegisterTaskDefinition on *");
    assertThat(statements).anyMatch(s -> s.startsWith("iam:PassRole on ")
        && s.contains("iam:PassedToService=ecs-tasks.amazonaws.com"));
    assertThat(statements).anyMatch(s -> s.startsWith("ecs:DescribeTasks on ") && s.contains("ecs:cluster"));
    // The revisions a hook invocation names are read by the hook, not the guard (ComputeStackTest).
    assertThat(statements).noneMatch(s -> s.contains("ecs:DescribeServiceRevisions"));
  }

  /**
   * The guard leaves the BFF's canary to its hook (compute stack): it knows the canary's target groups, the load
   * balancer's metric dimension and the test listener's URL (issue 14), and its name is CloudFormation's (the hook
   * no longer names it; issue 21, blocker 3).
   */
  @Test
  @SuppressWarnings("unchecked")
  void theGuardKnowsTheCanarysTargetGroupsAndIsNoLongerNamedForTheHook() {
    Map<String, Object> guard = (Map<String, Object>) devTemplate.findResources("AWS::Lambda::Function",
        Map.of("Properties", Match.objectLike(Map.of("Handler", FunctionHandler.GUARD.handler()))))
        .values().iterator().next().get("Properties");
    assertThat(guard).doesNotContainKey("FunctionName");
    String plan = String.valueOf(((Map<String, Object>) ((Map<String, Object>) guard.get("Environment"))
        .get("Variables")).get(EnvVar.CANARY_ANALYSIS));
    assertThat(plan).contains("targetGroups").contains("BffTargetGroup").contains("BffCanaryAlternateTargetGroup")
        .contains("\"loadBalancer\":").contains("AlbHttpListener").contains("/api/health\"")
        .contains("\"canaryCount\":3").contains("\"bakeCount\":2");
  }

  /**
   * Issue 21, blocker 5 and 3: the hook's plan names the test route's header and secret (never the value); the hook
   * reads the secret, the guard does not probe the test route.
   */
  @Test
  @SuppressWarnings("unchecked")
  void theHooksPlanNamesTheTestRoutesHeaderAndSecretAndOnlyTheHookReadsIt() {
    Template compute = Template.fromStack(dev.compute());
    var hook = dev.compute().canaryHook().orElseThrow();
    Map<String, Object> fn = (Map<String, Object>) ((Map<String, Object>) compute.toJSON().get("Resources"))
        .get(logicalId(hook.function()));
    String plan = String.valueOf(((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) fn
        .get("Properties")).get("Environment")).get("Variables")).get(EnvVar.CANARY_ANALYSIS));
    String secret = logicalId(dev.compute().canary().orElseThrow().testRouteSecret());
    assertThat(plan).contains("\"testHeader\":{\"name\":\"" + io.gitops.contract.CanaryTestRoute.HEADER
        + "\",\"secretArn\":").contains(secret).doesNotContain("resolve:secretsmanager")
        .doesNotContain("gitops-canary=test");
    assertThat(statementsOfRole(compute, logicalId(hook.role()))).filteredOn(st -> st.contains("secretsmanager:"))
        .singleElement().asString().isEqualTo("secretsmanager:GetSecretValue on <" + withoutHash(secret) + ">");
    assertThat(String.valueOf(devTemplate.toJSON())).doesNotContain("secretsmanager:GetSecretValue");
  }

  /**
   * Issue 21, blocker 3: what only this stack and storage create (ledger, release parameters, alarm topic) the hook
   * gets by a policy here on its role, a reference from this stack to compute (never back).
   */
  @Test
  @SuppressWarnings("unchecked")
  void theHooksRoleGetsTheLedgerReleaseParametersAndTopicFromAPolicyInThisStack() {
    Map<String, Map<String, Object>> policies = devTemplate.findResources("AWS::IAM::Policy",
        Map.of("Properties", Match.objectLike(Map.of("Roles", List.of(Map.of("Fn::ImportValue",
            Match.stringLikeRegexp(".*BffCanaryHookRole.*")))))));
    assertThat(policies).hasSize(1);
    String doc = String.valueOf(((Map<String, Object>) policies.values().iterator().next().get("Properties"))
        .get("PolicyDocument"));
    assertThat(doc).contains("dynamodb:PutItem").contains(logicalId(dev.deployment().ledger()))
        .contains("ssm:PutParameter").contains("sns:Publish").contains("kms:GenerateDataKey");
  }

  /** A logical ID without CDK's 8-hex-digit hash, as statementsOfRole renders it. */
  private static String withoutHash(String id) {
    return id.replaceAll("[0-9A-F]{8}$", "");
  }

  /** Hole 7: task items expire. Before: no TimeToLiveSpecification, so TASK# items grew forever. */
  @Test
  void theLedgerExpiresItemsByTheirExpiresAtAttribute() {
    devTemplate.hasResourceProperties("AWS::DynamoDB::Table", Map.of("TimeToLiveSpecification",
        Map.of("AttributeName", "expiresAt", "Enabled", true)));
  }

  /**
   * Hole 6: a permanent failure of either function pages someone. One alarm per function on the
   * FunctionFailures metric, with the Function dimension only (one series per function).
   */
  @Test
  void eachFunctionsPermanentFailuresRaiseAnAlarmOnTheAlarmTopic() {
    for (String function : List.of("image-deployer", "guard", "revision-cleanup")) {
      devTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", Map.of(
          "Namespace", "GitOps/Deployments", "MetricName", "FunctionFailures",
          "Dimensions", List.of(Map.of("Name", "Function", "Value", function)),
          "Statistic", "Sum", "Threshold", 1, "ComparisonOperator", "GreaterThanOrEqualToThreshold",
          "AlarmActions", List.of(Match.anyValue())));
    }
    prodTemplate.resourcePropertiesCountIs("AWS::CloudWatch::Alarm",
        Map.of("MetricName", "FunctionFailures"), 2);
  }

  /** Hole 8: the functions know their timeout (time budget, same-event take-over). */
  @Test
  void functionsAreToldTheirTimeoutAndALeaseOfTwiceIt() {
    devTemplate.resourcePropertiesCountIs("AWS::Lambda::Function", Map.of("Timeout", 60,
        "Environment", Map.of("Variables", Match.objectLike(Map.of("FUNCTION_TIMEOUT_SECONDS", "60",
            "LOCK_LEASE_SECONDS", "120")))), 3);
  }

  /** Issue 15: the cleanup runs daily, reports only in production, and may touch only what it cleans. */
  @Test
  void revisionCleanupRunsDailyThroughItsAliasAndOnlyReportsInProduction() {
    devTemplate.hasResourceProperties("AWS::Events::Rule", Map.of("ScheduleExpression", "rate(1 day)",
        "Targets", List.of(Match.objectLike(Map.of("Arn", Map.of("Ref",
            logicalId(dev.deployment().revisionCleanup().alias())))))));
    devTemplate.hasResourceProperties("AWS::Lambda::Function", Map.of(
        "Handler", FunctionHandler.REVISION_CLEANUP.handler(),
        "Environment", Map.of("Variables", Match.objectLike(Map.of(EnvVar.CLEANUP_DRY_RUN, "false",
            EnvVar.CLEANUP_KEEP_HEALTHY, "5")))));
    prodTemplate.hasResourceProperties("AWS::Lambda::Function", Map.of(
        "Handler", FunctionHandler.REVISION_CLEANUP.handler(),
        "Environment", Map.of("Variables", Match.objectLike(Map.of(EnvVar.CLEANUP_DRY_RUN, "true")))));
  }

  @Test
  void revisionCleanupMayOnlyReadTheLedgerAndReleasesAndDeregisterRevisions() {
    List<String> statements = statementsOfRole(devTemplate, logicalId(dev.deployment().revisionCleanup().role()));
    assertThat(statements).filteredOn(s -> s.endsWith(" on *")).containsExactly(
        "ecs:DeleteTaskDefinitions,ecs:DeregisterTaskDefinition,ecs:ListTaskDefinitions on *");
    assertThat(statements).anyMatch(s -> s.startsWith("ecs:DescribeServices on ") && !s.contains("*"));
    assertThat(statements).anyMatch(s -> s.startsWith("dynamodb:GetItem,dynamodb:Query on "));
    assertThat(statements).anyMatch(s -> s.startsWith("ssm:GetParameter on ") && s.contains("parameter/gitops/dev/release/bff"));
    assertThat(statements).noneMatch(s -> s.contains("UpdateService") || s.contains("RegisterTaskDefinition,")
        || s.contains("PutItem") || s.contains("UpdateItem") || s.contains("PutParameter"));
  }

  /** Issue 15: the release tags are moved on the services' own repositories only, and nothing else in ECR. */
  @Test
  void revisionCleanupMayRetagAndUntagOnlyTheServicesRepositories() {
    List<String> statements = statementsOfRole(devTemplate, logicalId(dev.deployment().revisionCleanup().role()));
    List<String> ecr = statements.stream().filter(s -> s.contains("ecr:")).toList();

    assertThat(ecr).hasSize(1);
    assertThat(ecr.get(0)).startsWith("ecr:BatchDeleteImage,ecr:BatchGetImage,ecr:DescribeImages,ecr:PutImage on ")
        .doesNotContain("*").doesNotContain("ecr:*");
    assertThat(ecr.get(0).split(" on ")[1].split(",")).hasSize(dev.storage().repositories().size())
        .allMatch(arn -> arn.contains(":repository/"));
  }

  /** bin/gitops release/dora find an environment in an account through this parameter. */
  @Test
  void theOperatorWiringParameterHoldsTheDeployersVariables() {
    devTemplate.hasResourceProperties("AWS::SSM::Parameter", Map.of(
        "Name", io.gitops.contract.OperatorWiring.parameterName("dev"),
        "Type", "String",
        "Value", Match.objectLike(Map.of("Fn::Join", Match.arrayWith(List.of(Match.arrayWith(List.of(
            Match.stringLikeRegexp(".*LEDGER_TABLE.*")))))))));
  }
}
