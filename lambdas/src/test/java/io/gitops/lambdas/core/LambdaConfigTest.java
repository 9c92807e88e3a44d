package io.gitops.lambdas.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LambdaConfigTest {
  private static Map<String, String> valid() {
    return new HashMap<>(Map.of("AWS_REGION", "eu-west-1", "LEDGER_TABLE", "ledger",
        "ALARM_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:alarms",
        "SERVICE_MAP", "{\"bff\":{\"cluster\":\"dev\",\"service\":\"bff\",\"container\":\"app\","
            + "\"releaseParameter\":\"/gitops/dev/bff/image\",\"repositoryUri\":\"123456789012.dkr.ecr.eu-west-1.amazonaws.com/bff\"}}"));
  }

  @Test
  void parsesTheServiceMapAndDefaults() {
    LambdaConfig c = LambdaConfig.from(valid());

    assertThat(c.targetForRepository("bff").orElseThrow().releaseParameter()).isEqualTo("/gitops/dev/bff/image");
    assertThat(c.targetForService("bff")).isPresent();
    assertThat(c.tagPolicy().pattern()).isEqualTo(LambdaConfig.DEFAULT_TAG_POLICY);
    assertThat(c.endpoint()).isEmpty();
  }

  @Test
  void namesEveryBadVariableInOneError() {
    Map<String, String> env = valid();
    env.remove("LEDGER_TABLE");
    env.put("TAG_POLICY", "([");
    env.put("SDK_MAX_ATTEMPTS", "zero");
    env.put("SERVICE_MAP", "{\"bff\":{\"cluster\":\"dev\"}}");

    assertThatThrownBy(() -> LambdaConfig.from(env))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("LEDGER_TABLE: missing")
        .hasMessageContaining("TAG_POLICY: not a regular expression")
        .hasMessageContaining("SDK_MAX_ATTEMPTS")
        .hasMessageContaining("SERVICE_MAP: $.bff.service: missing");
  }
}
