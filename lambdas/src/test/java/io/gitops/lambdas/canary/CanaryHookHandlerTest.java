package io.gitops.lambdas.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.contract.EnvVar;
import io.gitops.contract.OperatorWiring;
import io.gitops.lambdas.core.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, blocker 3: the hook lives in the compute stack, before the deployers; on a brand-new environment ECS may
 * call it before the deployment stack exists. It then answers SUCCEEDED (no push can be under way), never an error
 * that ECS would take for FAILED, and builds the analysis from the deployers' wiring once it exists.
 */
class CanaryHookHandlerTest {
  private static final byte[] INVOCATION = ("{\"executionDetails\":{\"testTrafficWeights\":{},\"productionTrafficWeights\":{},"
      + "\"serviceArn\":\"arn:aws:ecs:us-east-1:123456789012:service/c/bff\",\"targetServiceRevisionArn\":"
      + "\"arn:aws:ecs:us-east-1:123456789012:service-revision/c/bff/1\"},\"executionId\":\"e-1\","
      + "\"lifecycleStage\":\"POST_TEST_TRAFFIC_SHIFT\",\"resourceArn\":"
      + "\"arn:aws:ecs:us-east-1:123456789012:service-deployment/c/bff/d1\"}").getBytes(StandardCharsets.UTF_8);

  private static final Map<String, String> OWN = Map.of(EnvVar.AWS_REGION, "us-east-1", EnvVar.ENVIRONMENT_NAME, "dev",
      EnvVar.CANARY_ANALYSIS, "{}", EnvVar.FUNCTION_TIMEOUT_SECONDS, "60");

  private static String answer(CanaryHookHandler h) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    h.handleRequest(new ByteArrayInputStream(INVOCATION), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void beforeTheDeployersExistTheHookLetsThePipelinesOwnDeploymentThrough() throws Exception {
    List<String> asked = new ArrayList<>();
    CanaryHookHandler h = new CanaryHookHandler(OWN, name -> {
      asked.add(name);
      return Optional.empty();
    }, env -> {
      throw new AssertionError("no analysis without the deployers' wiring");
    });
    var a = Json.parse(answer(h)).asObject();
    assertThat(a.get("hookStatus").asString()).isEqualTo("SUCCEEDED");
    assertThat(a.get("hookDetails").asObject().get("reason").asString()).startsWith(CanaryHookHandler.NO_DEPLOYERS_YET);
    assertThat(asked).containsExactly(OperatorWiring.parameterName("dev"));
  }

  @Test
  void aWiringThatCannotBeReadIsInProgressNeverAnError() throws Exception {
    CanaryHookHandler h = new CanaryHookHandler(OWN, name -> {
      throw new RuntimeException("ThrottlingException: Rate exceeded");
    }, env -> {
      throw new AssertionError("unreachable");
    });
    var a = Json.parse(answer(h)).asObject();
    assertThat(a.get("hookStatus").asString()).isEqualTo("IN_PROGRESS");
    assertThat(a.get("callBackDelay").asNumber()).isEqualTo("30");
  }

  @Test
  void onceTheWiringExistsTheAnalysisGetsItWithTheFunctionsOwnSettingsOnTop() throws Exception {
    List<Map<String, String>> built = new ArrayList<>();
    CanaryHookHandler h = new CanaryHookHandler(OWN, name -> Optional.of("{\"" + EnvVar.LEDGER_TABLE + "\":\"ledger\","
        + "\"" + EnvVar.ALARM_TOPIC_ARN + "\":\"arn:aws:sns:us-east-1:123456789012:t\",\"" + EnvVar.FUNCTION_TIMEOUT_SECONDS
        + "\":\"99\"}"), env -> {
          built.add(env);
          throw new IllegalStateException("stop here");
        });
    try {
      answer(h);
    } catch (IllegalStateException expected) {
      // the analysis itself is the guard's, covered by CanaryHookTest
    }
    assertThat(built).singleElement().satisfies(env -> assertThat(env)
        .containsEntry(EnvVar.LEDGER_TABLE, "ledger")
        .containsEntry(EnvVar.ALARM_TOPIC_ARN, "arn:aws:sns:us-east-1:123456789012:t")
        .containsEntry(EnvVar.FUNCTION_TIMEOUT_SECONDS, "60")
        .containsEntry(EnvVar.CANARY_ANALYSIS, "{}"));
  }
}
