package io.gitops.lambdas.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.canary.CanaryAnalysis.Decision;
import io.gitops.lambdas.canary.CanaryAnalysis.HookStatus;
import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.guard.TargetHealth;
import io.gitops.testing.Events;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The analysis against recorded metric series (src/test/resources/canary/*.json: one object per measurement
 * window, as CloudWatch would answer for the canary's and the stable target group): pass, fail on errors, fail
 * on latency, inconclusive, and missing data. No AWS: the series are replayed, one window per hook invocation.
 */
class CanaryAnalysisTest {
  private static final String LB = "app/gitops-dev/50dc6c495c0c9188";
  private static final String CANARY_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff-b/6d0ecf831eec9f09";
  private static final String STABLE_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff-a/73e2d6bc24d8a067";
  private static final CanaryPlan PLAN = new CanaryPlan(LB, List.of(STABLE_TG, CANARY_TG), Optional.empty(),
      Duration.ofSeconds(60), 3, 3, CanaryPlan.DEFAULT_MAX_ERROR_RATE, CanaryPlan.DEFAULT_MAX_LATENCY_RATIO);
  private static final TargetHealth HEALTHY = tg -> List.of(new TargetHealth.Target("10.0.1.5", Optional.of(3000), "healthy", ""));

  /** Replays a recorded file: every invocation after the first reads the next window. */
  private static final class Recorded implements CanaryChecks.MetricSource {
    final List<Map<String, JsonNode>> windows = new ArrayList<>();
    int window = -1;

    Recorded(String file) {
      for (JsonNode w : Json.object(Json.parse(Events.text("canary/" + file)), "$").get("windows").asArray()) {
        windows.add(w.asObject());
      }
    }

    @Override
    public List<CloudWatchQuery.Values> get(List<CloudWatchQuery.Series> series, Instant from, Instant to, int period) {
      Map<String, JsonNode> w = windows.get(window);
      List<CloudWatchQuery.Values> out = new ArrayList<>();
      for (CloudWatchQuery.Series s : series) {
        boolean canary = s.dimensions().get("TargetGroup").startsWith("targetgroup/bff-b/");
        String field = switch (s.metricName()) {
          case CanaryChecks.REQUESTS -> "requests";
          case CanaryChecks.ERRORS -> "errors";
          default -> canary ? "canaryP95" : "stableP95";
        };
        JsonNode v = w.get(field);
        // ALB publishes a 5xx count only when there were some: zero errors is no data point at all.
        boolean absent = v == null || ("errors".equals(field) && Double.parseDouble(v.asNumber()) == 0);
        out.add(new CloudWatchQuery.Values(absent ? List.of() : List.of(Double.parseDouble(v.asNumber()))));
      }
      return out;
    }
  }

  private record Run(List<Decision> decisions) {
    Decision last() {
      return decisions.get(decisions.size() - 1);
    }
  }

  /** Invokes the hook as ECS would until it answers SUCCEEDED or FAILED, one recorded window per callback. */
  private static Run run(String file, List<Check> checks) {
    Recorded metrics = new Recorded(file);
    CanaryChecks measure = new CanaryChecks(metrics, HEALTHY, (url, timeout) -> 200, Duration.ofSeconds(1));
    CanaryChecks.Subject subject = new CanaryChecks.Subject(LB, Optional.of(CANARY_TG), Optional.of(STABLE_TG), 0);
    List<Decision> decisions = new ArrayList<>();
    AnalysisState state = AnalysisState.fresh("PRODUCTION_TRAFFIC_SHIFT");
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    for (int i = 0; i <= metrics.windows.size(); i++) {
      Decision d = CanaryAnalysis.step(checks, state, now,
          w -> measure.measure(w.check(), subject, Optional.empty(), w.from(), w.to()));
      decisions.add(d);
      if (d.status() != HookStatus.IN_PROGRESS) break;
      // What ECS hands back: the hookDetails of the answer, after callBackDelay.
      state = AnalysisState.from(Optional.of(Json.parse(Json.obj().put(AnalysisState.KEY, d.state().toJson()).toString())),
          "PRODUCTION_TRAFFIC_SHIFT");
      now = now.plusSeconds(d.callBackDelaySeconds());
      metrics.window++;
    }
    return new Run(decisions);
  }

  @Test
  void aHealthyCanaryIsMeasuredEveryIntervalAndSucceedsAfterItsCount() {
    Run r = run("healthy.json", PLAN.trafficChecks(3, 2));

    assertThat(r.decisions()).extracting(Decision::status).containsExactly(HookStatus.IN_PROGRESS,
        HookStatus.IN_PROGRESS, HookStatus.IN_PROGRESS, HookStatus.SUCCEEDED);
    assertThat(r.decisions().subList(0, 3)).extracting(Decision::callBackDelaySeconds).containsOnly(60L);
    assertThat(r.last().state().tallies().get(CanaryPlan.ERROR_RATE).passed()).isEqualTo(3);
    assertThat(r.last().state().tallies().get(CanaryPlan.LATENCY).passed()).isEqualTo(3);
  }

  @Test
  void aFiveXxSpikeFailsTheErrorRateCheckWhenItPassesItsFailureLimit() {
    Run r = run("spike.json", PLAN.trafficChecks(3, 2));

    // Failure limit 1: the second bad window (the third measurement) aborts, one interval after the first.
    assertThat(r.decisions()).hasSize(4);
    assertThat(r.last().status()).isEqualTo(HookStatus.FAILED);
    CanaryAnalysis.Failure f = r.last().failing().orElseThrow();
    assertThat(f.check()).isEqualTo(CanaryPlan.ERROR_RATE);
    assertThat(f.last().values().get("errorRate")).isCloseTo(13.0 / 61, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(f.describe()).contains("5xx rate 0.213 (13 of 61 requests)");
  }

  @Test
  void aLatencyRegressionAgainstTheStableRevisionFailsTheLatencyCheck() {
    Run r = run("slow.json", PLAN.trafficChecks(3, 2));

    assertThat(r.last().status()).isEqualTo(HookStatus.FAILED);
    assertThat(r.last().failing().orElseThrow().check()).isEqualTo(CanaryPlan.LATENCY);
    assertThat(r.last().failing().orElseThrow().last().values().get("ratio")).isGreaterThan(2.0);
  }

  @Test
  void missingDataIsInconclusiveNotAPassAndWithinTheLimitsTheAnalysisStillEnds() {
    Run r = run("quiet.json", PLAN.trafficChecks(3, 2));

    assertThat(r.last().status()).isEqualTo(HookStatus.SUCCEEDED);
    assertThat(r.last().state().tallies().get(CanaryPlan.ERROR_RATE))
        .satisfies(t -> assertThat(t.inconclusive()).isEqualTo(3))
        .satisfies(t -> assertThat(t.passed()).isZero());
    assertThat(r.decisions().get(1).measurements().get(CanaryPlan.ERROR_RATE).detail())
        .isEqualTo("no requests reached the new revision in the window");
  }

  @Test
  void aCheckInconclusiveMoreOftenThanItsLimitFailsTheAnalysis() {
    Check strict = new Check("error-rate-strict", Check.Kind.ERROR_RATE, Duration.ofSeconds(30), 3, 1, 1, 0.05);

    Run r = run("quiet.json", List.of(strict));

    assertThat(r.last().status()).isEqualTo(HookStatus.FAILED);
    assertThat(r.last().failing().orElseThrow().why()).isEqualTo("was inconclusive 2 time(s), above its inconclusive limit 1");
    assertThat(r.decisions().get(0).callBackDelaySeconds()).isEqualTo(30);
  }

  @Test
  void theFirstInvocationOfAStageMeasuresNothingAndOpensTheWindows() {
    Run r = run("spike.json", PLAN.trafficChecks(3, 2));

    assertThat(r.decisions().get(0).measurements()).isEmpty();
    assertThat(r.decisions().get(0).state().tallies()).containsOnlyKeys(CanaryPlan.ERROR_RATE, CanaryPlan.LATENCY,
        CanaryPlan.CANARY_TARGETS, CanaryPlan.TASK_FAILURES);
  }

  @Test
  void countersFromAnotherStageAreNotCarriedOver() {
    AnalysisState bake = new AnalysisState("POST_PRODUCTION_TRAFFIC_SHIFT", 120, 60,
        Map.of(CanaryPlan.ERROR_RATE, new AnalysisState.Tally(2, 0, 0, 120, 0)));
    JsonNode details = Json.parse(Json.obj().put(AnalysisState.KEY, bake.toJson()).toString());

    assertThat(AnalysisState.from(Optional.of(details), "POST_PRODUCTION_TRAFFIC_SHIFT")).isEqualTo(bake);
    assertThat(AnalysisState.from(Optional.of(details), "PRODUCTION_TRAFFIC_SHIFT").tallies()).isEmpty();
  }
}
