package io.gitops.stacks.monitoring;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.EnvironmentConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.services.cloudtrail.Trail;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.IWidget;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.ecs.IBaseService;
import software.amazon.awscdk.services.elasticloadbalancingv2.HttpCodeElb;
import software.amazon.awscdk.services.elasticloadbalancingv2.HttpCodeTarget;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import io.gitops.stacks.security.KeyPolicies;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.ObjectLockRetention;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.sns.Topic;
import software.constructs.Construct;

/**
 * Observability of one environment: CloudTrail, the encrypted alarm topic, the dashboard, and the
 * compute alarms.
 *
 * <p>Why the compute alarms are here and not in the compute stack: the topic they notify is created
 * here, and this stack comes after compute in the chain (network → … → compute → monitoring). An
 * alarm in compute would need the topic from a later stack, i.e. a reference pointing backwards,
 * which makes the chain cyclic. Alarms here only read compute's metrics through typed references,
 * which point forward like every other reference in the chain.
 */
public class MonitoringStack extends PlatformStack {

  /** ALB 5xx responses (load balancer and targets) as a share of requests, in percent. */
  public static final double ALB_5XX_RATE_PERCENT = 5;
  static final String CONTAINER_INSIGHTS = "ECS/ContainerInsights";

  private final Key key;
  private final Topic alarmTopic;
  private final Trail trail;
  private final Dashboard dashboard;
  private final Map<String, Alarm> alarms = new LinkedHashMap<>();

  public MonitoringStack(Construct scope, String id, EnvironmentConfig config, MonitoringStackProps props) {
    super(scope, id, config, "CloudTrail, alarm topic, dashboard and alarms");
    RemovalPolicy removal = config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // S3 server access logging through a bucket policy rather than the legacy LogDeliveryWrite ACL
    // (cfn-lint W3045); the CDK feature flag is scoped to this stack.
    getNode().setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);

    key = Key.Builder.create(this, "Key")
        .description("Alarm topic, CloudTrail and the deployers' logs (" + config.name() + ")")
        .enableKeyRotation(true)
        .removalPolicy(removal)
        .build();
    KeyPolicies.restrictGrants(key);
    // The trail's log group and the deployment stack's function logs are encrypted with this key.
    KeyPolicies.allowCloudWatchLogs(key, config.target().account(), config.target().region());
    // CloudTrail encrypts log files with the key, for trails of this account only (AWS CloudTrail
    // User Guide, "Configure AWS KMS key policies for CloudTrail").
    key.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("AllowCloudTrailEncrypt")
        .principals(List.of(new ServicePrincipal("cloudtrail.amazonaws.com")))
        .actions(List.of("kms:GenerateDataKey*"))
        .resources(List.of("*"))
        .conditions(Map.of(
            "StringLike", Map.of("kms:EncryptionContext:aws:cloudtrail:arn",
                "arn:" + software.amazon.awscdk.Aws.PARTITION + ":cloudtrail:*:" + config.target().account() + ":trail/*"),
            "StringEquals", Map.of("aws:SourceAccount", config.target().account())))
        .build());
    key.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("AllowCloudTrailDescribeKey")
        .principals(List.of(new ServicePrincipal("cloudtrail.amazonaws.com")))
        .actions(List.of("kms:DescribeKey"))
        .resources(List.of("*"))
        .build());
    // CloudWatch alarms publish to an encrypted topic only if CloudWatch may use its key. In a key
    // policy, the resource "*" means this key.
    key.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("AllowCloudWatchAlarms")
        .principals(List.of(new ServicePrincipal("cloudwatch.amazonaws.com")))
        .actions(List.of("kms:Decrypt", "kms:GenerateDataKey"))
        .resources(List.of("*"))
        .conditions(Map.of("StringEquals", Map.of("aws:SourceAccount", config.target().account())))
        .build());

    alarmTopic = Topic.Builder.create(this, "AlarmTopic")
        .displayName("gitops " + config.name() + " alarms")
        .masterKey(key)
        .enforceSsl(true)
        .build();

    Bucket accessLogs = Bucket.Builder.create(this, "TrailAccessLogs")
        .encryption(BucketEncryption.S3_MANAGED)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .versioned(true)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_PREFERRED)
        .lifecycleRules(List.of(LifecycleRule.builder().expiration(Duration.days(90)).build()))
        .removalPolicy(removal)
        .autoDeleteObjects(false)
        .build();
    Bucket.Builder trailBucketBuilder = Bucket.Builder.create(this, "TrailBucket")
        .encryption(BucketEncryption.KMS)
        .encryptionKey(key)
        .bucketKeyEnabled(true)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .versioned(true)
        .serverAccessLogsBucket(accessLogs)
        .serverAccessLogsPrefix("trail/")
        .lifecycleRules(List.of(LifecycleRule.builder().expiration(Duration.days(365)).build()))
        .removalPolicy(removal);
    if (config.isProduction()) {
      // Prod's audit log files cannot be overwritten or deleted for a year, not even by an
      // administrator without the governance bypass permission (CT.S3.PR.9).
      trailBucketBuilder.objectLockEnabled(true)
          .objectLockDefaultRetention(ObjectLockRetention.governance(Duration.days(365)));
    }
    Bucket trailBucket = trailBucketBuilder.build();
    LogGroup trailLogs = LogGroup.Builder.create(this, "TrailLogs")
        .encryptionKey(key)
        .retention(RetentionDays.ONE_YEAR)
        .removalPolicy(removal)
        .build();
    trail = Trail.Builder.create(this, "Trail")
        .bucket(trailBucket)
        .encryptionKey(key)
        .sendToCloudWatchLogs(true)
        .cloudWatchLogGroup(trailLogs)
        .enableFileValidation(true)
        .includeGlobalServiceEvents(true)
        .isMultiRegionTrail(true)
        .build();

    alarms(config, props);
    dashboard = dashboard(config, props);
  }

  private void alarms(EnvironmentConfig config, MonitoringStackProps props) {
    SnsAction notify = new SnsAction(alarmTopic);
    for (Map.Entry<String, IBaseService> entry : props.services().entrySet()) {
      String name = entry.getKey();
      Alarm alarm = Alarm.Builder.create(this, pascal(name) + "RunningBelowDesired")
          .alarmDescription(name + " (" + config.name() + "): fewer tasks running than desired for 3 minutes")
          .metric(MathExpression.Builder.create()
              .expression("desired - running")
              .usingMetrics(Sorted.map(Map.of(
                  "desired", taskCount("DesiredTaskCount", props, entry.getValue()),
                  "running", taskCount("RunningTaskCount", props, entry.getValue()))))
              .period(Duration.minutes(1))
              .label(name + " tasks missing")
              .build())
          .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
          .threshold(0)
          .evaluationPeriods(3)
          .datapointsToAlarm(3)
          .treatMissingData(TreatMissingData.MISSING)
          .build();
      add(name + "-running-below-desired", alarm, notify);
    }

    Alarm unhealthy = Alarm.Builder.create(this, "UnhealthyTargets")
        .alarmDescription("Public target group (" + config.name() + "): at least one unhealthy target for 2 minutes")
        .metric(unhealthyTargets(props))
        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
        .threshold(0)
        .evaluationPeriods(2)
        .datapointsToAlarm(2)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build();
    add("unhealthy-targets", unhealthy, notify);

    Alarm alb5xx = Alarm.Builder.create(this, "Alb5xxRate")
        .alarmDescription("ALB (" + config.name() + "): more than " + ALB_5XX_RATE_PERCENT
            + "% of requests answered 5xx in 3 of 5 minutes")
        .metric(alb5xxRate(props))
        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
        .threshold(ALB_5XX_RATE_PERCENT)
        .evaluationPeriods(5)
        .datapointsToAlarm(3)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build();
    add("alb-5xx-rate", alb5xx, notify);
  }

  /**
   * The public service's unhealthy targets: with one group its count, with a canary's two the larger of both, since
   * ECS swaps which group serves production at every deployment. Dimensions from the groups' and the ALB's full
   * names: CDK's own metric derives the LoadBalancer dimension by splitting the listener ARN, and Fn::Split over a
   * cross-stack Fn::GetStackOutput is rejected by cfn-lint (E1022).
   */
  private static IMetric unhealthyTargets(MonitoringStackProps props) {
    List<Metric> groups = new ArrayList<>();
    for (var group : props.targetGroups()) {
      groups.add(Metric.Builder.create()
          .namespace("AWS/ApplicationELB")
          .metricName("UnHealthyHostCount")
          .dimensionsMap(Map.of(
              "TargetGroup", group.getTargetGroupFullName(),
              "LoadBalancer", props.alb().getLoadBalancerFullName()))
          .statistic("Maximum")
          .period(Duration.minutes(1))
          .build());
    }
    if (groups.size() == 1) {
      return groups.get(0);
    }
    Map<String, IMetric> using = new java.util.TreeMap<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < groups.size(); i++) {
      ids.add("u" + (i + 1));
      using.put("u" + (i + 1), groups.get(i));
    }
    return MathExpression.Builder.create()
        .expression("MAX([" + String.join(", ", ids) + "])")
        .usingMetrics(using)
        .period(Duration.minutes(1))
        .label("unhealthy targets (either group)")
        .build();
  }

  private void add(String key, Alarm alarm, SnsAction notify) {
    alarm.addAlarmAction(notify);
    alarm.addOkAction(notify);
    alarms.put(key, alarm);
  }

  private static IMetric alb5xxRate(MonitoringStackProps props) {
    MetricOptions sum = MetricOptions.builder().period(Duration.minutes(1)).statistic("Sum").build();
    return MathExpression.Builder.create()
        .expression("IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)")
        .usingMetrics(Sorted.map(Map.of(
            "requests", props.alb().getMetrics().requestCount(sum),
            "elb5xx", props.alb().getMetrics().httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, sum),
            "target5xx", props.alb().getMetrics().httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, sum))))
        .period(Duration.minutes(1))
        .label("5xx rate (%)")
        .build();
  }

  /** Container Insights task counts of one service. */
  private static Metric taskCount(String metricName, MonitoringStackProps props, IBaseService service) {
    return serviceMetric(CONTAINER_INSIGHTS, metricName, props, service).build();
  }

  /** A one-minute average of one service's metric, by the cluster and service dimensions ECS publishes. */
  private static Metric.Builder serviceMetric(String namespace, String metricName, MonitoringStackProps props,
      IBaseService service) {
    return Metric.Builder.create()
        .namespace(namespace)
        .metricName(metricName)
        .dimensionsMap(Map.of(
            "ClusterName", props.cluster().getClusterName(),
            "ServiceName", service.getServiceName()))
        .statistic("Average")
        .period(Duration.minutes(1));
  }

  private Dashboard dashboard(EnvironmentConfig config, MonitoringStackProps props) {
    MetricOptions sum = MetricOptions.builder().period(Duration.minutes(1)).statistic("Sum").build();
    List<IWidget> alb = List.of(
        graph("ALB requests", List.of(props.alb().getMetrics().requestCount(sum))),
        graph("ALB 5xx", List.of(
            props.alb().getMetrics().httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, sum),
            props.alb().getMetrics().httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, sum))),
        graph("ALB target latency (p50, p99)", List.of(
            props.alb().getMetrics().targetResponseTime(MetricOptions.builder().statistic("p50").build()),
            props.alb().getMetrics().targetResponseTime(MetricOptions.builder().statistic("p99").build()))));
    List<IMetric> cpu = new ArrayList<>();
    List<IMetric> memory = new ArrayList<>();
    List<IWidget> counts = new ArrayList<>();
    for (Map.Entry<String, IBaseService> entry : props.services().entrySet()) {
      cpu.add(ecsUtilization("CPUUtilization", props, entry.getValue(), entry.getKey()));
      memory.add(ecsUtilization("MemoryUtilization", props, entry.getValue(), entry.getKey()));
      counts.add(graph(entry.getKey() + ": running vs desired tasks", List.of(
          taskCount("RunningTaskCount", props, entry.getValue()).with(MetricOptions.builder().label("running").build()),
          taskCount("DesiredTaskCount", props, entry.getValue()).with(MetricOptions.builder().label("desired").build()))));
    }
    Dashboard board = Dashboard.Builder.create(this, "Dashboard")
        .widgets(List.of(
            alb,
            List.of(graph("ECS CPU utilization (%)", cpu), graph("ECS memory utilization (%)", memory),
                graph("Aurora connections", List.of(props.database().metricDatabaseConnections()))),
            counts,
            doraRow()))
        .build();
    // AWS::CloudWatch::Dashboard takes no Tags (cfn-lint E3002); the stage tags everything.
    config.tags().keySet().forEach(tag -> Tags.of(board).remove(tag));
    return board;
  }

  /**
   * DORA's measures from the functions' EMF metrics (docs/dora.md; `bin/gitops dora` computes them from the ledger,
   * which is the reference). The functions write every metric with the dimensions {@code Function, ColdStart}: a
   * count is the sum of both series; a latency is shown per series (percentiles do not add).
   */
  private static List<IWidget> doraRow() {
    Duration day = Duration.days(1);
    IMetric deployments = sumOfSeries("deployments", day, Map.of(
        "ds", FunctionMetric.of("image-deployer", "DeploymentsStarted"),
        "pr", FunctionMetric.of("guard", "PipelineDeploymentsRecorded")));
    IMetric rollbacks = sumOfSeries("rollbacks", day, Map.of("rb", FunctionMetric.of("guard", "Rollbacks")));
    return List.of(
        graph("DORA: deployments and rollbacks per day", List.of(deployments, rollbacks)),
        graph("DORA: change lead time, push to HEALTHY (p50, ms)", latency("guard", "TimeToHealthy")),
        graph("DORA: change fail and rework rate (%, daily)", List.of(
            MathExpression.Builder.create().label("change fail rate").period(day)
                .expression("IF(deployments > 0, 100 * rollbacks / deployments, 0)")
                .usingMetrics(Sorted.map(Map.of("rollbacks", rollbacks, "deployments", deployments))).build(),
            MathExpression.Builder.create().label("rework rate (rollbacks only)").period(day)
                .expression("IF(deployments + rollbacks > 0, 100 * rollbacks / (deployments + rollbacks), 0)")
                .usingMetrics(Sorted.map(Map.of("rollbacks", rollbacks, "deployments", deployments))).build())),
        graph("DORA: failed deployment recovery, first failure to rollback (p50, ms)",
            latency("guard", "TimeFromFirstFailureToRollback")));
  }

  /** One function metric as the functions write it (docs/lambda-config.md, "Logs and metrics"). */
  private record FunctionMetric(String function, String name) {
    static FunctionMetric of(String function, String name) {
      return new FunctionMetric(function, name);
    }

    Metric series(boolean coldStart, String statistic, Duration period) {
      return Metric.Builder.create().namespace(io.gitops.contract.Telemetry.METRICS_NAMESPACE).metricName(name)
          .dimensionsMap(Sorted.map(Map.of("Function", function, "ColdStart", Boolean.toString(coldStart))))
          .statistic(statistic).period(period).build();
    }
  }

  /** The daily sum of every metric given, over both ColdStart series (missing data counts as 0). */
  private static IMetric sumOfSeries(String label, Duration period, Map<String, FunctionMetric> metrics) {
    Map<String, IMetric> using = new LinkedHashMap<>();
    List<String> terms = new ArrayList<>();
    Sorted.map(metrics).forEach((id, m) -> { // sorted: Map.of iterates in a different order per JVM
      using.put(id + "w", m.series(false, "Sum", period));
      using.put(id + "c", m.series(true, "Sum", period));
      terms.add("FILL(" + id + "w, 0) + FILL(" + id + "c, 0)");
    });
    return MathExpression.Builder.create().label(label).period(period).expression(String.join(" + ", terms))
        .usingMetrics(Sorted.map(using)).build();
  }

  private static List<IMetric> latency(String function, String name) {
    FunctionMetric m = FunctionMetric.of(function, name);
    return List.of(m.series(false, "p50", Duration.hours(1)).with(MetricOptions.builder().label("warm").build()),
        m.series(true, "p50", Duration.hours(1)).with(MetricOptions.builder().label("cold start").build()));
  }

  private static Metric ecsUtilization(String metricName, MonitoringStackProps props, IBaseService service, String label) {
    return serviceMetric("AWS/ECS", metricName, props, service).label(label).build();
  }

  private static GraphWidget graph(String title, List<? extends IMetric> metrics) {
    return GraphWidget.Builder.create().title(title).left(List.copyOf(metrics)).width(8).build();
  }

  static String pascal(String name) {
    StringBuilder out = new StringBuilder();
    for (String part : name.split("-")) {
      out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return out.toString();
  }

  /** The encrypted topic for alarms and deployment notifications; publishers get grantPublish. */
  public Topic alarmTopic() {
    return alarmTopic;
  }

  public Trail trail() {
    return trail;
  }

  public Dashboard dashboard() {
    return dashboard;
  }

  /** Alarms by key ("bff-running-below-desired", "unhealthy-targets", "alb-5xx-rate"). */
  public Map<String, Alarm> alarms() {
    return java.util.Collections.unmodifiableMap(alarms);
  }

  public Key key() {
    return key;
  }
}
