package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.InvalidInputException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardConfigTest {
  @Test
  void defaultsApplyWhenNothingIsSet() {
    GuardConfig c = GuardConfig.from(Map.of());

    assertThat(c.failureThreshold()).isEqualTo(2);
    assertThat(c.gracePeriod()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.targetGroups()).isEmpty();
    assertThat(c.probeUrls()).isEmpty();
  }

  @Test
  void mapsAreReadPerService() {
    GuardConfig c = GuardConfig.from(Map.of(
        "TARGET_GROUP_ARNS", "{\"bff\":\"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff/0a1b\"}",
        "HEALTH_PROBE_URLS", "{\"bff\":\"http://127.0.0.1:8080/health\"}"));

    assertThat(c.targetGroup("bff")).hasValueSatisfying(v -> assertThat(v).endsWith("targetgroup/bff/0a1b"));
    assertThat(c.targetGroup("graphql")).isEmpty();
    assertThat(c.probeUrl("bff")).hasValueSatisfying(u -> assertThat(u.getPort()).isEqualTo(8080));
  }

  @Test
  void everyBadVariableIsNamedInOneMessage() {
    assertThatThrownBy(() -> GuardConfig.from(Map.of("FAILURE_THRESHOLD", "0", "GRACE_PERIOD_SECONDS", "soon",
        "TARGET_GROUP_ARNS", "{\"bff\":\"arn:aws:s3:::bucket\"}", "HEALTH_PROBE_URLS", "[1]")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("FAILURE_THRESHOLD: expected a positive integer, got 0")
        .hasMessageContaining("GRACE_PERIOD_SECONDS")
        .hasMessageContaining("TARGET_GROUP_ARNS: bff: not a target group ARN")
        .hasMessageContaining("HEALTH_PROBE_URLS: expected a JSON object");
  }

  @Test
  void aProbeUrlMustBeHttp() {
    assertThatThrownBy(() -> GuardConfig.from(Map.of("HEALTH_PROBE_URLS", "{\"bff\":\"file:///etc/passwd\"}")))
        .hasMessageContaining("HEALTH_PROBE_URLS: bff: not an http(s) URL");
  }
}
