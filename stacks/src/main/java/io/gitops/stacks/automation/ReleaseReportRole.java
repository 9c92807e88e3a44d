package io.gitops.stacks.automation;

import io.gitops.stacks.automation.DeploymentStackProps.DeployedService;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Promotion;
import io.gitops.stacks.config.ReleaseReport;
import io.gitops.stacks.nag.Nag;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.dynamodb.ITable;
import software.amazon.awscdk.services.iam.ArnPrincipal;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.constructs.Construct;

/**
 * The read-only role through which the pipeline's release report step (toolchain account) reads this
 * environment before the prod approval (docs/release-report.md): the release parameters, the ledger, the
 * deployed templates of this stage's stacks and, where this environment holds the images, their tags.
 * Nothing it can do changes anything. It trusts only the report step's role, by ARN.
 */
public final class ReleaseReportRole extends Construct {

  public record Props(EnvironmentConfig config, List<DeployedService> services, ITable ledger) {}

  private final Role role;

  public ReleaseReportRole(Construct scope, String id, Props props) {
    super(scope, id);
    Stack stack = Stack.of(this);
    EnvironmentConfig config = props.config();
    List<PolicyStatement> statements = new ArrayList<>();
    statements.add(statement("ReadReleases", List.of("ssm:GetParameter"),
        props.services().stream().map(DeployedService::releaseParameterArn).toList()));
    // Scan, not Query: the report looks digests up across services, whose partition keys are the ECS
    // service names this role does not know. The ledger is small (task items expire).
    statements.add(statement("ReadLedger", List.of("dynamodb:Scan"), List.of(props.ledger().getTableArn())));
    String stacks = stack.formatArn(ArnComponents.builder()
        .service("cloudformation").resource("stack").resourceName(config.name() + "-*/*")
        .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build());
    statements.add(statement("ReadDeployedTemplates",
        List.of("cloudformation:GetTemplate", "cloudformation:DescribeStackResource"), List.of(stacks)));
    if (config.promotion().from().isPresent()) {
      // Overrides the next promotion into this environment will apply (and the record of the last one): the
      // approver sees them before approving.
      List<String> promotion = new ArrayList<>();
      for (DeployedService s : props.services()) {
        promotion.add(parameterArn(stack, Promotion.overrideParameterName(config.name(), s.name())));
        promotion.add(parameterArn(stack, Promotion.recordParameterName(config.name(), s.name())));
      }
      statements.add(statement("ReadPromotionOverrides", List.of("ssm:GetParameter"), promotion));
    }
    if (config.promotion().imageRegistry().isEmpty()) {
      // This environment's repositories hold the images (dev): the report shows each digest's tags.
      statements.add(statement("ReadImageTags", List.of("ecr:DescribeImages"), props.services().stream()
          .map(s -> stack.formatArn(ArnComponents.builder().service("ecr").resource("repository")
              .resourceName(s.repositoryName()).build()))
          .toList()));
    }
    role = Role.Builder.create(this, "Resource")
        // Fixed name: the report step's role assumes it by ARN from the toolchain account.
        .roleName(ReleaseReport.environmentRoleName(config.name()))
        .description("Lets the pipeline's release report read " + config.name() + "'s release state (read-only)")
        .assumedBy(new ArnPrincipal(Promotion.roleArn(stack.getPartition(),
            config.promotion().toolchainAccount(), ReleaseReport.STEP_ROLE_NAME)))
        .maxSessionDuration(Duration.hours(1))
        .inlinePolicies(Map.of("ReleaseReport", PolicyDocument.Builder.create().statements(statements).build()))
        .build();
    Nag.acknowledgeWildcardResource(role, stacks,
        "This stage's own stacks (" + config.name() + "-*), read-only: a stack ARN ends in an id CloudFormation "
            + "assigns at creation");
  }

  public Role role() {
    return role;
  }

  private static String parameterArn(Stack stack, String name) {
    return stack.formatArn(ArnComponents.builder().service("ssm").resource("parameter")
        .resourceName(name.substring(1)).build());
  }

  private static PolicyStatement statement(String sid, List<String> actions, List<String> resources) {
    return PolicyStatement.Builder.create().sid(sid).actions(actions).resources(resources).build();
  }
}
