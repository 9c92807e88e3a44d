package io.gitops.stacks.backup;

import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.backup.BackupPlan;
import software.amazon.awscdk.services.backup.BackupPlanRule;
import software.amazon.awscdk.services.backup.BackupResource;
import software.amazon.awscdk.services.backup.BackupSelectionOptions;
import software.amazon.awscdk.services.backup.BackupVault;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.CronOptions;
import software.constructs.Construct;

/**
 * AWS Backup for the environment's stateful data: the Aurora cluster and the deployment ledger,
 * backed up daily and kept {@link #RETENTION_DAYS} days, in a vault of their own that outlives the
 * stack. Beyond Aurora's automated backups (point-in-time within its own retention window) and the
 * ledger's point-in-time recovery, these are copies AWS Backup manages and keeps on a fixed schedule
 * (the security review's finding: neither was in a backup plan).
 */
public final class DataBackups extends Construct {

  public static final int RETENTION_DAYS = 35;
  /** 05:00 UTC: after the night's deployments of every time zone the teams work in, before the day's. */
  public static final int HOUR_UTC = 5;

  private final BackupVault vault;
  private final BackupPlan plan;

  public DataBackups(Construct scope, String id, EnvironmentConfig config, List<BackupResource> resources) {
    super(scope, id);
    vault = BackupVault.Builder.create(this, "Vault")
        // The recovery points are the point of the vault: it is kept when the stack goes.
        .removalPolicy(RemovalPolicy.RETAIN)
        .build();
    plan = BackupPlan.Builder.create(this, "Plan")
        .backupVault(vault)
        .backupPlanRules(List.of(BackupPlanRule.Builder.create()
            .ruleName("Daily")
            .scheduleExpression(Schedule.cron(CronOptions.builder().hour(Integer.toString(HOUR_UTC)).minute("0").build()))
            .startWindow(Duration.hours(1))
            .completionWindow(Duration.hours(8))
            .deleteAfter(Duration.days(RETENTION_DAYS))
            .build()))
        .build();
    plan.addSelection("Selection", BackupSelectionOptions.builder()
        .resources(resources)
        .allowRestores(true)
        .build());
    Nag.acknowledge(plan, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
        "AWS Backup's selection role uses the AWS managed policy AWS Backup documents for it "
            + "(AWSBackupServiceRolePolicyForBackup); the selection limits it to the two resources named here");
    Nag.acknowledge(plan, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]",
        "AWS Backup's selection role may restore with the AWS managed policy AWS Backup documents for it "
            + "(AWSBackupServiceRolePolicyForRestores); restores are started by an operator");
  }

  public BackupVault vault() {
    return vault;
  }

  public BackupPlan plan() {
    return plan;
  }
}
