package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Control Tower gate (bin/lib/control_tower_gate.py) with the real cfn-guard binary and rules
 * from node_modules (npm ci), on small templates: an unlisted failure fails, a listed one passes,
 * a non-prod exception does not cover prod, stale entries fail, and cost never excuses production.
 * The gate on the real templates with the real exceptions file runs in bin/gitops test.
 */
class ControlTowerGateTest {

  private static final Path ROOT = SynthesizedApp.ROOT;
  private static final Path PACKAGE = ROOT.resolve("node_modules/@cdklabs/cdk-validator-cfnguard");
  /** The binary for this machine, chosen as bin/lib/common.sh chooses it. */
  private static final Path CFN_GUARD = PACKAGE.resolve("bin")
      .resolve(System.getProperty("os.name").toLowerCase().contains("mac") ? "macos" : "ubuntu")
      .resolve(System.getProperty("os.arch").matches("aarch64|arm64") ? "aarch64" : "x86_64")
      .resolve("cfn-guard");

  /** A log group without a KMS key: fails CT.CLOUDWATCH.PR.3, and nothing else. */
  private static final String UNENCRYPTED_LOG_GROUP = """
      {"Resources": {"AppLogs1234": {"Type": "AWS::Logs::LogGroup",
        "Properties": {"RetentionInDays": 365},
        "Metadata": {"aws:cdk:path": "GitOpsPipeline/STAGE/Compute/App/Logs/Resource"}}}}
      """;

  @TempDir
  Path dir;

  @BeforeAll
  static void binaryInstalled() {
    assertThat(CFN_GUARD)
        .as("cfn-guard from @cdklabs/cdk-validator-cfnguard; run npm ci (bin/gitops test does)")
        .isExecutable();
  }

  @Test
  void anUnlistedFailureFailsTheGateAndNamesControlStageAndResource() throws Exception {
    Result result = gate(exceptions(""), template("prod"));

    assertThat(result.exit).isEqualTo(1);
    assertThat(result.output)
        .contains("FAIL ct-cloudwatch-pr-3 prod/Compute GitOpsPipeline/prod/Compute/App/Logs/Resource")
        .contains("[CT.CLOUDWATCH.PR.3]")
        .contains("1 not accepted");
  }

  @Test
  void aListedFailurePasses() throws Exception {
    Result result = gate(exceptions("""
          - rule: ct-cloudwatch-pr-3
            scope: all
            because: not-applicable
            resources: ["*/Compute/App/Logs/Resource"]
            reason: a fixture reason that is long enough to count as a sentence
        """), template("prod"));

    assertThat(result.exit).as(result.output).isZero();
    assertThat(result.output).contains("0 not accepted").doesNotContain("FAIL ");
  }

  @Test
  void anExceptionScopedToOtherResourcesDoesNotCoverTheFailure() throws Exception {
    Result result = gate(exceptions("""
          - rule: ct-cloudwatch-pr-3
            scope: all
            because: not-applicable
            resources: ["*/Database/*"]
            reason: a fixture reason that is long enough to count as a sentence
        """), template("prod"));

    assertThat(result.exit).isEqualTo(1);
    assertThat(result.output).contains("FAIL ct-cloudwatch-pr-3").contains("STALE exception ct-cloudwatch-pr-3");
  }

  @Test
  void aNonProdExceptionCoversDevButNeverProd() throws Exception {
    String nonProd = exceptions("""
          - rule: ct-cloudwatch-pr-3
            scope: non-prod
            because: cost
            reason: a fixture reason that is long enough to count as a sentence
        """);

    assertThat(gate(nonProd, template("dev")).exit).isZero();
    Result prod = gate(nonProd, template("dev"), template("prod"));
    assertThat(prod.exit).isEqualTo(1);
    assertThat(prod.output).contains("FAIL ct-cloudwatch-pr-3 prod/").doesNotContain("FAIL ct-cloudwatch-pr-3 dev/");
  }

  @Test
  void aCostReasonForProductionIsRejectedBeforeAnyTemplateIsChecked() throws Exception {
    Result result = gate(exceptions("""
          - rule: ct-cloudwatch-pr-3
            scope: all
            because: cost
            reason: a fixture reason that is long enough to count as a sentence
        """), template("prod"));

    assertThat(result.exit).isEqualTo(2);
    assertThat(result.output).contains("'cost' is a reason only for a non-prod exception");
  }

  @Test
  void anExceptionThatMatchesNothingIsStaleAndFailsTheGate() throws Exception {
    Result result = gate(exceptions("""
          - rule: ct-cloudwatch-pr-3
            scope: all
            because: not-applicable
            reason: a fixture reason that is long enough to count as a sentence
          - rule: ct-ecs-pr-3
            scope: all
            because: not-applicable
            reason: a fixture reason that is long enough to count as a sentence
        """), template("prod"));

    assertThat(result.exit).isEqualTo(1);
    assertThat(result.output).contains("STALE exception ct-ecs-pr-3").doesNotContain("FAIL ");
  }

  @Test
  void malformedEntriesAreOneClearLine() throws Exception {
    Result result = gate(exceptions("""
          - rule: CT.ECS.PR.3
            scope: all
            because: not-applicable
            reason: a fixture reason that is long enough to count as a sentence
        """), template("prod"));

    assertThat(result.exit).isEqualTo(2);
    assertThat(result.output.strip()).doesNotContain("Traceback").contains("'rule' must be a control id like ct-ecs-pr-3");
  }

  @Test
  void aCrossStackImportOfAKmsKeyCountsAsAKey() throws Exception {
    Path stage = Files.createDirectories(dir.resolve("cdk.out/assembly-GitOpsPipeline-prod"));
    Files.writeString(stage.resolve("Keys.template.json"), """
        {"Resources": {"Key1": {"Type": "AWS::KMS::Key", "Properties": {}}},
         "Outputs": {"KeyArn": {"Value": {"Fn::GetAtt": ["Key1", "Arn"]}, "Export": {"Name": "prod-Keys:KeyArn"}}}}
        """);
    Path logs = stage.resolve("Logs.template.json");
    Files.writeString(logs, """
        {"Resources": {"AppLogs1234": {"Type": "AWS::Logs::LogGroup",
          "Properties": {"RetentionInDays": 365, "KmsKeyId": {"Fn::ImportValue": "prod-Keys:KeyArn"}}}}}
        """);

    // Only the log group's template: the export is unknown, so the import stays unresolved.
    assertThat(gate(exceptions(""), logs).output).contains("FAIL ct-cloudwatch-pr-3");
    // The whole assembly: the import resolves to the exporting KMS key (which fails controls of its own).
    Result both = gate(exceptions(""), dir.resolve("cdk.out"));
    assertThat(both.output).contains("FAIL ct-kms-pr-3 prod/Keys").doesNotContain("ct-cloudwatch-pr-3");
  }

  private Path template(String stage) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("cdk.out/assembly-GitOpsPipeline-" + stage));
    Path file = folder.resolve("GitOpsPipeline" + stage + "Compute.template.json");
    Files.writeString(file, UNENCRYPTED_LOG_GROUP.replace("STAGE", stage));
    Files.writeString(folder.resolve("manifest.json"), """
        {"artifacts": {"S": {"type": "aws:cloudformation:stack", "displayName": "GitOpsPipeline/%s/Compute",
          "properties": {"templateFile": "%s"}}}}
        """.formatted(stage, file.getFileName()));
    return file;
  }

  private String exceptions(String entries) throws IOException {
    Path file = Files.createTempFile(dir, "exceptions", ".yaml");
    Files.writeString(file, "non_prod_stages: [dev, test]\nexceptions:\n" + (entries.isBlank() ? "  []\n" : entries));
    return file.toString();
  }

  private record Result(int exit, String output) {}

  private Result gate(String exceptions, Path... templates) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3", ROOT.resolve("bin/lib/control_tower_gate.py").toString(),
        "--cfn-guard", CFN_GUARD.toString(),
        "--rules", PACKAGE.resolve("rules/control-tower").toString(),
        "--exceptions", exceptions));
    for (Path template : templates) {
      command.add(template.toString());
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }
}
