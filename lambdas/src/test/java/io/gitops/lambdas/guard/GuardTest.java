package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.Owner;
import io.gitops.lambdas.guard.GuardOutcome.Action;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.testing.FaultProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/** The guard's behaviour against moto over HTTP: task events are fed in, and the emulator's state is checked. */
@ExtendWith(MotoExtension.class)
class GuardTest {
  private GuardHarness h;

  @BeforeEach
  void provision(MotoServer moto) {
    h = new GuardHarness(moto.endpoint());
  }

  /** bff runs a HEALTHY "good" image, then rolls out "bad": returns {good revision, bad revision}. */
  private String[] goodThenBad(GuardHandler g) {
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String bad = h.deploy("bff", "bad");
    return new String[] {good, bad};
  }

  private static Map<String, JsonNode> onlyNotification(List<String> notes) {
    assertThat(notes).hasSize(1);
    return Json.object(Json.parse(notes.get(0)), "$");
  }

  @Test
  void theFirstFailureIsCountedAndNothingElseChanges() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);

    GuardOutcome o = h.crash(g, "bff", revs[1]);

    assertThat(o.action()).isEqualTo(Action.COUNTED);
    assertThat(o.failures()).isEqualTo(1);
    assertThat(h.serviceRevision("bff")).isEqualTo(revs[1]);
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
    assertThat(h.deployment("bff", "bad").failureCount()).isEqualTo(1);
  }

  @Test
  void theSecondFailureRollsBackToTheLastHealthyRevision() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.fx.notifications();

    h.crash(g, "bff", revs[1]);
    GuardOutcome o = h.crash(g, "bff", revs[1]);

    assertThat(o.action()).isEqualTo(Action.ROLLED_BACK);
    assertThat(o.code()).isEqualTo("THRESHOLD_REACHED");
    assertThat(o.restoredRevision()).isEqualTo(revs[0]);
    assertThat(h.serviceRevision("bff")).isEqualTo(revs[0]);
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "good"));
    var bad = h.deployment("bff", "bad");
    assertThat(bad.status()).isEqualTo(DeploymentStatus.ROLLED_BACK);
    assertThat(bad.reasons()).anyMatch(r -> r.startsWith("ESSENTIAL_CONTAINER_EXITED"))
        .anyMatch(r -> r.startsWith("rolled back to " + revs[0]));
  }

  @Test
  void theRollbackNotificationNamesServiceBadDigestReasonsAndRestoredRevision() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.fx.notifications();

    h.crash(g, "bff", revs[1]);
    h.crash(g, "bff", revs[1]);

    var note = onlyNotification(h.fx.notifications());
    assertThat(note.get("event").asString()).isEqualTo("ROLLED_BACK");
    assertThat(note.get("service").asString()).isEqualTo("bff");
    assertThat(note.get("badDigest").asString()).isEqualTo(Events.digest("bad"));
    assertThat(note.get("restoredRevision").asString()).isEqualTo(revs[0]);
    assertThat(note.get("reasons").asArray()).hasSize(2)
        .allMatch(r -> r.asString().startsWith("ESSENTIAL_CONTAINER_EXITED"));
  }

  @Test
  void theThresholdComesFromTheEnvironment() {
    h.env.put("FAILURE_THRESHOLD", "3");
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.crash(g, "bff", revs[1]);

    GuardOutcome second = h.crash(g, "bff", revs[1]);
    GuardOutcome third = h.crash(g, "bff", revs[1]);

    assertThat(second.action()).isEqualTo(Action.COUNTED);
    assertThat(third.action()).isEqualTo(Action.ROLLED_BACK);
  }

  @Test
  void aDuplicateStopEventIsCountedOnce() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    byte[] event = GuardEvents.crashed("bff", h.taskId(), revs[1], h.version(), h.now());

    GuardOutcome first = g.handle(event);
    GuardOutcome again = g.handle(event);

    assertThat(first.action()).isEqualTo(Action.COUNTED);
    assertThat(again.action()).isEqualTo(Action.NONE);
    assertThat(again.code()).isEqualTo("DUPLICATE");
    assertThat(h.deployment("bff", "bad").failureCount()).isEqualTo(1);
  }

  @Test
  void aDeploymentIsNeverRolledBackTwice() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    byte[] second = GuardEvents.crashed("bff", h.taskId(), revs[1], h.version(), h.now());
    h.crash(g, "bff", revs[1]);
    g.handle(second);
    h.calls.reset();
    h.fx.notifications();

    GuardOutcome redelivered = g.handle(second);
    GuardOutcome third = h.crash(g, "bff", revs[1]);
    GuardOutcome completed = g.handle(GuardEvents.completed("bff", h.now()));

    assertThat(List.of(redelivered.action(), third.action(), completed.action())).containsOnly(Action.NONE);
    assertThat(h.calls.snapshot()).doesNotContainKeys("Ecs.UpdateService", "Ssm.PutParameter", "Sns.Publish");
    assertThat(h.fx.notifications()).isEmpty();
  }

  @Test
  void concurrentFailureEventsRollBackOnce() throws Exception {
    String[] revs = goodThenBad(h.guard());
    h.fx.notifications();
    try (FaultProxy serial = FaultProxy.serializing(h.fx.endpoint())) {
      GuardHandler g = h.guardVia(serial.endpoint());
      List<byte[]> events = new ArrayList<>();
      for (int i = 0; i < 6; i++) events.add(GuardEvents.crashed("bff", h.taskId(), revs[1], h.version(), h.now()));
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<GuardOutcome>> results = new ArrayList<>();
      for (byte[] e : events) {
        results.add(pool.submit(() -> {
          for (int attempt = 0; ; attempt++) {
            try {
              return g.handle(e);
            } catch (RetryableException busy) {
              if (attempt > 50) throw busy;
              Thread.sleep(50);
            }
          }
        }));
      }
      int rolledBack = 0;
      for (Future<GuardOutcome> f : results) {
        if (f.get().action() == Action.ROLLED_BACK) rolledBack++;
      }
      pool.shutdown();

      assertThat(rolledBack).isEqualTo(1);
      assertThat(h.calls.snapshot().get("Ecs.UpdateService")).isEqualTo(1);
      assertThat(onlyNotification(h.fx.notifications()).get("event").asString()).isEqualTo("ROLLED_BACK");
      assertThat(h.serviceRevision("bff")).isEqualTo(revs[0]);
    }
  }

  @Test
  void aRollbackNeverTargetsARevisionThatFailed() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.crash(g, "bff", revs[1]);
    h.crash(g, "bff", revs[1]);
    String worse = h.deploy("bff", "worse");

    h.crash(g, "bff", worse);
    GuardOutcome o = h.crash(g, "bff", worse);

    assertThat(o.action()).isEqualTo(Action.ROLLED_BACK);
    assertThat(o.restoredRevision()).isEqualTo(revs[0]).isNotEqualTo(revs[1]);
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "good"));
  }

  /**
   * The headline of issue 12. Before: a new environment's first bad push (no HEALTHY revision yet) ended
   * FAILED (NO_HEALTHY_REVISION), the service stayed on the bad revision and the release parameter kept the
   * bad digest.
   */
  @Test
  void withNoHealthyRevisionItRollsBackToTheRevisionTheServiceRanBeforeThePush() {
    GuardHandler g = h.guard();
    String before = h.serviceRevision("bff");
    String bad = h.deploy("bff", "bad");
    h.fx.notifications();

    h.crash(g, "bff", bad);
    GuardOutcome o = h.crash(g, "bff", bad);

    assertThat(o.action()).as(o.reason()).isEqualTo(Action.ROLLED_BACK);
    assertThat(o.restoredRevision()).isEqualTo(before);
    assertThat(h.serviceRevision("bff")).isEqualTo(before);
    assertThat(h.fx.releaseValue("bff")).isEqualTo(io.gitops.lambdas.testing.AwsFixture.PLACEHOLDER_IMAGE);
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLED_BACK);
    var n = onlyNotification(h.fx.notifications());
    assertThat(n.get("event").asString()).isEqualTo("ROLLED_BACK");
    assertThat(n.get("badDigest").asString()).isEqualTo(io.gitops.testing.Events.digest("bad"));
    assertThat(n.get("rollbackTarget").asString()).isEqualTo("PREVIOUS_REVISION");
  }

  @Test
  void aLateFailureOfTheOldRevisionChangesNothing() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);

    GuardOutcome o = h.crash(g, "bff", revs[0]);

    assertThat(o.action()).isEqualTo(Action.NONE);
    assertThat(o.code()).isEqualTo("OTHER_REVISION");
    assertThat(h.deployment("bff", "bad").failureCount()).isZero();
    assertThat(h.deployment("bff", "good").status()).isEqualTo(DeploymentStatus.HEALTHY);
  }

  @Test
  void anOlderStateOfATaskDeliveredAfterANewerOneIsIgnored() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    String task = h.taskId();
    g.handle(GuardEvents.crashed("bff", task, revs[1], 5, h.now()));

    GuardOutcome late = g.handle(GuardEvents.running("bff", task, revs[1], 3, h.now().minusSeconds(30)));

    assertThat(late.action()).isEqualTo(Action.IGNORED);
    assertThat(late.code()).isEqualTo("STALE_EVENT");
    assertThat(h.guard().guard().guardLedger().runningTasks("bff", revs[1])).isEmpty();
  }

  @Test
  void aCompletedEventOlderThanTheRolloutIsIgnored() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);

    GuardOutcome o = g.handle(GuardEvents.completed("bff", h.now().minus(Duration.ofHours(1))));

    assertThat(o.action()).isEqualTo(Action.IGNORED);
    assertThat(o.code()).isEqualTo("STALE_EVENT");
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
    assertThat(h.serviceRevision("bff")).isEqualTo(revs[1]);
  }

  @Test
  void whenEcsBreakerRolledBackTheReleaseParameterIsRepairedWithoutUpdateService() {
    GuardHandler g = h.guard();
    goodThenBad(g);
    h.fx.notifications();
    h.calls.reset();

    GuardOutcome o = g.handle(GuardEvents.deployment("test-cluster", "bff", "SERVICE_DEPLOYMENT_FAILED", h.now(),
        "ECS deployment circuit breaker: tasks failed to start."));

    assertThat(o.action()).isEqualTo(Action.FAILED);
    assertThat(o.code()).isEqualTo("BREAKER_ROLLED_BACK");
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "good"));
    assertThat(h.calls.snapshot()).doesNotContainKey("Ecs.UpdateService");
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.FAILED);
    assertThat(onlyNotification(h.fx.notifications()).get("event").asString()).isEqualTo("BREAKER_ROLLED_BACK");
  }

  @Test
  void passingHealthChecksMarkTheDeploymentHealthyAndTheRollbackTarget() {
    GuardHandler g = h.guard();
    String rev = h.deploy("bff", "good");

    GuardOutcome o = h.makeHealthy(g, "bff", rev);

    assertThat(o.checks()).anyMatch(c -> c.startsWith("running-count passed"));
    assertThat(h.deployment("bff", "good").status()).isEqualTo(DeploymentStatus.HEALTHY);
    assertThat(h.ledger().findLastHealthy("bff").orElseThrow().digest()).isEqualTo(Events.digest("good"));
  }

  @Test
  void tooFewRunningTasksAtSteadyStateRollBack() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    g.handle(GuardEvents.running("bff", h.taskId(), revs[1], h.version(), h.now()));

    GuardOutcome o = g.handle(GuardEvents.completed("bff", h.now()));

    assertThat(o.action()).isEqualTo(Action.ROLLED_BACK);
    assertThat(o.code()).isEqualTo("HEALTH_CHECK_FAILED");
    assertThat(o.checks()).anyMatch(c -> c.startsWith("running-count FAILED: 1 of 2"));
    assertThat(h.serviceRevision("bff")).isEqualTo(revs[0]);
  }

  @Test
  void anUnhealthyTargetOfTheNewTasksRollsBack() {
    h.env.put("TARGET_GROUP_ARNS",
        "{\"bff\":\"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff/0123456789abcdef\"}");
    GuardHandler g = h.guard();
    String good = h.deploy("bff", "good");
    String t1 = h.taskId();
    String t2 = h.taskId();
    h.targetStates.put(GuardEvents.ip(t1), "healthy");
    h.targetStates.put(GuardEvents.ip(t2), "healthy");
    g.handle(GuardEvents.running("bff", t1, good, h.version(), h.now()));
    g.handle(GuardEvents.running("bff", t2, good, h.version(), h.now()));
    assertThat(g.handle(GuardEvents.completed("bff", h.now())).action()).isEqualTo(Action.HEALTHY);
    String bad = h.deploy("bff", "bad");
    String t3 = h.taskId();
    String t4 = h.taskId();
    h.targetStates.put(GuardEvents.ip(t3), "healthy");
    h.targetStates.put(GuardEvents.ip(t4), "unhealthy");
    g.handle(GuardEvents.running("bff", t3, bad, h.version(), h.now()));
    g.handle(GuardEvents.running("bff", t4, bad, h.version(), h.now()));

    GuardOutcome o = g.handle(GuardEvents.completed("bff", h.now()));

    assertThat(o.action()).isEqualTo(Action.ROLLED_BACK);
    assertThat(o.checks()).anyMatch(c -> c.startsWith("target-health FAILED: target " + GuardEvents.ip(t4) + " is unhealthy"));
    assertThat(h.serviceRevision("bff")).isEqualTo(good);
  }

  @Test
  void aHealthEndpointAnswering503RollsBack() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/health", ex -> {
      ex.sendResponseHeaders(ex.getRequestURI().getQuery() == null ? 200 : 503, -1);
      ex.close();
    });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/health";
      h.env.put("HEALTH_PROBE_URLS", "{\"bff\":\"" + base + "\"}");
      GuardHandler good = h.guard();
      String[] revs = goodThenBad(good);
      h.env.put("HEALTH_PROBE_URLS", "{\"bff\":\"" + base + "?broken\"}");
      GuardHandler g = h.guard();
      g.handle(GuardEvents.running("bff", h.taskId(), revs[1], h.version(), h.now()));
      g.handle(GuardEvents.running("bff", h.taskId(), revs[1], h.version(), h.now()));

      GuardOutcome o = g.handle(GuardEvents.completed("bff", h.now()));

      assertThat(o.action()).isEqualTo(Action.ROLLED_BACK);
      assertThat(o.checks()).anyMatch(c -> c.startsWith("http-probe FAILED") && c.contains("answered 503"));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void allTasksRunningPastTheGracePeriodCountsAsSteadyState() {
    GuardHandler g = h.guard();
    String rev = h.deploy("bff", "good");
    GuardOutcome early = g.handle(GuardEvents.running("bff", h.taskId(), rev, h.version(), h.now()));
    h.advance(Duration.ofSeconds(61));

    GuardOutcome late = g.handle(GuardEvents.running("bff", h.taskId(), rev, h.version(), h.now()));

    assertThat(early.code()).isEqualTo("RUNNING");
    assertThat(late.action()).isEqualTo(Action.HEALTHY);
  }

  @Test
  void whenTheRestoredRevisionFailsTooTheGuardAlertsAndHaltsUntilTheNextPush() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.crash(g, "bff", revs[1]);
    h.crash(g, "bff", revs[1]);
    h.fx.notifications();

    h.crash(g, "bff", revs[0]);
    GuardOutcome halted = h.crash(g, "bff", revs[0]);
    GuardOutcome after = h.crash(g, "bff", revs[0]);
    String next = h.deploy("bff", "next");
    GuardOutcome resumed = h.crash(g, "bff", next);

    assertThat(halted.action()).isEqualTo(Action.FAILED);
    assertThat(halted.code()).isEqualTo("HALTED");
    assertThat(onlyNotification(h.fx.notifications()).get("event").asString()).isEqualTo("GUARD_HALTED");
    assertThat(after.action()).isEqualTo(Action.IGNORED);
    assertThat(after.code()).isEqualTo("HALTED");
    assertThat(h.serviceRevision("bff")).isEqualTo(next);
    assertThat(resumed.action()).isEqualTo(Action.COUNTED);
  }

  @Test
  void aPipelineDeploymentIsRecordedForTheMetrics() {
    GuardHandler g = h.guard();
    String image = h.image("bff", "pipeline");
    h.fx.clients().ssm().putParameter(b -> b.name(h.fx.target("bff").releaseParameter()).value(image)
        .overwrite(true));
    var td = h.fx.currentTaskDefinition("bff");
    String rev = h.fx.clients().ecs().registerTaskDefinition(io.gitops.lambdas.core.TaskDefinitions
        .cloneWithImage(td, "app", image)).taskDefinition().taskDefinitionArn();
    h.fx.clients().ecs().updateService(b -> b.cluster(h.fx.cluster()).service("bff").taskDefinition(rev));

    GuardOutcome o = g.handle(h.pipelineCompleted("bff"));

    assertThat(o.code()).isEqualTo("PIPELINE_DEPLOYMENT");
    var d = h.deployment("bff", "pipeline");
    assertThat(d.owner()).isEqualTo(Owner.PIPELINE);
    assertThat(d.newTaskDefinitionArn()).isEqualTo(rev);
    assertThat(d.status()).isEqualTo(DeploymentStatus.HEALTHY);
  }

  @Test
  void eventsForOtherClustersAndUnknownServicesAreIgnoredWithoutAnAwsCall() {
    GuardHandler g = h.guard();

    GuardOutcome cluster = g.handle(Events.resource("events/guard/task-stopped-other-cluster.json"));
    GuardOutcome oneOff = g.handle(Events.resource("events/guard/task-stopped-run-task.json"));
    GuardOutcome service = g.handle(Events.resource("events/guard/deployment-completed-unmapped-service.json"));

    assertThat(List.of(cluster.action(), oneOff.action(), service.action())).containsOnly(Action.IGNORED);
    assertThat(h.calls.total()).isZero();
  }

  @Test
  void rollbacksAndHealthChecksAreMeasuredInTheEmbeddedMetricFormat() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.crash(g, "bff", revs[1]);
    h.crash(g, "bff", revs[1]);

    List<Map<String, JsonNode>> emf = h.logText().lines().filter(l -> l.startsWith("{"))
        .map(l -> Json.object(Json.parse(l), "$")).filter(m -> m.containsKey("_aws")).toList();
    assertThat(emf).anyMatch(m -> m.containsKey("Rollbacks") && m.get("Trigger").asString().equals("THRESHOLD_REACHED"));
    assertThat(emf).anyMatch(m -> m.containsKey("TimeFromFirstFailureToRollback"));
    assertThat(emf).anyMatch(m -> m.containsKey("TimeToHealthy"));
    assertThat(emf).anyMatch(m -> m.containsKey("HealthChecks") && m.get("Result").asString().equals("PASS"));
    assertThat(emf).filteredOn(m -> "guard".equals(m.get("Function").asString()))
        .allMatch(m -> m.containsKey("ColdStart"));
  }

  @Test
  void aRollbackTakesAtMostElevenApiCalls() {
    GuardHandler g = h.guard();
    String[] revs = goodThenBad(g);
    h.crash(g, "bff", revs[1]);
    h.calls.reset();

    h.crash(g, "bff", revs[1]);

    System.out.println("[guard] API calls for the event that rolls back: " + h.calls.snapshot() + " total "
        + h.calls.total());
    assertThat(h.calls.total()).isLessThanOrEqualTo(11);
  }
}
