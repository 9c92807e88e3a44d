package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** Cross-account reads for the release report: read-only roles in each environment, trusted by one step role. */
class ReleaseReportRoleTest {

  private static final String STEP_ROLE = "arn:aws:iam::100000000000:role/gitops-delivery-release-report";
  private static SynthesizedApp app;

  @BeforeAll
  static void synth() {
    app = SynthesizedApp.get();
  }

  private static Template deployment(String env) {
    return SynthesizedApp.template(app.stage(env).stacks().deployment());
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> statements(String env) {
    Capture document = new Capture();
    deployment(env).hasResourceProperties("AWS::IAM::Role", Map.of(
        "RoleName", "gitops-delivery-" + env + "-release-report",
        "MaxSessionDuration", 3600,
        "AssumeRolePolicyDocument", Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
            "Effect", "Allow", "Action", "sts:AssumeRole", "Principal", Map.of("AWS", STEP_ROLE)))),
        "Policies", List.of(Map.of("PolicyName", "ReleaseReport", "PolicyDocument", document))));
    return (List<Map<String, Object>>) document.asObject().get("Statement");
  }

  @Test
  void prodsRoleOnlyReadsItsReleasesLedgerAndDeployedTemplates() {
    List<Map<String, Object>> statements = statements("prod");
    assertThat(statements).extracting(s -> s.get("Sid") + " " + s.get("Action")).containsExactly(
        "ReadReleases ssm:GetParameter",
        "ReadLedger dynamodb:Scan",
        "ReadDeployedTemplates [cloudformation:DescribeStackResource, cloudformation:GetTemplate]",
        "ReadPromotionOverrides ssm:GetParameter");
    assertThat(statements.get(2).get("Resource")).isEqualTo("arn:aws:cloudformation:us-east-1:333333333333:stack/prod-*/*");
    // The operator's overrides and the promotion records, per service, nothing else.
    assertThat((List<?>) statements.get(3).get("Resource")).hasSize(6).allMatch(r -> String.valueOf(r)
        .matches("arn:aws:ssm:us-east-1:333333333333:parameter/gitops/prod/promotion/(override|record)/(bff|graphql|agentcore)"));
    assertThat(statements.get(1).get("Resource").toString()).contains("Ledger");
    assertThat(statements.get(0).get("Resource").toString()).contains("parameter/gitops/prod/release/bff");
  }

  @Test
  void devsRoleAlsoReadsTheTagsOfTheImagesItsRepositoriesHold() {
    assertThat(statements("dev")).extracting(s -> s.get("Sid") + " " + s.get("Action"))
        .contains("ReadImageTags ecr:DescribeImages");
    assertThat(statements("test")).extracting(s -> s.get("Sid")).doesNotContain("ReadImageTags");
  }

  @Test
  void theReportStepMayAssumeExactlyTheThreeReadRolesAndWriteOnlyProdsReports() {
    Template pipeline = app.pipelineTemplate();
    pipeline.hasResourceProperties("AWS::IAM::Role", Map.of(
        "RoleName", "gitops-delivery-release-report",
        "Policies", List.of(Map.of("PolicyName", "ReadEnvironments", "PolicyDocument", Map.of("Version", "2012-10-17",
            "Statement", List.of(Map.of("Effect", "Allow", "Action", "sts:AssumeRole", "Resource", List.of(
                arn("111111111111", "dev"), arn("222222222222", "test"), arn("333333333333", "prod")))))))));
    pipeline.hasResourceProperties("AWS::IAM::Policy", Map.of("PolicyDocument", Match.objectLike(Map.of(
        "Statement", Match.arrayWith(List.of(Map.of("Effect", "Allow", "Action", "s3:PutObject", "Resource", Map.of(
            "Fn::Join", List.of("", List.of(Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("ReleaseReports.*"), "Arn")),
                "/release-reports/prod/*"))))))))));
  }

  private static Object arn(String account, String env) {
    return Map.of("Fn::Join", List.of("", List.of("arn:", Map.of("Ref", "AWS::Partition"),
        ":iam::" + account + ":role/gitops-delivery-" + env + "-release-report")));
  }
}
