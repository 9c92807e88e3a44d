package io.gitops.lambdas.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.model.ReleaseModel.Action;
import io.gitops.testing.MotoServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stateful model-based test of issue 12: random sequences of pushes, ECS events, pipeline deployments,
 * crashes and faults against both functions (and, for a canary service, ECS's invocations of the guard as its
 * lifecycle hook), with invariants (a)–(g) of docs/ledger.md checked after every
 * step. A failing sequence is shrunk and printed as code for a named regression test
 * ({@link ReleaseModelRegressionTest}). Seeds are fixed: CI runs the same sequences every time; the soak
 * ({@code bin/gitops soak}) draws new ones.
 *
 * <p>It runs beside the module's other classes, in two halves side by side, each on a moto_server of its own:
 * each half waits on its moto one request at a time, so together they use the two cores the rest leaves.
 */
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

  /** The sequences run in two halves side by side, each on a moto_server of its own (even and odd indexes). */
  static final int PARTS = 2;
  private static final ReleaseModel.Stats TOTAL = new ReleaseModel.Stats();
  private static final long STARTED = System.nanoTime();
  private static final java.util.concurrent.atomic.AtomicInteger PARTS_DONE = new java.util.concurrent.atomic.AtomicInteger();

  @ParameterizedTest(name = "half {0} of " + PARTS)
  @ValueSource(ints = {0, 1})
  void randomSequencesKeepTheReleaseStateRight(int part) {
    ReleaseModel.Stats stats = new ReleaseModel.Stats();
    List<String> failures = new ArrayList<>();
    try (MotoServer moto = MotoServer.start()) {
      warmUp(moto);
      // The same seeds as one run would draw; this half takes every other one (the soak: its own stream).
      Random seeds = new Random(MINUTES > 0 ? SEED + part : SEED);
      java.util.Set<String> seen = new java.util.TreeSet<>();
      long deadline = System.nanoTime() + Duration.ofMinutes(MINUTES).toNanos();
      for (int i = 0; MINUTES > 0 ? System.nanoTime() < deadline : i < SEQUENCES; i++) {
        long seed = seeds.nextLong();
        if (MINUTES == 0 && i % PARTS != part) continue;
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
    }
    TOTAL.add(stats);
    boolean last = PARTS_DONE.incrementAndGet() == PARTS;
    if (last) {
      // One line for both halves: bin/gitops soak reads it.
      long ms = Duration.ofNanos(System.nanoTime() - STARTED).toMillis();
      System.out.printf("model: %d sequences (%d canary), %d steps, %d faults injected %s, %d invariant checks,"
              + " %d deliveries (%d hook invocations: %d promotions, %d aborts by cause %s, %d rollback passes,"
              + " %d ledger-lag waits), %d in the on-failure queue (%d not forced by faults: %s), progress (h) %d checks,"
              + " broken %s, %d ms%n",
          TOTAL.sequences, TOTAL.canarySequences, TOTAL.steps, TOTAL.faults, TOTAL.faultsByKind, TOTAL.invariantChecks,
          TOTAL.deliveries, TOTAL.hookInvocations, TOTAL.promotions, TOTAL.aborts, TOTAL.abortsBy, TOTAL.rollbackPasses,
          TOTAL.ledgerLagWaits, TOTAL.onFailure, TOTAL.onFailureUnforced, TOTAL.onFailureBy, TOTAL.progressChecks,
          TOTAL.progressBroken, ms);
    }
    assertThat(failures).as(String.join("\n", failures)).isEmpty();
    assertThat(stats.steps).as("steps of this half").isPositive();
    if (last && MINUTES == 0) {
      assertThat(TOTAL.steps).isGreaterThanOrEqualTo((long) Math.min(2000, SEQUENCES * LENGTH));
    }
    // The canary sequences reach both of the hook's endings, or they would check (g) and ECS's rollback vacuously.
    if (last && MINUTES == 0 && SEQUENCES >= 10) {
      assertThat(TOTAL.promotions).as("canaries ECS promoted on the hook's SUCCEEDED").isPositive();
      assertThat(TOTAL.aborts).as("canaries the hook aborted").isPositive();
    }
  }

  /**
   * A fresh moto_server loads each service's backend on its first request: on a loaded machine that first
   * provisioning can outlast the SDK's 10 s budget, which says nothing about the functions. Provision once, up to
   * a minute, before the sequences start.
   */
  private static void warmUp(MotoServer moto) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        moto.reset();
        io.gitops.lambdas.testing.AwsFixture.builder(moto.endpoint()).service(ReleaseModel.SERVICE).provision();
        return;
      } catch (software.amazon.awssdk.core.exception.SdkClientException slow) {
        if (System.nanoTime() > deadline) throw slow;
      }
    }
  }
}
