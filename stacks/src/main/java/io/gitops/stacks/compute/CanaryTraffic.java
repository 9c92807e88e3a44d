package io.gitops.stacks.compute;

import io.gitops.contract.CanaryTestRoute;
import io.gitops.stacks.config.DeploymentStrategy;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ecs.AlarmBehavior;
import software.amazon.awscdk.services.ecs.AlternateTarget;
import software.amazon.awscdk.services.ecs.AlternateTargetProps;
import software.amazon.awscdk.services.ecs.DeploymentAlarmOptions;
import software.amazon.awscdk.services.ecs.DeploymentLifecycleLambdaTarget;
import software.amazon.awscdk.services.ecs.DeploymentLifecycleLambdaTargetProps;
import software.amazon.awscdk.services.ecs.DeploymentLifecycleStage;
import software.amazon.awscdk.services.ecs.ListenerRuleConfiguration;
import software.amazon.awscdk.services.ecs.LoadBalancerTargetOptions;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationListenerRule;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck;
import software.amazon.awscdk.services.elasticloadbalancingv2.IApplicationListener;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerAction;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerCondition;
import software.amazon.awscdk.services.elasticloadbalancingv2.Protocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.TargetType;
import software.amazon.awscdk.services.elasticloadbalancingv2.WeightedTargetGroup;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.constructs.Construct;

/**
 * The public service's ECS-native traffic shifting (canary, linear or blue/green): the alternate target
 * group ECS puts the new revision in, the test listener rule that reaches only the new revision (requests
 * carrying the {@link CanaryTestRoute#HEADER} header with the generated secret's value, which only the guard's
 * smoke probe knows), the production listener rule whose weights ECS shifts, the ECS
 * infrastructure role that modifies them, the deployment alarms that roll back on their own, and the
 * lifecycle hook: the guard's canary analysis in a function of its own (Amazon ECS developer guide, "Amazon ECS canary deployments",
 * "Lifecycle hooks for Amazon ECS service deployments", "Amazon ECS infrastructure IAM role for load
 * balancers").
 */
public final class CanaryTraffic extends Construct {

  /** The stages the analysis hook is registered for (README, "Progressive delivery"). */
  public static final List<DeploymentLifecycleStage> HOOK_STAGES = List.of(
      DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT, DeploymentLifecycleStage.PRODUCTION_TRAFFIC_SHIFT,
      DeploymentLifecycleStage.POST_PRODUCTION_TRAFFIC_SHIFT);
  /** The analysis measures once a minute: CloudWatch's ALB metrics have one-minute data points. */
  public static final Duration ANALYSIS_INTERVAL = Duration.minutes(1);
  /** The 5xx share (percent) of the service's responses that rolls a deployment back on its own. */
  public static final double ALARM_5XX_PERCENT = 5;

  /**
   * @param environment     the environment (names the hook function, tags)
   * @param service         the public service
   * @param vpc             the VPC
   * @param listener        the ALB listener carrying both rules
   * @param targetGroup     the production target group (created by the stack, with its health check)
   * @param testRulePriority the test rule's priority (evaluated before the production rule)
   */
  public record Props(EnvironmentConfig environment, Microservice service, IVpc vpc, IApplicationListener listener,
      ApplicationTargetGroup targetGroup, int testRulePriority) {
    public Props {
      Objects.requireNonNull(environment, "environment");
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(targetGroup, "targetGroup");
      if (!service.config().deployment().shiftsTraffic()) {
        throw new IllegalArgumentException(service.config().name() + " deploys rolling; no traffic to shift");
      }
    }
  }

  private final ApplicationTargetGroup alternateTargetGroup;
  private final ApplicationListenerRule testRule;
  private final software.amazon.awscdk.services.secretsmanager.Secret testRouteSecret;
  private final Role infrastructureRole;
  // Set by attach(): they name the production rule's service.
  private Alarm errorRateAlarm;
  private Alarm unhealthyHostsAlarm;
  private String hookFunctionArn;
  private Role hookRole;

  public CanaryTraffic(Construct scope, String id, Props props) {
    super(scope, id);
    this.props = props;
    Microservice front = props.service();

    alternateTargetGroup = ComputeStack.serviceTargetGroup(this, "AlternateTargetGroup", props.vpc(), front);

    // The test route is for the guard's smoke probe only: anyone on the internet could otherwise reach the new
    // revision before it takes production traffic. CloudFormation resolves the value into the rule at deploy time
    // (a secretsmanager dynamic reference may be used in any resource property); it is never in a template, an
    // environment variable or a log. Not rotated: the rule holds the value it had at the last deployment, so a
    // rotation would lock the probe out until the next one.
    testRouteSecret = software.amazon.awscdk.services.secretsmanager.Secret.Builder.create(this, "TestRouteSecret")
        .description("Value of the " + CanaryTestRoute.HEADER + " header that reaches " + front.config().name()
            + "'s new revision through the test listener rule (" + props.environment().name() + ")")
        .generateSecretString(software.amazon.awscdk.services.secretsmanager.SecretStringGenerator.builder()
            .passwordLength(CanaryTestRoute.SECRET_LENGTH)
            .excludePunctuation(true)
            .includeSpace(false)
            .build())
        .build();
    Nag.acknowledge(testRouteSecret, "AwsSolutions-SMG4",
        "The test route's header value is copied into the test listener rule at deploy time; a rotation would lock "
            + "the guard's probe out of the route until the next deployment. It grants no data access: it only lets "
            + "the probe reach the new revision's health path before production traffic does");
    // ECS points this rule at the new revision during a deployment (it moves the rule's weights to the group the
    // new tasks are in); outside one it follows production.
    testRule = ApplicationListenerRule.Builder.create(this, "TestListenerRule")
        .listener(props.listener())
        .priority(props.testRulePriority())
        .conditions(List.of(ListenerCondition.httpHeader(CanaryTestRoute.HEADER,
            List.of(testRouteSecret.getSecretValue().unsafeUnwrap()))))
        .action(forwardToPrimary())
        .build();
    // AWS::ElasticLoadBalancingV2::ListenerRule takes no Tags (cfn-lint E3002).
    props.environment().tags().keySet().forEach(tag -> Tags.of(testRule).remove(tag));

    infrastructureRole = Role.Builder.create(this, "InfrastructureRole")
        .assumedBy(new ServicePrincipal("ecs.amazonaws.com"))
        .description("ECS shifts " + front.config().name() + "'s listener rules and target groups ("
            + props.environment().name() + ")")
        .build();

    infrastructureRole.addManagedPolicy(software.amazon.awscdk.services.iam.ManagedPolicy.fromAwsManagedPolicyName(
        "AmazonECSInfrastructureRolePolicyForLoadBalancers"));
    Nag.acknowledge(infrastructureRole,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]",
        "AmazonECSInfrastructureRolePolicyForLoadBalancers is the policy ECS documents for shifting listener rules "
            + "and target groups in blue/green, linear and canary deployments; ECS needs its rule and target "
            + "group actions on resources it discovers during the deployment");
  }

  private final Props props;

  /**
   * A forward to both of the service's groups, all weight on the primary: ECS shifts traffic by changing the weights
   * of the groups a rule already forwards to, so the alternate group must be on the production and the test rule
   * from the start (Amazon ECS developer guide, "Application Load Balancer resources for blue/green, linear, and
   * canary deployments"; "Troubleshooting Amazon ECS blue/green deployments").
   */
  public ListenerAction forwardToPrimary() {
    return ListenerAction.weightedForward(List.of(
        WeightedTargetGroup.builder().targetGroup(props.targetGroup()).weight(100).build(),
        WeightedTargetGroup.builder().targetGroup(alternateTargetGroup).weight(0).build()));
  }

  /**
   * Hands the service to ECS's traffic shifting on {@code productionRule} (which must forward with
   * {@link #forwardToPrimary()}), with its deployment alarms and its analysis hook.
   */
  public void attach(ApplicationListenerRule productionRule) {
    Microservice front = props.service();
    ApplicationTargetGroup production = props.targetGroup();
    production.addTarget(front.service().loadBalancerTarget(LoadBalancerTargetOptions.builder()
        .containerName(front.container().getContainerName())
        .containerPort(front.config().port())
        .alternateTarget(new AlternateTarget("AlternateTarget", AlternateTargetProps.builder()
            .alternateTargetGroup(alternateTargetGroup)
            .productionListener(ListenerRuleConfiguration.applicationListenerRule(productionRule))
            .testListener(ListenerRuleConfiguration.applicationListenerRule(testRule))
            .role(infrastructureRole)
            .build()))
        .build()));

    String loadBalancer = production.getFirstLoadBalancerFullName();
    errorRateAlarm = Alarm.Builder.create(this, "ErrorRateAlarm")
        .alarmDescription(front.config().name() + " (" + props.environment().name() + "): over "
            + (int) ALARM_5XX_PERCENT + "% of responses are 5xx; during a deployment ECS rolls back on its own")
        .metric(MathExpression.Builder.create()
            .expression("100 * (FILL(e1, 0) + FILL(e2, 0)) / (r1 + r2)")
            .usingMetrics(ordered(
                "e1", targetGroupMetric("HTTPCode_Target_5XX_Count", "Sum", loadBalancer, production),
                "e2", targetGroupMetric("HTTPCode_Target_5XX_Count", "Sum", loadBalancer, alternateTargetGroup),
                "r1", targetGroupMetric("RequestCount", "Sum", loadBalancer, production),
                "r2", targetGroupMetric("RequestCount", "Sum", loadBalancer, alternateTargetGroup)))
            .period(Duration.minutes(1))
            .label("5xx percent")
            .build())
        .threshold(ALARM_5XX_PERCENT)
        .evaluationPeriods(2)
        .datapointsToAlarm(2)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build();
    unhealthyHostsAlarm = Alarm.Builder.create(this, "UnhealthyHostsAlarm")
        .alarmDescription(front.config().name() + " (" + props.environment().name() + "): a target is unhealthy; "
            + "during a deployment ECS rolls back on its own")
        .metric(MathExpression.Builder.create()
            .expression("MAX([u1, u2])")
            .usingMetrics(ordered(
                "u1", targetGroupMetric("UnHealthyHostCount", "Maximum", loadBalancer, production),
                "u2", targetGroupMetric("UnHealthyHostCount", "Maximum", loadBalancer, alternateTargetGroup)))
            .period(Duration.minutes(1))
            .label("unhealthy targets")
            .build())
        .threshold(1)
        .evaluationPeriods(3)
        .datapointsToAlarm(2)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build();
    front.service().enableDeploymentAlarms(List.of(errorRateAlarm.getAlarmName(), unhealthyHostsAlarm.getAlarmName()),
        DeploymentAlarmOptions.builder().behavior(AlarmBehavior.ROLLBACK_ON_ALARM).build());
  }

  /**
   * The analysis hook: ECS invokes {@code hook}'s alias at {@link #HOOK_STAGES} with a role of its own. The target is
   * a reference to the alias in this stack, so CloudFormation creates it before the service (ECS validates a hook's
   * target; issue 21, blocker 3).
   */
  public void analysisHook(CanaryHookFunction hook) {
    Microservice front = props.service();
    hookFunctionArn = hook.alias().getFunctionArn();
    hookRole = Role.Builder.create(this, "HookRole")
        .assumedBy(new ServicePrincipal("ecs.amazonaws.com"))
        .description("ECS invokes the canary analysis hook of " + front.config().name() + " ("
            + props.environment().name() + ")")
        .build();
    front.service().addLifecycleHook(new DeploymentLifecycleLambdaTarget(hook.alias(), "AnalysisHookTarget",
        DeploymentLifecycleLambdaTargetProps.builder().lifecycleStages(HOOK_STAGES).role(hookRole).build()));
    // Exactly the hook alias: what ECS calls, nothing else of the function.
    hookRole.addToPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
        .actions(List.of("lambda:InvokeFunction")).resources(List.of(hookFunctionArn)).build());
  }

  /** Metric ids in a fixed order: Map.of's order changes between JVMs, and the template must not. */
  private static Map<String, IMetric> ordered(Object... idsAndMetrics) {
    Map<String, IMetric> out = new java.util.TreeMap<>();
    for (int i = 0; i < idsAndMetrics.length; i += 2) out.put((String) idsAndMetrics[i], (IMetric) idsAndMetrics[i + 1]);
    return out;
  }

  private static IMetric targetGroupMetric(String name, String statistic, String loadBalancer,
      ApplicationTargetGroup group) {
    Map<String, String> dims = new LinkedHashMap<>();
    dims.put("LoadBalancer", loadBalancer);
    dims.put("TargetGroup", group.getTargetGroupFullName());
    return Metric.Builder.create().namespace("AWS/ApplicationELB").metricName(name).dimensionsMap(dims)
        .statistic(statistic).period(Duration.minutes(1)).build();
  }

  public ApplicationTargetGroup alternateTargetGroup() {
    return alternateTargetGroup;
  }

  public ApplicationListenerRule testRule() {
    return testRule;
  }

  /** The generated value of the test route's header: the test rule's condition, and what the guard's probe sends. */
  public software.amazon.awscdk.services.secretsmanager.Secret testRouteSecret() {
    return testRouteSecret;
  }

  public Role infrastructureRole() {
    return infrastructureRole;
  }

  public Alarm errorRateAlarm() {
    return errorRateAlarm;
  }

  public Alarm unhealthyHostsAlarm() {
    return unhealthyHostsAlarm;
  }

  public Role hookRole() {
    return hookRole;
  }

  public String hookFunctionArn() {
    return hookFunctionArn;
  }
}
