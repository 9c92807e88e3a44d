package io.gitops.lambdas.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import io.gitops.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ledger operations the guard relies on (see docs/ledger.md). */
@ExtendWith(MotoExtension.class)
class LedgerTest {
  private static final Instant T0 = Instant.parse("2026-11-16T00:00:00Z");
  private Ledger ledger;
  private MutableClock clock;
  private AwsFixture fx;

  @BeforeEach
  void setUp(MotoServer moto) {
    fx = AwsFixture.builder(moto.endpoint()).provision();
    clock = new MutableClock(T0);
    ledger = new Ledger(fx.clients().dynamo(), fx.ledgerTable(), clock, Duration.ofSeconds(60));
  }

  private Deployment deployment(String label, Instant pushTime) {
    return new Deployment("bff", "c", Events.digest(label), label, "bff", "uri@" + Events.digest(label), "e-" + label,
        pushTime, DeploymentStatus.ROLLING_OUT, Phase.CLAIMED, Owner.IMAGE_DEPLOYER, null, null, null, 0, Set.of(),
        List.of(), null, null);
  }

  /** Claims, registers and completes a rollout as the deployer does. */
  private Deployment released(String label, Instant pushTime) {
    Deployment d = deployment(label, pushTime);
    var claim = (Ledger.Claim.Acquired) ledger.claim(d);
    ledger.completeRollout("bff", d.digest(), claim.token(), "arn:td/bff:" + label, "arn:td/bff:prev", "uri@prev",
        null);
    return ledger.find("bff", d.digest()).orElseThrow();
  }

  @Test
  void aTaskFailureIsCountedOncePerTaskArn() {
    Deployment d = released("1.0.1", T0);

    var first = ledger.recordTaskFailure("bff", d.digest(), "arn:task/1", "exit 1");
    var again = ledger.recordTaskFailure("bff", d.digest(), "arn:task/1", "exit 1");
    var second = ledger.recordTaskFailure("bff", d.digest(), "arn:task/2", "OOM");

    assertThat(first).hasValue(1);
    assertThat(again).isEmpty();
    assertThat(second).hasValue(2);
    assertThat(ledger.find("bff", d.digest()).orElseThrow().failedTasks()).containsExactlyInAnyOrder("arn:task/1", "arn:task/2");
  }

  @Test
  void failuresAreNotCountedAgainstADeploymentThatIsNoLongerRollingOut() {
    Deployment d = released("1.0.1", T0);
    ledger.transition("bff", d.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.ROLLED_BACK, "2 failures");

    assertThat(ledger.recordTaskFailure("bff", d.digest(), "arn:task/3", "exit 1")).isEmpty();
  }

  @Test
  void aTransitionHappensOnlyFromTheExpectedStatus() {
    Deployment d = released("1.0.1", T0);

    boolean first = ledger.transition("bff", d.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.ROLLED_BACK, "r1");
    boolean second = ledger.transition("bff", d.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.ROLLED_BACK, "r2");

    assertThat(first).isTrue();
    assertThat(second).isFalse();
    assertThat(ledger.find("bff", d.digest()).orElseThrow().reasons()).containsExactly("r1");
  }

  @Test
  void markingHealthyMakesItTheRollbackTarget() {
    Deployment good = released("1.0.1", T0);
    ledger.transition("bff", good.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY, "checks passed");
    Deployment next = released("1.0.2", T0.plusSeconds(60));

    assertThat(ledger.findLastHealthy("bff").orElseThrow().digest()).isEqualTo(good.digest());
    assertThat(ledger.findRollingOut("bff").orElseThrow().digest()).isEqualTo(next.digest());
    assertThat(ledger.findRollingOut("bff").orElseThrow().newTaskDefinitionArn()).isEqualTo("arn:td/bff:1.0.2");
  }

  @Test
  void historyListsEveryDeploymentOldestPushFirst() {
    released("1.0.2", T0.plusSeconds(60));
    ledger.recordIfAbsent(new Deployment("bff", "c", Events.digest("pipeline"), "", "bff", "uri@x", "cfn", T0,
        DeploymentStatus.HEALTHY, Phase.RELEASED, Owner.PIPELINE, "arn:td/bff:7", null, null, 0, Set.of(), List.of(),
        null, null));

    assertThat(ledger.history("bff")).extracting(Deployment::owner).containsExactly(Owner.PIPELINE, Owner.IMAGE_DEPLOYER);
  }

  @Test
  void aCrashedRolloutsLockLapsesAndTheRetryResumesIt() {
    Deployment d = deployment("1.0.1", T0);
    var first = (Ledger.Claim.Acquired) ledger.claim(d);

    Ledger.Claim sameDigestOtherEvent = ledger.claim(withEvent(d, "another-event"));
    clock.advance(Duration.ofSeconds(61));
    Ledger.Claim afterLease = ledger.claim(d);

    assertThat(sameDigestOtherEvent).isInstanceOf(Ledger.Claim.Skipped.class);
    assertThat(((Ledger.Claim.Skipped) sameDigestOtherEvent).reason()).isEqualTo(Ledger.SkipReason.IN_PROGRESS);
    assertThat(afterLease).isInstanceOf(Ledger.Claim.Acquired.class);
    assertThat(((Ledger.Claim.Acquired) afterLease).resumed()).isTrue();
    assertThat(((Ledger.Claim.Acquired) afterLease).token()).isNotEqualTo(first.token());
  }

  /**
   * Hole 1. Before: Lambda's retry of a crashed attempt (same event, 60 s later, inside the 120 s lease) was
   * skipped as IN_PROGRESS, a success, and the rollout stayed CLAIMED for good.
   */
  @Test
  void theSameEventRetriedAfterTheFunctionTimeoutTakesItsRolloutOverInsideTheLease() {
    Ledger longLease = new Ledger(fx.clients().dynamo(), fx.ledgerTable(), clock, Duration.ofSeconds(120),
        Duration.ofSeconds(60));
    Deployment d = deployment("1.0.1", T0);
    var first = (Ledger.Claim.Acquired) longLease.claim(d);

    clock.advance(Duration.ofSeconds(10));
    Ledger.Claim duplicateWhileAlive = longLease.claim(d);
    clock.advance(Duration.ofSeconds(50));
    Ledger.Claim retry = longLease.claim(d);

    assertThat(duplicateWhileAlive).isInstanceOf(Ledger.Claim.Busy.class);
    assertThat(retry).isInstanceOf(Ledger.Claim.Acquired.class);
    assertThat(((Ledger.Claim.Acquired) retry).resumed()).isTrue();
    assertThat(((Ledger.Claim.Acquired) retry).token()).isNotEqualTo(first.token());
    assertThat(longLease.completeRollout("bff", d.digest(), first.token(), "arn:td/bff:2", null, null, null))
        .as("the crashed attempt's token is dead").isFalse();
  }

  private static Deployment withEvent(Deployment d, String eventId) {
    return new Deployment(d.service(), d.cluster(), d.digest(), d.tag(), d.repository(), d.image(), eventId,
        d.pushTime(), d.status(), d.phase(), d.owner(), null, null, null, 0, Set.of(), List.of(), null, null);
  }

  @Test
  void aNewerPushWaitsWhileAnotherRolloutHoldsTheLock() {
    ledger.claim(deployment("1.0.1", T0));

    assertThat(ledger.claim(deployment("1.0.2", T0.plusSeconds(1)))).isInstanceOf(Ledger.Claim.Busy.class);
  }

  /**
   * Issue 20, finding 1. Before: the guard's record of the pipeline's first deployment wrote the head with
   * {@code lastHealthyDigest} and no {@code latestOrderKey}; the claim's {@code latestOrderKey < :k} is false on a
   * missing attribute, so every first push of a new environment was BUSY until it landed in the on-failure queue.
   */
  @Test
  void theFirstPushClaimsAHeadThatOnlyTheGuardsPipelineRecordWrote() {
    Deployment pipeline = new Deployment("bff", "c", Events.digest("placeholder"), "", "bff", "uri@placeholder", "cfn",
        T0, DeploymentStatus.ROLLING_OUT, Phase.RELEASED, Owner.PIPELINE, "arn:td/bff:1", null, null, 0, Set.of(),
        List.of(), null, null);
    ledger.recordIfAbsent(pipeline);
    ledger.transition("bff", pipeline.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY,
        "pipeline deployment completed", "arn:td/bff:1");

    assertThat(ledger.claim(deployment("1.0.1", T0.plusSeconds(60)))).isInstanceOf(Ledger.Claim.Acquired.class);
  }

  /** Finding 1 again, through the other writer of such a head: a configuration-only pipeline deployment. */
  @Test
  void theFirstPushClaimsAHeadThatMoveHealthyRevisionWrote() {
    Deployment pipeline = new Deployment("bff", "c", Events.digest("placeholder"), "", "bff", "uri@placeholder", "cfn",
        T0, DeploymentStatus.HEALTHY, Phase.RELEASED, Owner.PIPELINE, "arn:td/bff:1", null, null, 0, Set.of(),
        List.of(), null, null);
    ledger.recordIfAbsent(pipeline);
    ledger.moveHealthyRevision("bff", pipeline.digest(), "arn:td/bff:2", "configuration-only deployment completed");

    assertThat(ledger.claim(deployment("1.0.1", T0.plusSeconds(60)))).isInstanceOf(Ledger.Claim.Acquired.class);
    assertThat(ledger.claim(deployment("1.0.0", T0.plusSeconds(30)))).as("ordering still holds once claimed")
        .isNotInstanceOf(Ledger.Claim.Acquired.class);
  }
}
