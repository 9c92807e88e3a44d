package io.gitops.stacks.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.TestEnvironmentsAccess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * The application secret rotates: the rotation function's four steps against moto's Secrets Manager
 * (rotation_check.py, with moto's in-process mock), and the schedule and least-privilege role in the
 * template.
 */
class GeneratedSecretRotationTest {

  @TempDir
  Path dir;

  @Test
  void theFunctionRotatesAgainstSecretsManager() throws Exception {
    Path source = dir.resolve("rotation.py");
    Files.writeString(source, GeneratedSecretRotation.source());
    Path check = Path.of("src/test/resources/rotation_check.py").toAbsolutePath();
    ProcessBuilder builder = new ProcessBuilder("python3", check.toString(), source.toString()).redirectErrorStream(true);
    builder.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing",
        "AWS_DEFAULT_REGION", "us-east-1", "AWS_EC2_METADATA_DISABLED", "true"));
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("rotation: all checks passed").doesNotContain("FAIL");
  }

  @Test
  void theSecretRotatesEvery30DaysWithAFunctionThatTouchesOnlyIt() {
    Template template = Template.fromStack(TestEnvironmentsAccess.prod().security());
    template.hasResourceProperties("AWS::SecretsManager::RotationSchedule", Match.objectLike(Map.of(
        "RotationLambdaARN", Match.anyValue(),
        "RotationRules", Map.of("ScheduleExpression", "rate(30 days)"))));
    template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
        "Handler", "index.handler", "Runtime", "python3.14")));
    template.hasResourceProperties("AWS::IAM::Policy", Match.objectLike(Map.of("PolicyDocument", Map.of(
        "Version", "2012-10-17",
        "Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Action", List.of("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"),
            "Resource", Map.of("Ref", Match.stringLikeRegexp("ApplicationSecret.*"))))))))));
  }
}
