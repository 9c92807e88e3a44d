package io.gitops.lambdas.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.model.ReleaseModel.Action;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The stateful model-based test of issue 12: random sequences of pushes, ECS events, pipeline deployments,
 * crashes and faults against both functions (and, for a canary service, ECS's invocations of the guard as its
 * lifecycle hook), with invariants (a)–(g) of docs/ledger.md checked after every
 * step. A failing sequence is shrunk and printed as code for a named regression test
 * ({@link ReleaseModelRegressionTest}). Seeds are fixed: CI runs the same sequences every time; the soak
 * ({@code bin/gitops soak}) draws new ones.
 *
 * <p>It runs beside the module's other classes, on a moto_server of its own: its minute is spent waiting on
 * moto one request at a time, which leaves the second core to them.
 */
@ExtendWith(MotoExtension.class)
@MotoExtension.OwnServer
@Execution(ExecutionMode.CONCURRENT)
class ReleaseModelTest {
  /** Sequences × steps per sequence: at least 2,000 steps in CI (docs/performance.md). */
  static final int SEQUENCES = Integer.getInteger("model.sequences", 25);
  /** 81 actions plus the drain: 2,050 steps. Each sequence starts from a fresh emulator (a reset and a
   * provisioning), so fewer, longer sequences cost less for the same steps, and reach deeper states. */
  static final int LENGTH = Integer.getInteger("model.length", 81);
  static final long SEED = Long.getLong("model.seed", 12L);
  /** The soak: run for this many minutes instead of {@link #SEQUENCES} sequences (bin/gitops soak). */
  static final int MINUTES = Integer.getInteger("model.minutes", 0);
  /** Explore: after a failure, go on with the next sequences (one shrunk example per invariant). */
  static final boolean KEEP_GOING = Boolean.getBoolean("model.keepGoing");

  @Test
  void randomSequencesKeepTheReleaseStateRight(MotoServer moto) {
    ReleaseModel.Stats stats = new ReleaseModel.Stats();
    Random seeds = new Random(SEED);
    long started = System.nanoTime();
    List<String> failures = new ArrayList<>();
    java.util.Set<String> seen = new java.util.TreeSet<>();
    long deadline = started + Duration.ofMinutes(MINUTES).toNanos();
    for (int i = 0; MINUTES > 0 ? System.nanoTime() < deadline : i < SEQUENCES; i++) {
      long seed = seeds.nextLong();
      boolean canary = ReleaseModel.canaryFor(seed);
      List<Action> actions = ReleaseModel.randomSequence(new Random(seed), LENGTH, canary);
      Optional<ReleaseModel.Violation> v = new ReleaseModel(moto, stats, canary).run(actions);
      if (v.isPresent() && seen.add(v.get().invariant())) {
        List<Action> minimal = ReleaseModel.shrink(moto, canary, actions, v.get().invariant(), Duration.ofSeconds(60));
        Optional<ReleaseModel.Violation> again = new ReleaseModel(moto, new ReleaseModel.Stats(), canary).run(minimal);
        String report = "seed " + seed + (canary ? " (canary)" : " (rolling)") + ": " + v.get() + "\n  shrunk to " + minimal.size() + " actions, "
            + again.map(Object::toString).orElse("(no longer fails)") + ":\n" + ReleaseModel.code(minimal);
        failures.add(report);
        System.out.println("model: FAILED " + report);
        if (!KEEP_GOING) break;
      } else if (v.isPresent()) {
        failures.add("seed " + seed + (canary ? " (canary)" : " (rolling)") + ": " + v.get());
      }
    }
    long ms = Duration.ofNanos(System.nanoTime() - started).toMillis();
    System.out.printf("model: %d sequences (%d canary), %d steps, %d faults injected %s, %d invariant checks,"
            + " %d deliveries (%d hook invocations: %d promotions, %d aborts %s), %d in the on-failure queue, %d ms%n",
        stats.sequences, stats.canarySequences, stats.steps, stats.faults, stats.faultsByKind, stats.invariantChecks,
        stats.deliveries, stats.hookInvocations, stats.promotions, stats.aborts, stats.abortsBy, stats.onFailure, ms);
    assertThat(failures).as(String.join("\n", failures)).isEmpty();
    if (MINUTES == 0) assertThat(stats.steps).isGreaterThanOrEqualTo((long) Math.min(2000, SEQUENCES * LENGTH));
    // The canary half reaches both of the hook's endings, or it would check (g) and ECS's rollback vacuously.
    if (MINUTES == 0 && SEQUENCES >= 10) {
      assertThat(stats.promotions).as("canaries ECS promoted on the hook's SUCCEEDED").isPositive();
      assertThat(stats.aborts).as("canaries the hook aborted").isPositive();
    }
  }
}
