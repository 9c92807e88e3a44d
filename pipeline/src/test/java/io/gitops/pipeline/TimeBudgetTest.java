package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.TimeBudget;
import io.gitops.lambdas.guard.GuardConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Stack;

/**
 * Issue 12, hole 8: the worst case of one event (docs/lambda-config.md, "Time budget") fits inside the
 * function timeout with margin, for every deployer function of every stage, read from the synthesized
 * templates: the timeout from the function's {@code Timeout}, the SDK settings from its environment (the
 * defaults where the stack sets none), parsed by the functions' own {@link LambdaConfig}.
 */
class TimeBudgetTest {
  @Test
  void everyDeployerFunctionsWorstCaseFitsItsTimeoutWithMargin() {
    SynthesizedApp app = SynthesizedApp.get();
    int checked = 0;
    for (String stage : List.of("dev", "test", "prod")) {
      for (Stack stack : app.stacks(stage)) {
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> functions = (Map<String, Map<String, Object>>) (Map<?, ?>)
            SynthesizedApp.template(stack).findResources("AWS::Lambda::Function");
        for (var e : functions.entrySet()) {
          @SuppressWarnings("unchecked")
          Map<String, Object> props = (Map<String, Object>) e.getValue().get("Properties");
          String handler = String.valueOf(props.get("Handler"));
          if (!handler.startsWith("io.gitops.lambdas.")) continue;
          Duration timeout = Duration.ofSeconds(((Number) props.get("Timeout")).longValue());
          Map<String, String> env = new java.util.HashMap<>(environment(props));
          boolean hook = handler.equals(io.gitops.contract.FunctionHandler.CANARY_HOOK.handler());
          if (hook) {
            // The canary hook reads the ledger and the topic from the deployers' wiring parameter at run time.
            env.putIfAbsent("LEDGER_TABLE", "ledger");
            env.putIfAbsent("ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:111111111111:alarms");
          }
          LambdaConfig config = LambdaConfig.from(env);
          assertThat(config.functionTimeout()).as("FUNCTION_TIMEOUT_SECONDS of " + e.getKey()).isEqualTo(timeout);
          Duration worst = handler.contains(".guard.") || hook
              ? TimeBudget.guardWorstCase(config.sdk(), GuardConfig.from(env).probeTimeout())
              : TimeBudget.deployerWorstCase(config.sdk());
          assertThat(TimeBudget.fits(worst, timeout)).as(stage + " " + e.getKey() + ": worst case " + worst
              + " against a timeout of " + timeout).isTrue();
          checked++;
        }
      }
    }
    assertThat(checked).as("deployer functions found").isGreaterThanOrEqualTo(4);
  }

  /** The function's variables; values that are CloudFormation references become placeholders. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> environment(Map<String, Object> props) {
    Map<String, Object> vars = (Map<String, Object>) ((Map<String, Object>) props.get("Environment")).get("Variables");
    Map<String, String> env = new HashMap<>();
    vars.forEach((k, v) -> env.put(k, v instanceof String s ? s : "placeholder"));
    env.put("AWS_REGION", "us-east-1");
    env.put("SERVICE_MAP", "{\"r\":{\"cluster\":\"c\",\"service\":\"s\",\"container\":\"a\",\"releaseParameter\":\"p\","
        + "\"repositoryUri\":\"u\"}}");
    env.put("TARGET_GROUP_ARNS", "{}");
    env.put("CANARY_ANALYSIS", "{}");
    env.put("HEALTH_PROBE_URLS", "{}");
    return env;
  }
}
