package io.gitops.stacks.security;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.services.iam.AnyPrincipal;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.IKey;

/**
 * Key policy statements every customer-managed key of the platform shares.
 *
 * <p>Grants: the services that use these keys (Aurora, OpenSearch, Secrets Manager, ECR, Lambda,
 * CloudWatch Logs) create grants on behalf of a resource; no principal ever needs a grant for any
 * other reason. So every key denies {@code kms:CreateGrant} unless the grant is for an AWS
 * resource or the caller is an AWS service (AWS Control Tower control CT.KMS.PR.3; AWS KMS
 * Developer Guide, "kms:GrantIsForAWSResource").
 */
public final class KeyPolicies {

  public static final String DENY_GRANTS_SID = "DenyCreateGrantExceptForAwsResources";

  private KeyPolicies() {}

  /** The deny statement: in a key policy, the resource "*" means this key. */
  public static PolicyStatement denyGrantsExceptForAwsResources() {
    return PolicyStatement.Builder.create()
        .sid(DENY_GRANTS_SID)
        .effect(Effect.DENY)
        .principals(List.of(new AnyPrincipal()))
        .actions(List.of("kms:CreateGrant"))
        .resources(List.of("*"))
        .conditions(Map.of("BoolIfExists", Map.of(
            "kms:GrantIsForAWSResource", "false",
            "aws:PrincipalIsAWSService", "false")))
        .build();
  }

  /** Adds {@link #denyGrantsExceptForAwsResources()} to {@code key}'s policy. */
  public static void restrictGrants(IKey key) {
    key.addToResourcePolicy(denyGrantsExceptForAwsResources());
  }

  /**
   * Lets CloudWatch Logs of this account and region use {@code key} for log groups (AWS CloudWatch
   * Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"). The encryption context
   * condition limits it to log groups of this account and region.
   */
  public static void allowCloudWatchLogs(IKey key, String account, String region) {
    key.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("AllowCloudWatchLogs")
        .effect(Effect.ALLOW)
        .principals(List.of(new ServicePrincipal("logs." + region + ".amazonaws.com")))
        .actions(List.of("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
            "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"))
        .resources(List.of("*"))
        .conditions(Map.of("ArnLike", Map.of("kms:EncryptionContext:aws:logs:arn",
            "arn:" + Aws.PARTITION + ":logs:" + region + ":" + account + ":log-group:*")))
        .build());
  }
}
