package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.canary.CanaryAnalysis.HookStatus;
import io.gitops.lambdas.canary.CanaryHook;
import io.gitops.lambdas.canary.CanaryPlan;
import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.deployer.Outcome;
import io.gitops.testing.Events;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.lambdas.testing.PlannedFaults;
import io.gitops.lambdas.testing.ServiceRevisionsDouble;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
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
  /** The service revisions ECS deploys: the canary's (green) and the one it replaces (blue). */
  static final String GREEN = "arn:aws:ecs:us-east-1:123456789012:service-revision/test-cluster/bff/6347182763154291200";
  static final String BLUE = "arn:aws:ecs:us-east-1:123456789012:service-revision/test-cluster/bff/4980306466373577095";
  private GuardHarness h;
  /** The canary's 5xx answers per window; requests are 100 per window. */
  private double errorsPerWindow;
  /** CloudWatch's next answers fail with a 5xx while this is above 0 (counted down per query). */
  private int cloudWatchFailures;
  private final List<String> runningIps = new ArrayList<>();
  private final ServiceRevisionsDouble revisions = new ServiceRevisionsDouble();
  private FaultProxy proxy;
  private final PlannedFaults faults = new PlannedFaults();

  @BeforeEach
  void provision(MotoServer moto) {
    h = new GuardHarness(moto.endpoint());
    h.env.put(io.gitops.contract.EnvVar.CANARY_ANALYSIS, "{\"bff\":{}}");
    proxy = revisions.on(FaultProxy.serializing(moto.endpoint()));
  }

  @AfterEach
  void closeProxy() {
    proxy.close();
  }

  private GuardHandler canaryGuard() {
    CanaryPlan plan = new CanaryPlan(LB, List.of(TG_A, TG_B), Optional.empty(), Duration.ofSeconds(60), 2, 2,
        0.05, 1.5);
    // The new revision's tasks are registered in TG_B (ELB knows them whether or not the guard saw their events).
    TargetHealth targets = tg -> TG_B.equals(tg) ? runningIps.stream()
        .map(ip -> new TargetHealth.Target(ip, Optional.of(3000), "healthy", "")).toList() : List.of();
    return new GuardHandler(h.config(), GuardConfig.from(h.env),
        AwsFixture.functionClients(proxy.endpoint(), AwsFixture.FAST_SDK, h.calls, faults), targets, (u, t) -> 200,
        (series, from, to, period) -> {
          if (cloudWatchFailures > 0) {
            cloudWatchFailures--;
            throw new RetryableException("CloudWatch GetMetricData answered 500: InternalFailure");
          }
          return series.stream().map(s -> new CloudWatchQuery.Values(
              s.metricName().equals("RequestCount") ? List.of(100.0)
                  : s.metricName().equals("HTTPCode_Target_5XX_Count") && errorsPerWindow > 0 ? List.of(errorsPerWindow)
                  : List.of())).toList();
        },
        Map.of("bff", plan), h.out, h.clock);
  }

  /** ECS's service revisions: green runs {@code greenRevision} in TG_B, blue {@code blueRevision} in TG_A. */
  private void revisions(String blueRevision, String blueLabel, String greenRevision, String greenLabel) {
    revisions.put(BLUE, new ServiceRevisionsDouble.Revision(blueRevision, "bff", h.image("bff", blueLabel), TG_A));
    revisions.put(GREEN, new ServiceRevisionsDouble.Revision(greenRevision, "bff", h.image("bff", greenLabel), TG_B));
  }

  private static JsonNode invocation(String stage, double weight, String hookDetails) {
    return invocation(stage, GREEN, weight, hookDetails);
  }

  /** ECS's payload (events/canary/lifecycle-hook-production-traffic-shift.json's shape) for {@code target}. */
  private static JsonNode invocation(String stage, String target, double weight, String hookDetails) {
    String other = target.equals(GREEN) ? BLUE : GREEN;
    String weights = weight >= 100 ? "\"" + target + "\":100" : "\"" + other + "\":" + (100 - weight) + ",\""
        + target + "\":" + weight;
    return Json.parse("{\"executionDetails\":{\"testTrafficWeights\":{},\"productionTrafficWeights\":{"
        + weights + "},\"serviceArn\":\"arn:aws:ecs:us-east-1:123456789012:service/test-cluster/bff\","
        + "\"targetServiceRevisionArn\":\"" + target + "\"},\"executionId\":\"e1\",\"lifecycleStage\":\"" + stage + "\","
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
    return goodThenCanary(g, true);
  }

  /** A HEALTHY release, then a push whose two tasks run; {@code delivered}: the guard received their events. */
  private String[] goodThenCanary(GuardHandler g, boolean delivered) {
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String bad = h.deploy("bff", "bad");
    revisions(good, "good", bad, "bad");
    for (int i = 0; i < 2; i++) {
      String task = h.taskId();
      runningIps.add(GuardEvents.ip(task));
      if (delivered) g.handle(GuardEvents.running("bff", task, bad, h.version(), h.now()));
    }
    return new String[] {good, bad};
  }

  @Test
  void aDeploymentNoPushStartedContinuesWithoutAnalysis() {
    // A pipeline deployment, or an operator's rollback: the ledger holds no rollout of a push.
    GuardHandler g = canaryGuard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    revisions(good, "good", good, "good"); // the pipeline's revision runs the released image
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

  // Issue 20, finding 5: the hook ties each invocation to targetServiceRevisionArn.

  @Test
  void aHealthyCanaryIsJudgedOnItsRevisionsTargetGroupWithoutItsTaskEvents() {
    // The guard has not received the canary's RUNNING events (late, or still retried): ELB and ECS know the
    // targets and the revision. Before the fix the target group was found from those events: unknown, and
    // canary-targets aborted the healthy canary as inconclusive.
    GuardHandler g = canaryGuard();
    goodThenCanary(g, false);

    List<CanaryHook.Response> hook = untilDecided(g, "POST_PRODUCTION_TRAFFIC_SHIFT", 100);

    assertThat(hook.get(hook.size() - 1).status()).as(hook.get(hook.size() - 1).reason())
        .isEqualTo(HookStatus.SUCCEEDED);
    assertThat(hook).flatExtracting(CanaryHook.Response::lines)
        .anyMatch(line -> line.startsWith("canary-targets: PASS (2 target(s)"));
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
  }

  @Test
  void aPushWhoseLedgerRecordLagsEcsWaitsForItAndIsThenJudged() {
    GuardHandler g = canaryGuard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    // The image deployer's UpdateService goes through; its release parameter write fails: the ledger still
    // says CLAIMED while ECS deploys the push, until Lambda's retry completes it.
    faults.on("PutParameter", "SERVER_ERROR", 1, 10);
    ImageDeployerHandler deployer = new ImageDeployerHandler(h.config(),
        AwsFixture.functionClients(proxy.endpoint(), AwsFixture.FAST_SDK, faults), h.out, java.time.Clock.systemUTC());
    byte[] push = Events.bytes(Events.ecrPush("bff", Events.digest("bad"), "1.0.9", Instant.now().plusSeconds(3600)));
    assertThatThrownBy(() -> deployer.handle(push)).isInstanceOf(RetryableException.class);
    String bad = h.serviceRevision("bff");
    assertThat(bad).isNotEqualTo(good);
    revisions(good, "good", bad, "bad");
    runningIps.add("10.0.9.1");

    CanaryHook.Response lagging = g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", 10, null));
    CanaryHook.Response stillLagging = g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", 10, lagging.hookDetails().toString()));
    Outcome retried = deployer.handle(push);
    List<CanaryHook.Response> judged = new ArrayList<>();
    String details = stillLagging.hookDetails().toString();
    errorsPerWindow = 20;
    for (int i = 0; i < 6; i++) {
      CanaryHook.Response r = g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", 10, details));
      judged.add(r);
      if (r.status() != HookStatus.IN_PROGRESS) break;
      details = r.hookDetails().toString();
      h.advance(Duration.ofSeconds(r.callBackDelay()));
    }

    // Before the fix: SUCCEEDED NOT_A_PUSH, and the push was promoted unjudged.
    assertThat(lagging.status()).as(lagging.reason()).isEqualTo(HookStatus.IN_PROGRESS);
    assertThat(lagging.reason()).startsWith("WAITING: LEDGER_LAG");
    assertThat(stillLagging.status()).isEqualTo(HookStatus.IN_PROGRESS);
    assertThat(retried.action()).as(retried.reason()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(judged.get(judged.size() - 1).status()).isEqualTo(HookStatus.FAILED);
    assertThat(judged.get(judged.size() - 1).reason()).contains("error-rate");
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLED_BACK);
  }

  @Test
  void ecsRollbackPassThroughTheTrafficShiftIsNeverHeld() {
    // The hook crashed (or timed out) as it answered: ECS rolls back, and the ledger still says ROLLING_OUT.
    // ECS then runs the traffic-shift hooks of its rollback, production traffic moving back to the revision
    // it restores. Before the fix the hook started a fresh analysis of the push and held the rollback.
    GuardHandler g = canaryGuard();
    goodThenCanary(g);

    CanaryHook.Response back = g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", BLUE, 50, null));

    assertThat(back.status()).as(back.reason()).isEqualTo(HookStatus.SUCCEEDED);
    assertThat(back.reason()).startsWith("NOT_A_PUSH");
  }

  @Test
  void aRevisionAlreadyRolledBackPassesAtOnce() {
    GuardHandler g = canaryGuard();
    goodThenCanary(g);
    errorsPerWindow = 20;
    untilDecided(g, "PRODUCTION_TRAFFIC_SHIFT", 10);
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLED_BACK);

    CanaryHook.Response pass = g.hook(invocation("PRODUCTION_TRAFFIC_SHIFT", 50, null));

    assertThat(pass.status()).isEqualTo(HookStatus.SUCCEEDED);
    assertThat(pass.reason()).startsWith("ROLLBACK_PASS");
  }

  @Test
  void aThrottledOrFailingAwsCallIsMeasuredAgainNeverCounted() {
    GuardHandler g = canaryGuard();
    goodThenCanary(g);
    faults.on("DescribeServiceRevisions", "THROTTLE", 1, 10);

    CanaryHook.Response throttled = g.hook(invocation("POST_PRODUCTION_TRAFFIC_SHIFT", 100, null));
    CanaryHook.Response opened = g.hook(invocation("POST_PRODUCTION_TRAFFIC_SHIFT", 100, throttled.hookDetails().toString()));
    h.advance(Duration.ofSeconds(opened.callBackDelay()));
    cloudWatchFailures = 3; // CloudWatch answers 5xx three times: no measurement, never an inconclusive one
    CanaryHook.Response cloudWatchDown = g.hook(invocation("POST_PRODUCTION_TRAFFIC_SHIFT", 100,
        opened.hookDetails().toString()));

    assertThat(throttled.status()).isEqualTo(HookStatus.IN_PROGRESS);
    assertThat(throttled.reason()).startsWith("TRANSIENT");
    assertThat(opened.status()).isEqualTo(HookStatus.IN_PROGRESS);
    assertThat(cloudWatchDown.status()).isEqualTo(HookStatus.IN_PROGRESS);
    assertThat(cloudWatchDown.reason()).startsWith("TRANSIENT");
    List<CanaryHook.Response> rest = new ArrayList<>();
    String details = cloudWatchDown.hookDetails().toString();
    for (int i = 0; i < 10; i++) {
      h.advance(Duration.ofSeconds(60));
      CanaryHook.Response r = g.hook(invocation("POST_PRODUCTION_TRAFFIC_SHIFT", 100, details));
      rest.add(r);
      if (r.status() != HookStatus.IN_PROGRESS) break;
      details = r.hookDetails().toString();
    }
    assertThat(rest.get(rest.size() - 1).status()).isEqualTo(HookStatus.SUCCEEDED);
    // Before the fix, the 5xx answers were counted as inconclusive measurements, and the canary passed unjudged.
    assertThat(rest).flatExtracting(CanaryHook.Response::lines).noneMatch(l -> l.contains("CloudWatch"));
    assertThat(rest).flatExtracting(CanaryHook.Response::lines).filteredOn(l -> l.startsWith("error-rate: PASS"))
        .hasSize(2);
  }
}
