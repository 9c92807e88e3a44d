package io.gitops.lambdas.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Phase;
import io.gitops.lambdas.testing.AsyncInvoker;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import io.gitops.testing.MutableClock;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 30% of the function's requests fail (throttling, 500s, dropped connections). Every one of 50 pushes
 * must end deployed exactly once or held in the on-failure destination; none is lost.
 */
@ExtendWith(MotoExtension.class)
class FaultToleranceTest {
  private static final int PUSHES = 50;
  private static final Instant T0 = Instant.parse("2026-11-16T00:00:00Z");

  @Test
  void underThirtyPercentFaultsEveryPushIsDeployedOnceOrHeldForRetry(MotoServer moto) {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").service("graphql").provision();
    MutableClock clock = new MutableClock(Instant.now());
    try (FaultProxy proxy = new FaultProxy(moto.endpoint(), 0.30, 20261116L,
        List.of(FaultProxy.Fault.THROTTLE, FaultProxy.Fault.SERVER_ERROR, FaultProxy.Fault.DROP))) {
      Map<String, String> env = new HashMap<>(fx.env(proxy.endpoint()));
      env.put("LOCK_LEASE_SECONDS", "60");
      LambdaConfig config = LambdaConfig.from(env);
      var handler = new ImageDeployerHandler(config,
          AwsFixture.functionClients(proxy.endpoint(), AwsFixture.FAST_SDK),
          new PrintStream(OutputStream.nullOutputStream()), clock);
      AsyncInvoker<Outcome> lambda = new AsyncInvoker<>(handler::handle, clock, 2);

      List<String[]> pushes = new ArrayList<>(); // repo, digest
      Map<String, Integer> results = new TreeMap<>();
      Map<Integer, Integer> byAttempt = new TreeMap<>();
      List<String> deployedDigests = new ArrayList<>();
      long started = System.nanoTime();
      for (int i = 0; i < PUSHES; i++) {
        String repo = i % 2 == 0 ? "bff" : "graphql";
        String digest = Events.digest(repo + "-" + i);
        pushes.add(new String[] {repo, digest});
        clock.advance(Duration.ofSeconds(5));
        var d = lambda.deliver(Events.bytes(Events.ecrPush(repo, digest, "1.0." + i, T0.plusSeconds(10L * i))));
        String key = d.heldOnFailure() ? "HELD_ON_FAILURE" : d.result().action() + " " + d.result().code();
        results.merge(key, 1, Integer::sum);
        if (!d.heldOnFailure()) byAttempt.merge(d.attempts(), 1, Integer::sum);
        if (!d.heldOnFailure() && d.result().action() == Outcome.Action.DEPLOYED) deployedDigests.add(digest);
      }
      int held = lambda.onFailureDestination().size();
      long pushMillis = (System.nanoTime() - started) / 1_000_000;
      System.out.printf("[faults] %d pushes at %.0f%% faults: %s; handled on attempt %s; held on failure %d;"
              + " proxy requests %d, faults injected %s; %d ms%n",
          PUSHES, 30.0, results, byAttempt, held, proxy.requests(), proxy.injected(), pushMillis);

      // None lost: every push deployed or held for redrive.
      assertThat(deployedDigests.size() + held).isEqualTo(PUSHES);
      assertThat(proxy.injectedTotal()).isGreaterThan(PUSHES);
      // Deployed exactly once: each deployed push has its own RELEASED ledger entry and revision, and the
      // families hold no other revisions than those the ledger knows (no orphan or second registration).
      Ledger ledger = new Ledger(fx.clients().dynamo(), fx.ledgerTable(), clock, Duration.ofSeconds(60));
      for (String repo : List.of("bff", "graphql")) {
        List<Deployment> history = ledger.history(fx.target(repo).service());
        List<String> registered = history.stream().map(Deployment::newTaskDefinitionArn)
            .filter(java.util.Objects::nonNull).toList();
        assertThat(registered).doesNotHaveDuplicates();
        assertThat(fx.revisions(repo)).hasSize(1 + registered.size());
        for (Deployment d : history) {
          if (deployedDigests.contains(d.digest())) {
            assertThat(d.phase()).as("phase of %s", d.digest()).isEqualTo(Phase.RELEASED);
            assertThat(d.newTaskDefinitionArn()).isNotNull();
          }
        }
        long deployedHere = pushes.stream().filter(p -> p[0].equals(repo) && deployedDigests.contains(p[1])).count();
        assertThat(history.stream().filter(d -> d.phase() == Phase.RELEASED).count()).isEqualTo(deployedHere);
      }
      // The newest deployed push of each service is what the service and its release parameter show.
      for (String repo : List.of("bff", "graphql")) {
        String newest = null;
        for (String[] p : pushes) if (p[0].equals(repo) && deployedDigests.contains(p[1])) newest = p[1];
        if (newest != null && lastPushOf(pushes, repo).equals(newest)) {
          assertThat(fx.releaseValue(repo)).endsWith(newest);
          assertThat(fx.currentTaskDefinition(repo).taskDefinition().containerDefinitions().get(0).image())
              .endsWith(newest);
        }
      }
    }
  }

  private static String lastPushOf(List<String[]> pushes, String repo) {
    String last = null;
    for (String[] p : pushes) if (p[0].equals(repo)) last = p[1];
    return last;
  }
}
