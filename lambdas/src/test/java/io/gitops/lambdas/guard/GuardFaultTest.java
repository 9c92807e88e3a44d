package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The guard under injected faults: its clients go through the fault proxy (30% of requests throttled, failed
 * with a 500 or dropped). A retried invocation is delivered again after the lease time, as Lambda's
 * asynchronous retry would. Every rollout must end judged exactly once: no lost and no double action.
 */
@ExtendWith(MotoExtension.class)
class GuardFaultTest {
  private static final int CYCLES = 12;
  private static final int MAX_DELIVERIES = 10;

  private int deliveries;
  private int retries;
  private int held;

  private GuardOutcome deliver(GuardHarness h, GuardHandler g, byte[] event) {
    for (int attempt = 1; ; attempt++) {
      deliveries++;
      try {
        return g.handle(event);
      } catch (RetryableException e) {
        retries++;
        if (attempt >= MAX_DELIVERIES) {
          held++; // Lambda would park it in the on-failure queue
          return null;
        }
        h.advance(Duration.ofMinutes(2).plusSeconds(1)); // Lambda retries after a delay; leases lapse
      }
    }
  }

  @Test
  void underThirtyPercentFaultsEveryRolloutIsJudgedOnceAndEveryRollbackNotifiedOnce(MotoServer moto) {
    GuardHarness h = new GuardHarness(moto.endpoint());
    Map<GuardOutcome.Action, Integer> outcomes = new EnumMap<>(GuardOutcome.Action.class);
    try (FaultProxy proxy = new FaultProxy(moto.endpoint(), 0.30, 42L,
        List.of(FaultProxy.Fault.THROTTLE, FaultProxy.Fault.SERVER_ERROR, FaultProxy.Fault.DROP))) {
      GuardHandler g = h.guardVia(proxy.endpoint());
      for (int i = 0; i < CYCLES; i++) {
        String good = h.deploy("bff", "good-" + i);
        List<byte[]> healthy = List.of(GuardEvents.running("bff", h.taskId(), good, h.version(), h.now()),
            GuardEvents.running("bff", h.taskId(), good, h.version(), h.now()), GuardEvents.completed("bff", h.now()));
        for (byte[] e : healthy) record(outcomes, deliver(h, g, e));
        String bad = h.deploy("bff", "bad-" + i);
        for (int k = 0; k < 2; k++) {
          record(outcomes, deliver(h, g, GuardEvents.crashed("bff", h.taskId(), bad, h.version(), h.now())));
        }

        assertThat(h.deployment("bff", "good-" + i).status()).as("cycle %d good", i).isEqualTo(DeploymentStatus.HEALTHY);
        assertThat(h.deployment("bff", "bad-" + i).status()).as("cycle %d bad", i).isEqualTo(DeploymentStatus.ROLLED_BACK);
        assertThat(h.serviceRevision("bff")).as("cycle %d revision", i).isEqualTo(good);
        assertThat(h.fx.releaseValue("bff")).as("cycle %d release", i).isEqualTo(h.image("bff", "good-" + i));
      }
      List<String> notes = h.fx.notifications();
      long rolledBack = notes.stream().filter(n -> Json.object(Json.parse(n), "$").get("event").asString()
          .equals("ROLLED_BACK")).count();
      System.out.printf("[guard faults] cycles=%d deliveries=%d retried=%d held=%d requests=%d faults=%d %s"
              + " outcomes=%s rollbackNotifications=%d updateServiceCalls=%d%n", CYCLES, deliveries, retries, held,
          proxy.requests(), proxy.injectedTotal(), proxy.injected(), outcomes, rolledBack,
          h.calls.snapshot().getOrDefault("Ecs.UpdateService", 0));
      assertThat(proxy.injectedTotal()).isGreaterThan(proxy.requests() / 5);
      assertThat(held).isZero();
      assertThat(rolledBack).isEqualTo(CYCLES);
      assertThat(notes).hasSize(CYCLES);
    }
  }

  private static void record(Map<GuardOutcome.Action, Integer> outcomes, GuardOutcome o) {
    if (o != null) outcomes.merge(o.action(), 1, Integer::sum);
  }
}
