package io.gitops.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import io.gitops.stacks.nag.Nag;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.CfnPolicy;
import software.constructs.IConstruct;

/**
 * Acknowledges the cdk-nag IAM5 findings on the policies that CDK Pipelines generates for its own
 * roles (pipeline, source action, CodeBuild steps, self-mutation). We do not write those policies,
 * so each wildcard is matched against a short allowlist of known, reviewed grant shapes below, with
 * the reason for each. A wildcard that matches no entry is left unacknowledged and fails synth:
 * a CDK upgrade that widens a generated grant gets a human review instead of a silent pass.
 */
final class GeneratedPolicyAcknowledgements {

  private record Rule(Pattern finding, String reason) {}

  private static final String ID = "[A-Za-z0-9]+";
  // Rendered as <AWS::Partition> or, under the current feature flags, the literal partition.
  private static final String PARTITION = "(<AWS::Partition>|aws|aws-cn|aws-us-gov)";

  private static final List<Rule> RULES = List.of(
      new Rule(Pattern.compile("Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\\*"),
          "CDK's bucket grant action groups, scoped by the same statement to the pipeline's own artifact "
              + "bucket and its objects; the pipeline must read and write its artifacts"),
      new Rule(Pattern.compile("Action::kms:(GenerateDataKey|ReEncrypt)\\*"),
          "CDK's key grant action groups, scoped by the same statement to the pipeline's artifact "
              + "encryption key only"),
      new Rule(Pattern.compile("Resource::<" + ID + "ArtifactsBucket" + ID + "\\.Arn>/\\*"),
          "Objects of the pipeline's own, KMS-encrypted artifact bucket: artifact keys are generated "
              + "per execution, so they cannot be listed in advance"),
      new Rule(Pattern.compile("Resource::arn:" + PARTITION + ":logs:[a-z0-9-]+:\\d{12}:log-group:/aws/codebuild/<"
          + ID + ">:\\*"),
          "Log streams of this CodeBuild project's own log group; stream names are created per build"),
      new Rule(Pattern.compile("Resource::arn:" + PARTITION + ":codebuild:[a-z0-9-]+:\\d{12}:report-group/<"
          + ID + ">-\\*"),
          "Test report groups of this CodeBuild project only; CodeBuild names them per report at run time"),
      new Rule(Pattern.compile("Resource::arn:" + PARTITION + ":logs:[a-z0-9-]+:\\d{12}:log-group:/aws/codebuild/\\*"),
          "The shared asset-publishing role serves CodeBuild projects that CDK Pipelines creates per asset, "
              + "after the role; their log groups are unknown when it is created, so the grant stops at "
              + "CodeBuild's own log group prefix in the pipeline account"),
      new Rule(Pattern.compile("Resource::arn:" + PARTITION + ":codebuild:[a-z0-9-]+:\\d{12}:report-group/\\*"),
          "The shared asset-publishing role reports for CodeBuild projects created per asset after it; "
              + "limited to report groups in the pipeline account, and grants no read of other data"),
      new Rule(Pattern.compile("Resource::arn:\\*:iam::\\d{12}:role/\\*"),
          "Self-mutation may assume only roles tagged aws-cdk:bootstrap-role (condition on the same "
              + "statement): the CDK bootstrap roles of the target environments"),
      new Rule(Pattern.compile("Resource::\\*"),
          "Self-mutation's cloudformation:DescribeStacks and s3:ListBucket only, both read-only; the "
              + "stacks and bootstrap buckets it inspects are in other accounts and unknown at synth"));

  private GeneratedPolicyAcknowledgements() {}

  /**
   * Acknowledges the allowlisted findings on every IAM policy below {@code root}.
   *
   * @return the number of acknowledgements made
   */
  static int apply(IConstruct root) {
    int count = 0;
    for (IConstruct child : root.getNode().findAll()) {
      if (child instanceof CfnPolicy policy) {
        for (String finding : wildcardFindings(policy)) {
          for (Rule rule : RULES) {
            if (rule.finding().matcher(finding).matches()) {
              Nag.acknowledge(policy, "AwsSolutions-IAM5[" + finding + "]", rule.reason());
              count++;
              break;
            }
          }
        }
      }
    }
    return count;
  }

  /** The IAM5 finding keys cdk-nag reports for a policy: each wildcard action and resource. */
  static List<String> wildcardFindings(CfnPolicy policy) {
    Object document = Stack.of(policy).resolve(policy.getPolicyDocument());
    List<String> findings = new ArrayList<>();
    for (Object statement : asList(((Map<?, ?>) document).get("Statement"))) {
      Map<?, ?> s = (Map<?, ?>) statement;
      for (Object action : asList(s.get("Action"))) {
        if (String.valueOf(action).contains("*")) {
          findings.add("Action::" + action);
        }
      }
      for (Object resource : asList(s.get("Resource"))) {
        String rendered = Nag.render(resource);
        if (rendered.contains("*")) {
          findings.add("Resource::" + rendered);
        }
      }
    }
    return findings.stream().distinct().collect(Collectors.toList());
  }

  private static List<?> asList(Object value) {
    if (value == null) {
      return List.of();
    }
    return value instanceof List<?> list ? list : List.of(value);
  }
}
