package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class PipelineStackTest {

  private static Template template;
  private static List<Map<String, Object>> stages;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void synth() {
    template = SynthesizedApp.get().pipelineTemplate();
    Capture captured = new Capture();
    template.hasResourceProperties("AWS::CodePipeline::Pipeline", Map.of("Stages", captured));
    stages = (List<Map<String, Object>>) (List<?>) captured.asArray();
  }

  @Test
  void stagesRunSourceBuildSelfMutationAssetsThenDevTestProd() {
    List<String> names = stages.stream().map(s -> (String) s.get("Name")).toList();
    assertThat(names).containsExactly("Source", "Build", "UpdatePipeline", "Assets", "dev", "test", "prod");
  }

  @Test
  void prodWaitsForManualApprovalBeforeItsFirstDeployAction() {
    List<Map<String, Object>> prod = actions("prod");
    int approvalOrder = prod.stream()
        .filter(a -> category(a).equals("Approval"))
        .mapToInt(PipelineStackTest::runOrder)
        .findFirst()
        .orElseThrow(() -> new AssertionError("prod has no approval action"));
    int firstDeploy = prod.stream()
        .filter(a -> category(a).equals("Deploy"))
        .mapToInt(PipelineStackTest::runOrder)
        .min()
        .orElseThrow();
    assertThat(approvalOrder).isLessThan(firstDeploy);
  }

  @Test
  void onlyProdHasAnApproval() {
    Map<String, Long> approvals = stages.stream().collect(Collectors.toMap(
        s -> (String) s.get("Name"),
        s -> actions((String) s.get("Name")).stream().filter(a -> category(a).equals("Approval")).count()));
    assertThat(approvals).containsEntry("prod", 1L);
    approvals.remove("prod");
    assertThat(approvals.values()).allMatch(count -> count == 0L);
  }

  @Test
  void sourceIsTheConfiguredConnectionAndBranch() {
    Map<String, Object> source = actions("Source").get(0);
    @SuppressWarnings("unchecked")
    Map<String, Object> configuration = (Map<String, Object>) source.get("Configuration");
    assertThat(((Map<?, ?>) source.get("ActionTypeId")).get("Provider")).isEqualTo("CodeStarSourceConnection");
    assertThat(configuration)
        .containsEntry("FullRepositoryId", "example-org/gitops-delivery")
        .containsEntry("BranchName", "main")
        .containsEntry("ConnectionArn",
            "arn:aws:codeconnections:us-east-1:100000000000:connection/replace-with-your-connection-id");
  }

  @Test
  void synthStepRunsTheSynthBuildspecCommands() {
    Buildspec synth = Buildspec.load(SynthesizedApp.ROOT.resolve("buildspecs"), "synth.yml");
    String buildSpec = buildSpecOfProjectContaining(synth.commands().get(0));
    synth.commands().forEach(command -> assertThat(buildSpec).contains(command));
    assertThat(buildSpec).contains("corretto17").contains("cdk.out");
  }

  @Test
  void everyStageEndsWithASmokeTestFromTheSmokeBuildspec() {
    Buildspec smoke = Buildspec.load(SynthesizedApp.ROOT.resolve("buildspecs"), "smoke-test.yml");
    for (String stage : List.of("dev", "test", "prod")) {
      List<Map<String, Object>> actions = actions(stage);
      Map<String, Object> last = actions.stream()
          .max((a, b) -> Integer.compare(runOrder(a), runOrder(b)))
          .orElseThrow();
      assertThat((String) last.get("Name")).isEqualTo("SmokeTest-" + stage);
      // envFromCfnOutputs: the stage's ALB DNS output arrives through the deploy action's namespace.
      assertThat(last.get("Configuration").toString()).contains("ALB_DNS_NAME").contains("#{GitOpsPipeline" + stage);
    }
    // Counted here rather than with Match.stringLikeRegexp, which matched every project's buildspec.
    long smokeProjects = template.findResources("AWS::CodeBuild::Project").values().stream()
        .map(project -> String.valueOf(((Map<?, ?>) ((Map<?, ?>) project).get("Properties")).get("Source")))
        // The buildspec is JSON text inside the property, so its quotes arrive escaped.
        .filter(source -> source.contains(smoke.commands().get(0).replace("\"", "\\\"")))
        .count();
    assertThat(smokeProjects).isEqualTo(3);
  }

  @Test
  void artifactsAreEncryptedWithARotatedKeySoStagesCanLiveInOtherAccounts() {
    template.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
    template.hasResourceProperties("AWS::S3::Bucket", Map.of("BucketEncryption", Map.of(
        "ServerSideEncryptionConfiguration", List.of(Map.of("ServerSideEncryptionByDefault",
            Map.of("SSEAlgorithm", "aws:kms", "KMSMasterKeyID", Match.anyValue()))))));
  }

  @Test
  void theSmokeTestChecksTlsUnderEachEnvironmentsDomainNameAndNeverSkipsCertificateChecks() {
    for (String stage : List.of("dev", "test", "prod")) {
      Map<?, ?> config = (Map<?, ?>) actions(stage).stream()
          .filter(a -> ("SmokeTest-" + stage).equals(a.get("Name")))
          .findFirst().orElseThrow().get("Configuration");
      String project = (String) ((Map<?, ?>) config.get("ProjectName")).get("Ref");
      Map<?, ?> properties = (Map<?, ?>) template.findResources("AWS::CodeBuild::Project").get(project).get("Properties");
      String env = ((Map<?, ?>) properties.get("Environment")).get("EnvironmentVariables").toString();
      assertThat(env).contains("Name=DOMAIN_NAME, Type=PLAINTEXT, Value=" + stage + ".gitops.example.com");
      // Only prod has a certificate in cdk.json's placeholder configuration.
      assertThat(env).contains("Name=HEALTH_SCHEME, Type=PLAINTEXT, Value=" + ("prod".equals(stage) ? "https" : "http") + "}");
    }
    Buildspec smoke = Buildspec.load(SynthesizedApp.ROOT.resolve("buildspecs"), "smoke-test.yml");
    String commands = String.join("\n", smoke.commands());
    assertThat(commands).contains("--connect-to \"${DOMAIN_NAME}:443:${ALB_DNS_NAME}:443\" \"https://${DOMAIN_NAME}${HEALTH_PATH}\"");
    assertThat(commands).doesNotContain("--insecure").doesNotContainPattern("curl[^;]* -k\\b").doesNotContain("-k ");
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyCodeBuildProjectLogsToTheEncryptedBuildLogGroup() {
    Map<String, Map<String, Object>> projects = template.findResources("AWS::CodeBuild::Project");
    assertThat(projects).hasSizeGreaterThanOrEqualTo(9);
    for (Map<String, Object> project : projects.values()) {
      Map<String, Object> logs = (Map<String, Object>) ((Map<String, Object>) project.get("Properties")).get("LogsConfig");
      assertThat(logs).as("LogsConfig of %s", project).isNotNull();
      assertThat((Map<String, Object>) logs.get("CloudWatchLogs"))
          .containsEntry("Status", "ENABLED")
          .containsEntry("GroupName", Map.of("Ref", logicalIdStartingWith("AWS::Logs::LogGroup", "BuildLogs")));
    }
    template.hasResourceProperties("AWS::Logs::LogGroup", Map.of(
        "KmsKeyId", Map.of("Fn::GetAtt", List.of(logicalIdStartingWith("AWS::KMS::Key", "BuildLogsKey"), "Arn")),
        "RetentionInDays", 365));
  }

  @Test
  void theArtifactBucketIsVersionedAccessLoggedAndExpires() {
    template.hasResourceProperties("AWS::S3::Bucket", Match.objectLike(Map.of(
        "BucketEncryption", Match.objectLike(Map.of("ServerSideEncryptionConfiguration", List.of(Match.objectLike(Map.of(
            "ServerSideEncryptionByDefault", Match.objectLike(Map.of("SSEAlgorithm", "aws:kms"))))))),
        "VersioningConfiguration", Map.of("Status", "Enabled"),
        "LoggingConfiguration", Map.of(
            "DestinationBucketName", Map.of("Ref", logicalIdStartingWith("AWS::S3::Bucket", "ArtifactsAccessLogs")),
            "LogFilePrefix", "artifacts/"),
        "LifecycleConfiguration", Map.of("Rules", List.of(Match.objectLike(Map.of(
            "Status", "Enabled", "ExpirationInDays", 30)))))));
    template.allResourcesProperties("AWS::S3::Bucket", Match.objectLike(Map.of("NotificationConfiguration",
        Map.of("EventBridgeConfiguration", Map.of("EventBridgeEnabled", true)))));
  }

  @Test
  void theReleaseReportRunsBeforeApproveProdWhichShowsItsSummaryAndLinksToIt() {
    Map<String, Object> report = action("prod", "Report-prod");
    Map<String, Object> approval = action("prod", "ApproveProd");
    assertThat(runOrder(report)).isLessThan(runOrder(approval));
    assertThat(category(report)).isEqualTo("Build");
    // The approval's comment resolves the report's exported summary through the report action's namespace.
    String namespace = (String) report.get("Namespace");
    assertThat(namespace).isNotBlank();
    Map<?, ?> configuration = (Map<?, ?>) approval.get("Configuration");
    assertThat((String) configuration.get("CustomData")).contains("#{" + namespace + ".REPORT_SUMMARY}")
        .contains("BROADENS-").hasSizeLessThan(500 - 300);
    // The review link opens this execution's report in the reports bucket.
    Capture link = new Capture();
    template.hasResourceProperties("AWS::CodePipeline::Pipeline", Map.of("Stages", Match.arrayWith(List.of(
        Match.objectLike(Map.of("Name", "prod", "Actions", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Name", "ApproveProd", "Configuration", Match.objectLike(Map.of("ExternalEntityLink", link))))))))))));
    assertThat(link.asObject().toString())
        .contains("Ref=" + logicalIdStartingWith("AWS::S3::Bucket", "ReleaseReports"))
        .contains("prefix=release-reports/prod/#{codepipeline.PipelineExecutionId}.md");
  }

  @Test
  void aBroadeningCheckRunsAfterTheApprovalAndBeforeAnythingIsPromotedOrDeployed() {
    Map<String, Object> check = action("prod", "ConfirmBroadening-prod");
    assertThat(runOrder(check)).isGreaterThan(runOrder(action("prod", "ApproveProd")))
        .isLessThan(runOrder(action("prod", "Storage.Promote-prod")));
    String namespace = (String) action("prod", "Report-prod").get("Namespace");
    assertThat(((Map<?, ?>) check.get("Configuration")).get("EnvironmentVariables").toString())
        .contains("{\"name\":\"BROADENING\",\"type\":\"PLAINTEXT\",\"value\":\"#{" + namespace + ".BROADENING}\"}");
    // It reads only this pipeline's action executions: the pipeline's own ARN, its name generated.
    template.hasResourceProperties("AWS::CodePipeline::Pipeline", Map.of("Name", Match.absent()));
    template.hasResourceProperties("AWS::IAM::Policy", Map.of(
        "Roles", List.of(Map.of("Ref", Match.stringLikeRegexp("ConfirmBroadeningRole.*"))),
        "PolicyDocument", Map.of("Version", "2012-10-17", "Statement", List.of(Map.of("Effect", "Allow",
            "Action", "codepipeline:ListActionExecutions",
            "Resource", Map.of("Fn::Join", List.of("", List.of("arn:aws:codepipeline:us-east-1:100000000000:",
                Map.of("Ref", Match.stringLikeRegexp("^Pipeline[0-9A-F]{8}$"))))))))));
  }

  @Test
  void theReportStepReadsTheSynthesizedAssemblyAndRunsTheReportBuildspec() {
    Buildspec spec = Buildspec.load(SynthesizedApp.ROOT.resolve("buildspecs"), "release-report.yml");
    String buildSpec = buildSpecOfProjectContaining("buildspecs/release_report.py report");
    spec.commands().forEach(command -> assertThat(buildSpec).contains(command.replace("\"", "\\\"")));
    // CDK Pipelines exports the variables the approval and the check read.
    assertThat(buildSpec).contains("\"exported-variables\": [\n      \"REPORT_SUMMARY\",\n      \"BROADENING\"");
    assertThat(((Map<?, ?>) action("prod", "Report-prod").get("Configuration")).get("PrimarySource")).isNotNull();
    assertThat(action("prod", "Report-prod").get("InputArtifacts").toString()).contains("Synth_Output");
  }

  private static Map<String, Object> action(String stage, String name) {
    return actions(stage).stream().filter(a -> name.equals(a.get("Name"))).findFirst()
        .orElseThrow(() -> new AssertionError(stage + " has no action " + name));
  }

  private static String logicalIdStartingWith(String type, String prefix) {
    return template.findResources(type).keySet().stream()
        .filter(id -> id.startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " named " + prefix + "*"));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> actions(String stage) {
    return stages.stream()
        .filter(s -> stage.equals(s.get("Name")))
        .map(s -> (List<Map<String, Object>>) s.get("Actions"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no stage " + stage));
  }

  private static String category(Map<String, Object> action) {
    return (String) ((Map<?, ?>) action.get("ActionTypeId")).get("Category");
  }

  private static int runOrder(Map<String, Object> action) {
    return ((Number) action.getOrDefault("RunOrder", 1)).intValue();
  }

  private static String buildSpecOfProjectContaining(String command) {
    return template.findResources("AWS::CodeBuild::Project").values().stream()
        .map(r -> ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) r).get("Properties")).get("Source")).get("BuildSpec"))
        .map(String::valueOf)
        .filter(spec -> spec.contains(command))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no CodeBuild project runs: " + command));
  }
}
