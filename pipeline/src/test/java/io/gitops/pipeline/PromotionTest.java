package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.storage.StorageStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** Promotion by digest: where the steps run, what they run, and exactly what their roles may do. */
class PromotionTest {

  private static final String TOOLCHAIN = PipelineSettings.PLACEHOLDER_TOOLCHAIN_ACCOUNT;
  private static SynthesizedApp app;
  private static Template pipeline;
  private static List<Map<String, Object>> stages;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void synth() {
    app = SynthesizedApp.get();
    pipeline = app.pipelineTemplate();
    Capture captured = new Capture();
    pipeline.hasResourceProperties("AWS::CodePipeline::Pipeline", Map.of("Stages", captured));
    stages = (List<Map<String, Object>>) (List<?>) captured.asArray();
  }

  /**
   * Issue 21, blocker 2: on the pipeline's very first run no stage has been deployed, so each role a promotion
   * step assumes must come from a stack the pipeline deploys before the step (in an earlier stage, or earlier in
   * the step's own stage), never from a stack of the stage the step gates.
   */
  @ParameterizedTest
  @ValueSource(strings = {"test", "prod"})
  void everyRoleAPromotionStepAssumesIsDeployedBeforeTheStepRuns(String target) {
    var promotion = app.stage(target).config().promotion();
    List<String> envs = new java.util.ArrayList<>(List.of(promotion.from().orElseThrow(), target));
    promotion.imageRegistry().ifPresent(r -> envs.add(r.name()));
    List<String> order = stages.stream().map(s -> (String) s.get("Name")).toList();
    int stepStage = order.indexOf(target);
    int step = runOrder(target, "Promote-" + target);
    for (String env : envs) {
      String role = io.gitops.stacks.config.Promotion.environmentRoleName(env);
      String[] where = stackCreatingRole(role);
      int roleStage = order.indexOf(where[0]);
      assertThat(roleStage).as("%s is created in stage %s, after %s's", role, where[0], target).isLessThanOrEqualTo(stepStage);
      if (roleStage == stepStage) {
        assertThat(deployRunOrder(where[0], where[1], "CHANGE_SET_EXECUTE"))
            .as("%s's stack %s deploys before Promote-%s", role, where[1], target).isLessThan(step);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"test", "prod"})
  void promotionRunsBeforeTheComputeStackReadsTheReleaseParameters(String target) {
    // CloudFormation resolves the SSM parameter types when the change set is made: Prepare, not Deploy.
    String compute = app.stage(target).stacks().compute().getStackName();
    assertThat(runOrder(target, "Promote-" + target)).isLessThan(deployRunOrder(target, compute, "CHANGE_SET_REPLACE"));
  }

  @Test
  void prodPromotesOnlyAfterTheApprovalAndTheBroadeningCheck() {
    assertThat(runOrder("prod", "ApproveProd")).isLessThan(runOrder("prod", "ConfirmBroadening-prod"));
    assertThat(runOrder("prod", "ConfirmBroadening-prod")).isLessThan(runOrder("prod", "Promote-prod"));
  }

  /** {pipeline stage, stack name} of the stage stack whose template creates the IAM role named {@code roleName}. */
  private static String[] stackCreatingRole(String roleName) {
    for (String stage : List.of("dev", "test", "prod")) {
      for (var stack : app.stacks(stage)) {
        if (!SynthesizedApp.template(stack).findResources("AWS::IAM::Role",
            Match.objectLike(Map.of("Properties", Match.objectLike(Map.of("RoleName", roleName))))).isEmpty()) {
          return new String[] {stage, stack.getStackName()};
        }
      }
    }
    throw new AssertionError("no stage stack creates " + roleName);
  }

  @SuppressWarnings("unchecked")
  private static int deployRunOrder(String stage, String stackName, String mode) {
    return actions(stage).stream()
        .filter(a -> "Deploy".equals(((Map<String, Object>) a.get("ActionTypeId")).get("Category")))
        .filter(a -> {
          Map<String, Object> c = (Map<String, Object>) a.get("Configuration");
          return stackName.equals(c.get("StackName")) && mode.equals(c.get("ActionMode"));
        })
        .mapToInt(a -> ((Number) a.get("RunOrder")).intValue()).findFirst()
        .orElseThrow(() -> new AssertionError(stage + " has no " + mode + " action for " + stackName));
  }

  @Test
  void devHasNoPromotionStep() {
    assertThat(actions("dev")).noneMatch(a -> String.valueOf(a.get("Name")).startsWith("Promote"));
    assertThat(app.pipeline.promotionSteps()).containsOnlyKeys("test", "prod");
  }

  @Test
  void promotionStepsRunThePromoteBuildspecWithTheirEnvironment() {
    Buildspec spec = Buildspec.load(SynthesizedApp.ROOT.resolve("buildspecs"), "promote.yml");
    assertThat(spec.commands()).containsExactly("bash buildspecs/promote.sh");
    Map<String, String> env = environment("Promote-prod");
    assertThat(env).containsEntry("SOURCE_ENV", "test").containsEntry("TARGET_ENV", "prod")
        .containsEntry("SOURCE_PATH", StorageStack.releaseParameterPath("test"))
        .containsEntry("TARGET_PATH", StorageStack.releaseParameterPath("prod"))
        .containsEntry("SERVICES", "bff graphql agentcore")
        .containsEntry("PLACEHOLDER_IMAGE", "222222222222.dkr.ecr.us-east-1.amazonaws.com/gitops-test-ecr-public/"
            + Placeholders.UPSTREAM_REPOSITORY + "@" + Placeholders.DIGEST)
        .containsEntry("RELEASE_PATTERN", Placeholders.RELEASE.pattern());
    assertThat(env.get("SOURCE_ROLE_ARN")).contains(":iam::222222222222:role/gitops-delivery-test-release-promotion");
    assertThat(env.get("TARGET_ROLE_ARN")).contains(":iam::333333333333:role/gitops-delivery-prod-release-promotion");
    assertThat(environment("Promote-test")).containsEntry("SOURCE_ENV", "dev").containsEntry("TARGET_ENV", "test");
  }

  @Test
  void stepRolesMayOnlyAssumeTheirEnvironmentsAndTheRegistrysPromotionRoles() {
    pipeline.hasResourceProperties("AWS::IAM::Role", Map.of(
        "RoleName", "gitops-delivery-promote-to-test",
        "AssumeRolePolicyDocument", Match.objectLike(Map.of("Statement", List.of(Match.objectLike(Map.of(
            "Principal", Map.of("Service", "codebuild.amazonaws.com")))))),
        "Policies", List.of(Map.of("PolicyName", "AssumePromotionRoles", "PolicyDocument", Map.of(
            "Version", "2012-10-17",
            "Statement", List.of(Map.of("Effect", "Allow", "Action", "sts:AssumeRole", "Resource", List.of(
                arn("111111111111", "gitops-delivery-dev-release-promotion"),
                arn("222222222222", "gitops-delivery-test-release-promotion")))))))));
    pipeline.hasResourceProperties("AWS::IAM::Role", Map.of(
        "RoleName", "gitops-delivery-promote-to-prod",
        "Policies", List.of(Map.of("PolicyName", "AssumePromotionRoles", "PolicyDocument", Map.of(
            "Version", "2012-10-17",
            // test's and prod's roles, plus dev's (the registry holding the promoted digests: the
            // step checks there that prod can pull them). CDK renders the list sorted.
            "Statement", List.of(Map.of("Effect", "Allow", "Action", "sts:AssumeRole", "Resource", List.of(
                arn("111111111111", "gitops-delivery-dev-release-promotion"),
                arn("222222222222", "gitops-delivery-test-release-promotion"),
                arn("333333333333", "gitops-delivery-prod-release-promotion")))))))));
  }

  @Test
  void theStepsKnowWhereTheDigestsLiveAndWhichAccountPullsThem() {
    for (String target : List.of("test", "prod")) {
      assertThat(environment("Promote-" + target))
          .containsEntry("TARGET_ACCOUNT", app.stage(target).config().target().account())
          .containsEntry("REGISTRY_ENV", "dev")
          .containsEntry("REGISTRY_ACCOUNT", "111111111111")
          .containsEntry("REGISTRY_REGION", "us-east-1");
      assertThat(environment("Promote-" + target).get("REGISTRY_ROLE_ARN"))
          .contains(":iam::111111111111:role/gitops-delivery-dev-release-promotion");
    }
  }

  @Test
  void devPromotionRoleOnlyReadsAndTrustsTheStepsPromotingItsImages() {
    assertPromotionRole("dev", List.of(stepRole("prod"), stepRole("test")), false);
    // It may inspect its three repositories (digests and policies) and retag a promoted digest.
    Template storage = SynthesizedApp.template(app.stage("dev").stacks().storage());
    Object inspect = Map.of("Sid", "InspectPromotedImages", "Effect", "Allow",
        "Action", List.of("ecr:DescribeImages", "ecr:GetRepositoryPolicy"),
        "Resource", List.of(repositoryArn("agentcore"), repositoryArn("bff"), repositoryArn("graphql")));
    Object tag = Map.of("Sid", "TagPromotedImages", "Effect", "Allow",
        "Action", List.of("ecr:BatchGetImage", "ecr:PutImage"),
        "Resource", List.of(repositoryArn("agentcore"), repositoryArn("bff"), repositoryArn("graphql")));
    Object document = Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(inspect, tag))));
    storage.hasResourceProperties("AWS::IAM::Role", Map.of(
        "RoleName", "gitops-delivery-dev-release-promotion",
        "Policies", List.of(Map.of("PolicyName", "ReleaseParameters", "PolicyDocument", document))));
  }

  @Test
  void testPromotionRoleReadsAndWritesAndTrustsBothSteps() {
    assertPromotionRole("test", List.of(stepRole("prod"), stepRole("test")), true);
  }

  @Test
  void prodPromotionRoleReadsAndWritesAndTrustsOnlyThePromoteToProdStep() {
    assertPromotionRole("prod", List.of(stepRole("prod")), true);
  }

  private static void assertPromotionRole(String env, List<Object> trusted, boolean writes) {
    Template storage = SynthesizedApp.template(app.stage(env).stacks().storage());
    // CDK renders statement resources and principals sorted.
    List<Object> parameters = List.of("agentcore", "bff", "graphql").stream()
        .map(s -> (Object) ("arn:aws:ssm:us-east-1:" + app.stage(env).config().target().account()
            + ":parameter" + StorageStack.releaseParameterName(env, s)))
        .toList();
    List<Object> statements = new java.util.ArrayList<>();
    statements.add(Map.of("Sid", "ReadReleases", "Effect", "Allow", "Action", "ssm:GetParameter", "Resource", parameters));
    if (writes) {
      statements.add(Map.of("Sid", "WritePromotedReleases", "Effect", "Allow", "Action", "ssm:PutParameter",
          "Resource", parameters));
      statements.add(Map.of("Sid", "RecordPromotions", "Effect", "Allow",
          "Action", List.of("ssm:GetParameter", "ssm:PutParameter"), "Resource", promotionParameters(env, "record")));
      statements.add(Map.of("Sid", "ReadOverrides", "Effect", "Allow", "Action", "ssm:GetParameter",
          "Resource", promotionParameters(env, "override")));
    } else {
      statements.add(Match.objectLike(Map.of("Sid", "InspectPromotedImages")));
      statements.add(Match.objectLike(Map.of("Sid", "TagPromotedImages")));
    }
    storage.hasResourceProperties("AWS::IAM::Role", Map.of(
        "RoleName", "gitops-delivery-" + env + "-release-promotion",
        "MaxSessionDuration", 3600,
        "AssumeRolePolicyDocument", Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
            "Effect", "Allow", "Action", "sts:AssumeRole",
            "Principal", Map.of("AWS", trusted.size() == 1 ? trusted.get(0) : trusted)))),
        "Policies", List.of(Map.of("PolicyName", "ReleaseParameters", "PolicyDocument", Map.of(
            "Version", "2012-10-17", "Statement", statements)))));
    // No other policy is attached to the role.
    assertThat(storage.findResources("AWS::IAM::Policy").toString()).doesNotContain("ReleasePromotionRole");
  }

  private static List<Object> promotionParameters(String env, String kind) {
    return List.of("agentcore", "bff", "graphql").stream()
        .map(s -> (Object) ("arn:aws:ssm:us-east-1:" + app.stage(env).config().target().account()
            + ":parameter/gitops/" + env + "/promotion/" + kind + "/" + s))
        .toList();
  }

  @Test
  void prodWaitsThirtyMinutesOfHealthInTestAndTestNoneInDevAndBothFindTheSourcesLedger() {
    assertThat(environment("Promote-prod")).containsEntry("SOAK_SECONDS", "1800")
        .containsEntry("SOURCE_WIRING", "/gitops/test/operator/wiring")
        .containsEntry("RECORD_PATH", "/gitops/prod/promotion/record/")
        .containsEntry("OVERRIDE_PATH", "/gitops/prod/promotion/override/");
    assertThat(environment("Promote-test")).containsEntry("SOAK_SECONDS", "0")
        .containsEntry("SOURCE_WIRING", "/gitops/dev/operator/wiring");
  }

  /** The source's promotion role reads its ledger and wiring through a policy of the Deployment stack. */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "test"})
  void aPromotionSourcesRoleMayScanItsLedgerAndReadItsWiringOnly(String env) {
    Template deployment = SynthesizedApp.template(app.stage(env).stacks().deployment());
    deployment.hasResourceProperties("AWS::IAM::Policy", Map.of(
        "Roles", List.of("gitops-delivery-" + env + "-release-promotion"),
        "PolicyDocument", Map.of("Version", "2012-10-17", "Statement", List.of(
            Map.of("Effect", "Allow", "Action", "ssm:GetParameter", "Resource", Match.anyValue()),
            Map.of("Effect", "Allow", "Action", "dynamodb:Scan",
                "Resource", Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("^Ledger.*"), "Arn")))))));
  }

  @Test
  void prodIsNoPromotionSourceSoItsLedgerIsNotOpenedToThePromotionRole() {
    Template deployment = SynthesizedApp.template(app.stage("prod").stacks().deployment());
    assertThat(deployment.findResources("AWS::IAM::Policy", Match.objectLike(Map.of("Properties", Match.objectLike(
        Map.of("Roles", List.of("gitops-delivery-prod-release-promotion"))))))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"test", "prod"})
  void theComputeStacksPostStepConfirmsThePromotionOnceTheStackDeployed(String target) {
    String compute = app.stage(target).stacks().compute().getStackName();
    int confirm = runOrder(target, "ConfirmPromotion-" + target);
    assertThat(confirm).isGreaterThan(deployRunOrder(target, compute, "CHANGE_SET_EXECUTE"));
    assertThat(confirm).isLessThan(runOrder(target, "SmokeTest-" + target));
  }

  private static Object repositoryArn(String service) {
    return Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp(service + "Repository.*"), "Arn"));
  }

  private static Object stepRole(String target) {
    return "arn:aws:iam::" + TOOLCHAIN + ":role/gitops-delivery-promote-to-" + target;
  }

  /** A role ARN as the pipeline template renders it (partition left to CloudFormation). */
  private static Object arn(String account, String role) {
    return Map.of("Fn::Join", List.of("", List.of("arn:", Map.of("Ref", "AWS::Partition"),
        ":iam::" + account + ":role/" + role)));
  }

  /** The environment variables of the CodeBuild project that promotes into {@code step}'s target. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> environment(String step) {
    String target = step.substring("Promote-".length());
    for (Object project : pipeline.findResources("AWS::CodeBuild::Project").values()) {
      Map<String, Object> props = (Map<String, Object>) ((Map<String, Object>) project).get("Properties");
      Map<String, Object> environment = (Map<String, Object>) props.get("Environment");
      Map<String, String> vars = new java.util.HashMap<>();
      for (Object v : (List<Object>) environment.getOrDefault("EnvironmentVariables", List.of())) {
        Map<String, Object> var = (Map<String, Object>) v;
        vars.put((String) var.get("Name"), String.valueOf(var.get("Value")));
      }
      if (target.equals(vars.get("TARGET_ENV")) && !vars.containsKey("PROMOTE_MODE")
          && String.valueOf(props.get("Source")).contains("bash buildspecs/promote.sh")) {
        return vars;
      }
    }
    throw new AssertionError("no CodeBuild project runs " + step);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> actions(String stage) {
    return stages.stream().filter(s -> stage.equals(s.get("Name"))).findFirst()
        .map(s -> (List<Map<String, Object>>) s.get("Actions")).orElseThrow();
  }

  private static int runOrder(String stage, String action) {
    // A stack's step is named after its stack group (Storage.Promote-test).
    return actions(stage).stream().filter(a -> action.equals(a.get("Name")) || String.valueOf(a.get("Name")).endsWith("." + action))
        .mapToInt(a -> ((Number) a.get("RunOrder")).intValue()).findFirst()
        .orElseThrow(() -> new AssertionError(stage + " has no action " + action + ": "
            + actions(stage).stream().map(a -> a.get("Name") + "@" + a.get("RunOrder")).toList()));
  }
}
