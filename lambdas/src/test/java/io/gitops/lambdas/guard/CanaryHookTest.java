package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.canary.CanaryAnalysis.HookStatus;
import io.gitops.lambdas.canary.CanaryHook;
import io.gitops.lambdas.canary.CanaryPlan;
import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The guard as the BFF's canary hook, against moto: task failures of a canary are counted by the guard and
 * acted on by the hook only (one rollback, ECS's); an abort is recorded with the failing check and its values.
 */
@ExtendWith(MotoExtension.class)
class CanaryHookTest {
  private static final String LB = "app/gitops-dev/50dc6c495c0c9188";
  private static final String TG_A = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff-a/73e2d6bc24d8a067";
  private static final String TG_B = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff-b/6d0ecf831eec9f09";
  private GuardHarness h;
  /** The canary's 5xx answers per window; requests are 100 per window. */
  private double errorsPerWindow;
  private final List<String> runningIps = new ArrayList<>();

  @BeforeEach
  void provision(MotoServer moto) {
    h = new GuardHarness(moto.endpoint());
    h.env.put(io.gitops.contract.EnvVar.CANARY_ANALYSIS, "{\"bff\":{}}");
  }

  private GuardHandler canaryGuard() {
    CanaryPlan plan = new CanaryPlan(LB, List.of(TG_A, TG_B), Optional.empty(), Duration.ofSeconds(60), 2, 2,
        0.05, 1.5);
    // The new revision's tasks are registered in TG_B; TG_A holds nothing of it.
    TargetHealth targets = tg -> TG_B.equals(tg) ? runningIps.stream()
        .map(ip -> new TargetHealth.Target(ip, Optional.of(3000), "healthy", "")).toList() : List.of();
    return new GuardHandler(h.config(), GuardConfig.from(h.env),
        AwsFixture.functionClients(h.fx.endpoint(), AwsFixture.FAST_SDK, h.calls), targets, (u, t) -> 200,
        (series, from, to, period) -> series.stream().map(s -> new CloudWatchQuery.Values(
            s.metricName().equals("RequestCount") ? List.of(100.0)
                : s.metricName().equals("HTTPCode_Target_5XX_Count") && errorsPerWindow > 0 ? List.of(errorsPerWindow)
                : List.of())).toList(),
        Map.of("bff", plan), h.out, h.clock);
  }

  private static JsonNode invocation(String stage, double weight, String hookDetails) {
    String rev = "arn:aws:ecs:us-east-1:123456789012:service-revision/test-cluster/bff/2";
    return Json.parse("{\"executionDetails\":{\"testTrafficWeights\":{},\"productionTrafficWeights\":{\""
        + rev + "\":" + weight + "},\"serviceArn\":\"arn:aws:ecs:us-east-1:123456789012:service/test-cluster/bff\","
        + "\"targetServiceRevisionArn\":\"" + rev + "\"},\"executionId\":\"e1\",\"lifecycleStage\":\"" + stage + "\","
        + "\"resourceArn\":\"arn:aws:ecs:us-east-1:123456789012:service-deployment/test-cluster/bff/x\""
        + (hookDetails == null ? "" : ",\"hookDetails\":" + hookDetails) + "}");
  }

  /** Calls the hook as ECS does until it stops answering IN_PROGRESS. */
  private List<CanaryHook.Response> untilDecided(GuardHandler g, String stage, double weight) {
    List<CanaryHook.Response> out = new ArrayList<>();
    String details = null;
    for (int i = 0; i < 10; i++) {
      CanaryHook.Response r = g.hook(invocation(stage, weight, details));
      out.add(r);
      if (r.status() != HookStatus.IN_PROGRESS) return out;
      details = r.hookDetails().toString();
      h.advance(Duration.ofSeconds(r.callBackDelay()));
    }
    return out;
  }

  private String[] goodThenCanary(GuardHandler g) {
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String bad = h.deploy("bff", "bad");
    for (int i = 0; i < 2; i++) {
      String task = h.taskId();
      runningIps.add(GuardEvents.ip(task));
      g.handle(GuardEvents.running("bff", task, bad, h.version(), h.now()));
    }
    return new String[] {good, bad};
  }

  @Test
  void aDeploymentNoPushStartedContinuesWithoutAnalysis() {
    // A pipeline deployment, or an operator's rollback: the ledger holds no rollout of a push.
    GuardHandler g = canaryGuard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    h.fx.notifications();
    errorsPerWindow = 50; // whatever the metrics say: there is no push's canary to judge

    List<CanaryHook.Response> hook = untilDecided(g, "PRODUCTION_TRAFFIC_SHIFT", 10);

    assertThat(hook).singleElement().satisfies(r -> {
      assertThat(r.status()).isEqualTo(HookStatus.SUCCEEDED);
      assertThat(r.reason()).startsWith("NOT_A_PUSH");
    });
    assertThat(h.fx.notifications()).isEmpty();
    assertThat(h.deployment("bff", "good").status()).isEqualTo(DeploymentStatus.HEALTHY);
  }

  @Test
  void taskFailuresOfACanaryRollBackExactlyOnceThroughTheHookNeverThroughTheGuard() {
    GuardHandler g = canaryGuard();
    String[] revs = goodThenCanary(g);
    h.fx.notifications();
    int updatesBefore = h.calls.snapshot().getOrDefault("ECS.UpdateService", 0);

    GuardOutcome first = h.crash(g, "bff", revs[1]);
    GuardOutcome second = h.crash(g, "bff", revs[1]);
    List<CanaryHook.Response> hook = untilDecided(g, "PRODUCTION_TRAFFIC_SHIFT", 10);
    // ECS rolls back and says so; the guard must not act a second time.
    GuardOutcome afterEcs = g.handle(GuardEvents.deployment("test-cluster", "bff", "SERVICE_DEPLOYMENT_FAILED",
        h.now(), "ECS deployment rolled back: lifecycle hook returned FAILED"));

    assertThat(first.action()).isEqualTo(GuardOutcome.Action.COUNTED);
    assertThat(second.code()).isEqualTo("CANARY_THRESHOLD");
    assertThat(hook.get(hook.size() - 1).status()).isEqualTo(HookStatus.FAILED);
    assertThat(hook.get(hook.size() - 1).reason()).contains("task-failures");
    assertThat(afterEcs.action()).isNotEqualTo(GuardOutcome.Action.ROLLED_BACK);
    assertThat(h.calls.snapshot().getOrDefault("ECS.UpdateService", 0) - updatesBefore).as("UpdateService calls by the functions").isZero();
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLED_BACK);
    assertThat(h.fx.notifications()).hasSize(1).allMatch(n -> n.contains("CANARY_ABORTED"));
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "good"));
  }

  @Test
  void anAbortIsRecordedWithTheFailingCheckAndItsValues() {
    GuardHandler g = canaryGuard();
    goodThenCanary(g);
    h.fx.notifications();
    errorsPerWindow = 20;

    List<CanaryHook.Response> hook = untilDecided(g, "PRODUCTION_TRAFFIC_SHIFT", 10);

    assertThat(hook).extracting(CanaryHook.Response::status).containsExactly(HookStatus.IN_PROGRESS,
        HookStatus.IN_PROGRESS, HookStatus.FAILED);
    var bad = h.deployment("bff", "bad");
    assertThat(bad.status()).isEqualTo(DeploymentStatus.ROLLED_BACK);
    assertThat(bad.reasons()).anyMatch(r -> r.contains("error-rate") && r.contains("5xx rate 0.200 (20 of 100 requests)"));
    var note = Json.object(Json.parse(h.fx.notifications().get(0)), "$");
    assertThat(note.get("check").asString()).isEqualTo("error-rate");
    assertThat(note.get("values").asObject().get("errorRate").asNumber()).isEqualTo("0.2");
  }

  @Test
  void aHealthyCanaryChangesNothingUntilEcsCompletesAndThenTheGuardMarksItHealthy() {
    GuardHandler g = canaryGuard();
    String[] revs = goodThenCanary(g);
    h.advance(Duration.ofMinutes(5)); // past the grace period: a rolling service would be judged now

    List<CanaryHook.Response> hook = untilDecided(g, "POST_PRODUCTION_TRAFFIC_SHIFT", 100);
    var during = h.deployment("bff", "bad").status();
    GuardOutcome done = g.handle(GuardEvents.completed("bff", h.now()));

    assertThat(hook.get(hook.size() - 1).status()).isEqualTo(HookStatus.SUCCEEDED);
    assertThat(during).isEqualTo(DeploymentStatus.ROLLING_OUT);
    assertThat(done.action()).as(done.reason()).isEqualTo(GuardOutcome.Action.HEALTHY);
    assertThat(h.serviceRevision("bff")).isEqualTo(revs[1]);
  }

  @Test
  void theFullShiftStepPassesAtOnceTheCanaryStepIsHeld() {
    GuardHandler g = canaryGuard();
    goodThenCanary(g);

    assertThat(g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", 100, null)).status()).isEqualTo(HookStatus.SUCCEEDED);
    assertThat(g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", 10, null)).status()).isEqualTo(HookStatus.IN_PROGRESS);
  }
}
