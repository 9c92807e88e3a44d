package io.gitops.lambdas.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Owner;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DORA's five measures over recorded ledger histories (the items as the functions and the operator write them). */
class DoraTest {
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
  private static final Instant END = T0.plus(Duration.ofDays(10));

  /** A push at {@code minute}, released a minute later, judged {@code verdictAfter} minutes after the push. */
  private static DeploymentRecord rollout(String service, String digest, int minute, DeploymentStatus status,
      int verdictAfter, boolean byOperator) {
    Instant push = T0.plus(Duration.ofMinutes(minute));
    return new DeploymentRecord(service, digest, digest, Owner.IMAGE_DEPLOYER, status, push, push.plusSeconds(60),
        push.plus(Duration.ofMinutes(verdictAfter)), byOperator ? push.plus(Duration.ofMinutes(30)) : null, byOperator);
  }

  /** bff: healthy, healthy, rolled back by the guard, a fix forward (healthy), then an operator rollback. */
  private static final List<DeploymentRecord> BFF = List.of(
      rollout("bff", "a", 0, DeploymentStatus.HEALTHY, 5, false),
      rollout("bff", "b", 100, DeploymentStatus.HEALTHY, 7, false),
      rollout("bff", "c", 200, DeploymentStatus.ROLLED_BACK, 4, false),
      rollout("bff", "d", 300, DeploymentStatus.HEALTHY, 9, false),
      rollout("bff", "e", 400, DeploymentStatus.ROLLED_BACK, 6, true));

  @Test
  void deploymentFrequencyCountsRolloutsAndRollbacksPerDay() {
    Dora.Measures m = Dora.compute(BFF, T0, END);

    assertThat(m.rollouts()).isEqualTo(5);
    assertThat(m.rollbacks()).isEqualTo(2); // the guard's and the operator's
    assertThat(m.deploymentFrequency()).isEqualTo(0.7);
  }

  @Test
  void leadTimeIsTheMedianFromPushToTheHealthyVerdict() {
    Dora.Measures m = Dora.compute(BFF, T0, END);

    // a 5, b 7, d 9, e 6 (HEALTHY before the operator rolled it back); c never was
    assertThat(m.leadTimeSamples()).isEqualTo(4);
    assertThat(m.medianLeadTime()).contains(Duration.ofMinutes(6).plusSeconds(30));
  }

  @Test
  void changeFailRateIsFailedRolloutsOverRollouts() {
    Dora.Measures m = Dora.compute(BFF, T0, END);

    assertThat(m.failedRollouts()).isEqualTo(1); // an operator's rollback of a HEALTHY release is no failure
    assertThat(m.changeFailRate()).contains(0.2);
  }

  @Test
  void recoveryRunsFromTheFailedReleaseToItsRollback() {
    Dora.Measures m = Dora.compute(BFF, T0, END);

    assertThat(m.recoverySamples()).isEqualTo(1);
    assertThat(m.medianRecovery()).contains(Duration.ofMinutes(3)); // released at +1 min, rolled back at +4
  }

  @Test
  void aFailureWithNoRollbackRecoversWhenTheNextRolloutIsHealthy() {
    List<DeploymentRecord> h = List.of(rollout("graphql", "x", 0, DeploymentStatus.FAILED, 2, false),
        rollout("graphql", "y", 60, DeploymentStatus.HEALTHY, 5, false),
        rollout("graphql", "z", 120, DeploymentStatus.FAILED, 2, false));

    Dora.Measures m = Dora.compute(h, T0, END);

    assertThat(m.medianRecovery()).contains(Duration.ofMinutes(64)); // x released at +1, y healthy at +65
    assertThat(m.unrecovered()).isEqualTo(1);
  }

  @Test
  void reworkCountsRollbacksAndTheFixForwardAfterAFailure() {
    Dora.Measures m = Dora.compute(BFF, T0, END);

    assertThat(m.rework()).isEqualTo(3); // the guard's rollback of c, d after c, the operator's rollback of e
    assertThat(m.reworkRate()).contains(3.0 / 7);
  }

  @Test
  void onlyRolloutsInTheWindowCountAndFrozenPushesNever() {
    List<DeploymentRecord> h = List.of(rollout("bff", "old", -60 * 24 * 2, DeploymentStatus.HEALTHY, 5, false),
        new DeploymentRecord("bff", "held", "held", Owner.IMAGE_DEPLOYER, DeploymentStatus.FROZEN, T0.plusSeconds(5),
            null, null, null, false),
        rollout("bff", "new", 10, DeploymentStatus.HEALTHY, 5, false));

    Dora.Measures m = Dora.compute(h, T0, END);

    assertThat(m.rollouts()).isEqualTo(1);
    assertThat(m.changeFailRate()).contains(0.0);
  }

  @Test
  void aPipelineDeploymentCountsFromItsRecordTime() {
    DeploymentRecord p = new DeploymentRecord("bff", "p", "", Owner.PIPELINE, DeploymentStatus.HEALTHY,
        T0.plusSeconds(10), null, T0.plusSeconds(70), null, false);

    Dora.Measures m = Dora.compute(List.of(p), T0, END);

    assertThat(m.rollouts()).isEqualTo(1);
    assertThat(m.medianLeadTime()).contains(Duration.ofMinutes(1));
  }
}
