package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.backup.DataBackups;
import io.gitops.stacks.monitoring.WafLogging;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * Issue 21, item 3 (security findings open in prod): the web ACL's traffic is logged with credentials
 * redacted, and Aurora and the deployment ledger are in a daily AWS Backup plan kept 35 days.
 */
class ProdDataProtectionTest {

  private static PlatformStacks prod;
  private static PlatformStacks dev;

  @BeforeAll
  static void synth() {
    prod = TestEnvironments.prod();
    dev = TestEnvironments.dev();
  }

  @Test
  void prodsWebAclLogsToAnEncryptedWafLogGroupWithCredentialsRedacted() {
    Template monitoring = Template.fromStack(prod.monitoring());
    String name = "aws-waf-logs-gitops-delivery-prod";
    monitoring.hasResourceProperties("AWS::Logs::LogGroup", Match.objectLike(Map.of(
        "LogGroupName", name, "RetentionInDays", 365, "KmsKeyId", Match.anyValue())));
    Capture destinations = new Capture();
    monitoring.hasResourceProperties("AWS::WAFv2::LoggingConfiguration", Map.of(
        "ResourceArn", Map.of("Fn::ImportValue", Match.stringLikeRegexp(".*WebAcl.*")),
        "LogDestinationConfigs", destinations,
        "RedactedFields", List.of(
            Map.of("SingleHeader", Map.of("Name", "authorization")),
            Map.of("SingleHeader", Map.of("Name", "cookie")),
            Map.of("SingleHeader", Map.of("Name", "x-gitops-canary-test")))));
    // The log group's ARN without ":*": WAF refuses the form LogGroup.logGroupArn has.
    assertThat(destinations.asArray().toString()).contains(":log-group:" + name).doesNotContain(name + ":*");
    assertThat(WafLogging.LOG_GROUP_PREFIX).isEqualTo("aws-waf-logs-");
    // dev has no web ACL, so nothing to log.
    Template.fromStack(dev.monitoring()).resourceCountIs("AWS::WAFv2::LoggingConfiguration", 0);
  }

  @Test
  void prodBacksUpAuroraAndTheLedgerDailyForThirtyFiveDaysIntoARetainedVault() {
    Template deployment = Template.fromStack(prod.deployment());
    deployment.hasResourceProperties("AWS::Backup::BackupPlan", Map.of("BackupPlan", Match.objectLike(Map.of(
        "BackupPlanRule", List.of(Match.objectLike(Map.of(
            "RuleName", "Daily",
            "ScheduleExpression", "cron(0 " + DataBackups.HOUR_UTC + " * * ? *)",
            "Lifecycle", Map.of("DeleteAfterDays", DataBackups.RETENTION_DAYS),
            "TargetBackupVault", Match.anyValue())))))));
    assertThat(DataBackups.RETENTION_DAYS).isEqualTo(35);
    assertThat(deployment.findResources("AWS::Backup::BackupVault", Map.of("DeletionPolicy", "Retain"))).hasSize(1);
    Capture resources = new Capture();
    deployment.hasResourceProperties("AWS::Backup::BackupSelection", Map.of("BackupSelection", Match.objectLike(Map.of(
        "Resources", resources))));
    String selected = resources.asArray().toString();
    assertThat(resources.asArray()).hasSize(2);
    assertThat(selected).contains(":cluster:").contains("Database:ExportsOutputRefAurora");
    assertThat(selected).contains(logicalIdOfLedger());
  }

  @Test
  void devAndTestHaveNoBackupPlan() {
    Template.fromStack(dev.deployment()).resourceCountIs("AWS::Backup::BackupPlan", 0);
    Template.fromStack(TestEnvironments.test().deployment()).resourceCountIs("AWS::Backup::BackupPlan", 0);
  }

  private static String logicalIdOfLedger() {
    return prod.deployment().resolve(
        ((software.amazon.awscdk.CfnElement) prod.deployment().ledger().getNode().getDefaultChild()).getLogicalId()).toString();
  }
}
