package io.gitops.stacks.monitoring;

import static io.gitops.stacks.compute.ComputeFixture.logicalId;
import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.PlatformStacks;
import io.gitops.stacks.compute.ComputeFixture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The monitoring stack of dev: trail, topic, dashboard and the compute alarms. */
class MonitoringStackTest {

  static PlatformStacks dev;
  static Template template;
  static String topic;

  @BeforeAll
  static void synthesize() {
    dev = ComputeFixture.dev();
    template = Template.fromStack(dev.monitoring());
    topic = logicalId(dev.monitoring().alarmTopic());
  }

  @Test
  void monitoringFollowsComputeAndComputeNeverReferencesMonitoring() {
    assertThat(dev.monitoring().getDependencies()).contains(dev.compute());
    assertThat(dev.compute().getDependencies()).doesNotContain(dev.monitoring());
  }

  @Test
  void alarmTopicIsEncryptedWithARotatingKeyThatCloudWatchMayUse() {
    template.hasResourceProperties("AWS::SNS::Topic", Match.objectLike(Map.of(
        "KmsMasterKeyId", Map.of("Fn::GetAtt", List.of(logicalId(dev.monitoring().key()), "Arn")))));
    template.hasResourceProperties("AWS::KMS::Key", Match.objectLike(Map.of(
        "EnableKeyRotation", true,
        "KeyPolicy", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Sid", "AllowCloudWatchAlarms",
            "Principal", Map.of("Service", "cloudwatch.amazonaws.com"),
            "Action", List.of("kms:Decrypt", "kms:GenerateDataKey"))))))))));
  }

  @Test
  void alarmTopicRefusesUnencryptedTransport() {
    template.hasResourceProperties("AWS::SNS::TopicPolicy", Match.objectLike(Map.of(
        "PolicyDocument", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Effect", "Deny",
            "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))))));
  }

  @Test
  void cloudTrailWritesValidatedLogsToAnEncryptedPrivateBucket() {
    String key = logicalId(dev.monitoring().key());
    template.hasResourceProperties("AWS::CloudTrail::Trail", Match.objectLike(Map.of(
        "IsLogging", true,
        "EnableLogFileValidation", true,
        "IsMultiRegionTrail", true,
        "IncludeGlobalServiceEvents", true,
        "S3BucketName", Map.of("Ref", Match.stringLikeRegexp("TrailBucket.*")),
        // Encrypted with the stack's key, and delivered to an encrypted CloudWatch Logs group too.
        "KMSKeyId", Map.of("Fn::GetAtt", List.of(key, "Arn")),
        "CloudWatchLogsLogGroupArn", Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("TrailLogs.*"), "Arn")))));
    template.hasResourceProperties("AWS::Logs::LogGroup", Map.of(
        "KmsKeyId", Map.of("Fn::GetAtt", List.of(key, "Arn")), "RetentionInDays", 365));
    template.allResourcesProperties("AWS::S3::Bucket", Match.objectLike(Map.of(
        "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
            "IgnorePublicAcls", true, "RestrictPublicBuckets", true),
        "VersioningConfiguration", Map.of("Status", "Enabled"))));
    template.hasResourceProperties("AWS::S3::Bucket", Match.objectLike(Map.of(
        "BucketEncryption", Map.of("ServerSideEncryptionConfiguration", List.of(Match.objectLike(Map.of(
            "ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "aws:kms",
                "KMSMasterKeyID", Map.of("Fn::GetAtt", List.of(key, "Arn"))))))),
        "LoggingConfiguration", Match.objectLike(Map.of("LogFilePrefix", "trail/")))));
    // Every bucket (here, and in every stack through PlatformStack's BucketEvents aspect) sends its
    // object events to EventBridge, natively, without a notification custom resource.
    template.allResourcesProperties("AWS::S3::Bucket", Match.objectLike(Map.of("NotificationConfiguration",
        Map.of("EventBridgeConfiguration", Map.of("EventBridgeEnabled", true)))));
    template.resourceCountIs("Custom::S3BucketNotifications", 0);
  }

  @Test
  void eachServiceAlarmsWhenFewerTasksRunThanDesired() {
    template.resourcePropertiesCountIs("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "ComparisonOperator", "GreaterThanThreshold",
        "Threshold", 0,
        "EvaluationPeriods", 3,
        "DatapointsToAlarm", 3,
        "AlarmActions", List.of(Map.of("Ref", topic)),
        "OKActions", List.of(Map.of("Ref", topic)),
        "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of("Expression", "desired - running")))))), 3);
    for (String metric : List.of("DesiredTaskCount", "RunningTaskCount")) {
      template.resourcePropertiesCountIs("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
          "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of("MetricStat", Match.objectLike(Map.of(
              "Metric", Match.objectLike(Map.of("Namespace", "ECS/ContainerInsights", "MetricName", metric)))))))))), 3);
    }
  }

  /**
   * Issue 21, blocker 4: ECS swaps the canary's primary and alternate groups at every deployment, so an alarm on the
   * primary alone goes blind after the first one. The alarm takes the larger count of both groups.
   */
  @Test
  @SuppressWarnings("unchecked")
  void unhealthyBffTargetsAlarmAboveZeroInWhicheverGroupServes() {
    Map<String, Object> alarm = (Map<String, Object>) ((Map<String, Object>) template.toJSON().get("Resources"))
        .get(logicalId(dev.monitoring().alarms().get("unhealthy-targets")));
    Map<String, Object> p = (Map<String, Object>) alarm.get("Properties");
    assertThat(p).containsEntry("ComparisonOperator", "GreaterThanThreshold").containsEntry("Threshold", 0)
        .containsEntry("EvaluationPeriods", 2).containsEntry("AlarmActions", List.of(Map.of("Ref", topic)));
    List<Map<String, Object>> metrics = (List<Map<String, Object>>) p.get("Metrics");
    assertThat(metrics).filteredOn(m -> m.containsKey("Expression")).singleElement()
        .satisfies(m -> assertThat(m).containsEntry("Expression", "MAX([u1, u2])"));
    List<String> groups = metrics.stream().filter(m -> m.containsKey("MetricStat"))
        .map(m -> ComputeFixture.render(m.get("MetricStat"))).toList();
    assertThat(groups).hasSize(2).allSatisfy(g -> assertThat(g).contains("UnHealthyHostCount").contains("Maximum"));
    var canary = dev.compute().canary().orElseThrow();
    assertThat(groups.get(0)).contains(logicalId(dev.compute().targetGroup()));
    assertThat(groups.get(1)).contains(logicalId(canary.alternateTargetGroup()));
  }

  @Test
  void aRollingFrontHasOneGroupAndItsAlarmWatchesIt() {
    var config = io.gitops.stacks.config.Environments.dev(ComputeFixture.TARGET, java.util.Optional.empty())
        .withService("bff", s -> s.withDeployment(new io.gitops.stacks.config.DeploymentStrategy.Rolling()));
    Template rolling = Template.fromStack(ComputeFixture.of(config).monitoring());
    rolling.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "Namespace", "AWS/ApplicationELB",
        "MetricName", "UnHealthyHostCount",
        "Statistic", "Maximum",
        "Threshold", 0,
        "Dimensions", Match.arrayWith(List.of(Match.objectLike(Map.of("Name", "TargetGroup")))))));
  }

  @Test
  void albFiveXxRateAlarmsAboveFivePercent() {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "Threshold", MonitoringStack.ALB_5XX_RATE_PERCENT,
        "ComparisonOperator", "GreaterThanThreshold",
        "EvaluationPeriods", 5,
        "DatapointsToAlarm", 3,
        "AlarmActions", List.of(Map.of("Ref", topic)),
        "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Expression", "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)")))))));
    assertThat(dev.monitoring().alarms()).hasSize(5)
        .containsKeys("bff-running-below-desired", "unhealthy-targets", "alb-5xx-rate");
  }

  @Test
  void dashboardShowsAlbEcsTaskCountsAndDatabaseConnections() {
    String body = template.findResources("AWS::CloudWatch::Dashboard").toString();
    assertThat(body).contains("RequestCount", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count",
        "TargetResponseTime", "p99", "CPUUtilization", "MemoryUtilization", "RunningTaskCount",
        "DesiredTaskCount", "DatabaseConnections", "bff", "graphql", "agentcore");
  }

  /** Issue 15: DORA's measures from the functions' metrics, each with both ColdStart series of a count summed. */
  @Test
  void dashboardShowsTheDoraMeasuresFromTheFunctionsMetrics() {
    String body = template.findResources("AWS::CloudWatch::Dashboard").toString();
    assertThat(body).contains("DORA: deployments and rollbacks per day", "DeploymentsStarted",
        "PipelineDeploymentsRecorded", "Rollbacks", "TimeToHealthy", "TimeFromFirstFailureToRollback",
        "change fail rate", "rework rate", "FILL(dsw, 0) + FILL(dsc, 0)", "GitOps/Deployments");
  }
}
