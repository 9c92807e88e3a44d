package io.gitops.lambdas.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.ApiCallCounter;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.testing.Events;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tag policy decides before any AWS call. Table-driven; tags that pass go on to the repository
 * mapping, which here is deliberately empty of the pushed repository so no AWS call is ever needed.
 */
class TagPolicyTest {
  private static Outcome decide(String tag, String policy) {
    Map<String, String> env = new HashMap<>(Map.of(
        "AWS_REGION", "us-east-1", "LEDGER_TABLE", "t", "ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:a",
        "SERVICE_MAP", "{\"other\":{\"cluster\":\"c\",\"service\":\"s\",\"container\":\"app\","
            + "\"releaseParameter\":\"/p\",\"repositoryUri\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/other\"}}",
        "AWS_ENDPOINT_URL", "http://127.0.0.1:9"));
    if (policy != null) env.put("TAG_POLICY", policy);
    ApiCallCounter counter = new ApiCallCounter();
    var clients = io.gitops.lambdas.testing.AwsFixture.functionClients(java.net.URI.create("http://127.0.0.1:9"),
        io.gitops.lambdas.testing.AwsFixture.FAST_SDK, counter);
    var h = new ImageDeployerHandler(LambdaConfig.from(env), clients, new PrintStream(OutputStream.nullOutputStream()),
        Clock.systemUTC());
    Outcome o = h.handle(Events.bytes(Events.ecrPush("bff", Events.digest("x"), tag, Instant.parse("2026-01-01T00:00:00Z"))));
    assertThat(counter.total()).isZero();
    return o;
  }

  @ParameterizedTest(name = "default policy: tag {0} -> {1}")
  @CsvSource({
    "1.0.1, PASSES",
    "v1.0.1, PASSES",
    "10.20.30, PASSES",
    "1.0.1-rc.1, PASSES",
    "2.0.0-beta-2, PASSES",
    "latest, TAG_POLICY",
    "main, TAG_POLICY",
    "stable, TAG_POLICY",
    "1.0, TAG_POLICY",
    "1, TAG_POLICY",
    "v1.0.1_build5, TAG_POLICY",
    "sha-3f2a9c1, TAG_POLICY",
    "1.0.1.2, TAG_POLICY",
    "V1.0.1, TAG_POLICY",
    ", UNTAGGED",
  })
  void defaultPolicyDeploysOnlyReleaseTags(String tag, String expected) {
    Outcome o = decide(tag, null);
    assertThat(o.action()).isEqualTo(Outcome.Action.SKIPPED);
    // A passing tag reaches the mapping step (the repository is unmapped in this table).
    assertThat(o.code()).isEqualTo(expected.equals("PASSES") ? "UNKNOWN_REPOSITORY" : expected);
  }

  @ParameterizedTest(name = "custom policy {1}: tag {0} -> {2}")
  @CsvSource({
    "dev-42, ^dev-\\d+$, PASSES",
    "1.0.1, ^dev-\\d+$, TAG_POLICY",
    "latest, ^.*$, PASSES",
  })
  void policyIsConfigurablePerEnvironment(String tag, String policy, String expected) {
    Outcome o = decide(tag, policy);
    assertThat(o.code()).isEqualTo(expected.equals("PASSES") ? "UNKNOWN_REPOSITORY" : expected);
  }
}
