package io.gitops.stacks.nag;

import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Validations;
import software.constructs.IConstruct;

/**
 * Acknowledges a cdk-nag finding on one construct and its children, and nowhere else.
 *
 * <p>Why not {@code Validations.of(c).acknowledge(...)} directly: with the id form that cdk-nag
 * suggests ({@code AwsSolutions::AwsSolutions-EC23}) CDK core matches the acknowledgement against
 * violations anywhere in the app, so one acknowledgement silently silences the rule everywhere.
 * cdk-nag itself scopes an acknowledgement to the construct it is recorded on, but only when the
 * recorded id is the bare rule id ({@code AwsSolutions-EC23} or {@code AwsSolutions-IAM5[finding]}),
 * and {@code Validations.acknowledge} rejects bare ids whose finding contains {@code ::} (such as
 * {@code <AWS::Partition>}). Recording the metadata entry directly is exactly what
 * {@code Validations.acknowledge} does, without that id rewriting.
 */
public final class Nag {

  private Nag() {}

  /**
   * @param scope  the construct the finding is on (or an ancestor that owns it)
   * @param ruleId the bare cdk-nag rule id, e.g. {@code AwsSolutions-ECS2} or
   *               {@code AwsSolutions-IAM5[Resource::*]}
   * @param reason why this is acceptable, for a security reviewer
   */
  public static void acknowledge(IConstruct scope, String ruleId, String reason) {
    Objects.requireNonNull(scope, "scope");
    if (ruleId == null || !ruleId.startsWith("AwsSolutions-") || ruleId.startsWith("AwsSolutions::")) {
      throw new IllegalArgumentException("use the bare cdk-nag rule id (AwsSolutions-XXX), got: " + ruleId);
    }
    if (reason == null || reason.isBlank() || reason.length() < 20) {
      throw new IllegalArgumentException(ruleId + ": an acknowledgement needs a reason a reviewer can check");
    }
    scope.getNode().addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, Map.of(ruleId, reason));
  }
}
