package io.gitops.lambdas.release;

import io.gitops.lambdas.core.DeploymentStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * DORA's five software delivery measures, computed from one service's (or several services') ledger records over
 * a window. The definitions, and how each maps onto the ledger, are in docs/dora.md; in short:
 *
 * <ul>
 *   <li>a <b>rollout</b> is a deployment that reached the service in the window: released by the image deployer,
 *       or recorded from a pipeline deployment (FROZEN pushes never reached it);
 *   <li>a <b>rollback</b> is the deployment that undid a failed rollout (the guard's) or a HEALTHY one (an
 *       operator's); deployments = rollouts + rollbacks;
 *   <li>a rollout <b>failed</b> when it ended ROLLED_BACK or FAILED (it needed an intervention);
 *   <li><b>lead time</b> runs from the push to the guard's HEALTHY verdict;
 *   <li><b>recovery</b> runs from a failed rollout's release to its rollback (or, with none possible, to the next
 *       rollout of the service judged HEALTHY);
 *   <li><b>rework</b>: rollbacks, and the first rollout after a failed one (a fix forward).
 * </ul>
 */
public final class Dora {
  private Dora() {}

  /** The five measures over {@code days} days; medians are empty when nothing was measured. */
  public record Measures(int rollouts, int rollbacks, double days, Optional<Duration> medianLeadTime,
      int leadTimeSamples, int failedRollouts, Optional<Duration> medianRecovery, int recoverySamples,
      int unrecovered, int rework) {

    public int deployments() {
      return rollouts + rollbacks;
    }

    /** Deployments per day. */
    public double deploymentFrequency() {
      return days <= 0 ? 0 : deployments() / days;
    }

    /** Failed rollouts over rollouts, or empty with no rollout. */
    public Optional<Double> changeFailRate() {
      return rollouts == 0 ? Optional.empty() : Optional.of((double) failedRollouts / rollouts);
    }

    /** Rework deployments over all deployments, or empty with none. */
    public Optional<Double> reworkRate() {
      return deployments() == 0 ? Optional.empty() : Optional.of((double) rework / deployments());
    }
  }

  /**
   * The measures over the rollouts whose deployment time falls in [{@code from}, {@code to}). {@code records}
   * may hold several services: the fix-forward and no-rollback recovery look at each service's own next rollout.
   */
  public static Measures compute(List<DeploymentRecord> records, Instant from, Instant to) {
    List<DeploymentRecord> all = new ArrayList<>(records);
    all.removeIf(r -> r.deployedAt() == null);
    all.sort(Comparator.comparing(DeploymentRecord::deployedAt));
    int rollouts = 0;
    int rollbacks = 0;
    int failed = 0;
    int rework = 0;
    int unrecovered = 0;
    List<Duration> lead = new ArrayList<>();
    List<Duration> recovery = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      DeploymentRecord r = all.get(i);
      Instant at = r.deployedAt();
      if (at.isBefore(from) || !at.isBefore(to)) continue;
      rollouts++;
      boolean wasHealthy = r.status() == DeploymentStatus.HEALTHY
          || (r.status() == DeploymentStatus.ROLLED_BACK && r.byOperator());
      if (wasHealthy && r.statusChangedAt() != null && r.pushTime() != null) {
        lead.add(nonNegative(Duration.between(r.pushTime(), r.statusChangedAt())));
      }
      if (r.byOperator()) rollbacks++; // an operator undid a HEALTHY release: a rollback deployment, not a failure
      boolean failedRollout = (r.status() == DeploymentStatus.ROLLED_BACK && !r.byOperator())
          || r.status() == DeploymentStatus.FAILED;
      if (failedRollout) {
        failed++;
        if (r.status() == DeploymentStatus.ROLLED_BACK) {
          rollbacks++;
          if (r.statusChangedAt() != null) recovery.add(nonNegative(Duration.between(at, r.statusChangedAt())));
        } else {
          Optional<DeploymentRecord> next = nextRollout(all, i, DeploymentStatus.HEALTHY);
          if (next.isPresent() && next.get().statusChangedAt() != null) {
            recovery.add(nonNegative(Duration.between(at, next.get().statusChangedAt())));
          } else {
            unrecovered++;
          }
        }
      }
      if (r.byOperator() || (r.status() == DeploymentStatus.ROLLED_BACK && !r.byOperator())) rework++;
      if (previousRollout(all, i).filter(p -> isFailed(p)).isPresent()) rework++; // a fix forward
    }
    double days = Duration.between(from, to).toSeconds() / 86_400.0;
    return new Measures(rollouts, rollbacks, days, median(lead), lead.size(), failed, median(recovery),
        recovery.size(), unrecovered, rework);
  }

  private static boolean isFailed(DeploymentRecord r) {
    return (r.status() == DeploymentStatus.ROLLED_BACK && !r.byOperator()) || r.status() == DeploymentStatus.FAILED;
  }

  private static Optional<DeploymentRecord> nextRollout(List<DeploymentRecord> all, int i, DeploymentStatus status) {
    for (int j = i + 1; j < all.size(); j++) {
      if (all.get(j).service().equals(all.get(i).service()) && all.get(j).status() == status) {
        return Optional.of(all.get(j));
      }
    }
    return Optional.empty();
  }

  private static Optional<DeploymentRecord> previousRollout(List<DeploymentRecord> all, int i) {
    for (int j = i - 1; j >= 0; j--) {
      if (all.get(j).service().equals(all.get(i).service())) return Optional.of(all.get(j));
    }
    return Optional.empty();
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  static Optional<Duration> median(List<Duration> values) {
    if (values.isEmpty()) return Optional.empty();
    List<Duration> sorted = new ArrayList<>(values);
    sorted.sort(Comparator.naturalOrder());
    int n = sorted.size();
    return Optional.of(n % 2 == 1 ? sorted.get(n / 2) : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2));
  }

  /** {@code 1h 02m}, {@code 3m 04s}, {@code 12s}. */
  public static String format(Duration d) {
    long s = d.toSeconds();
    if (s >= 86_400) return String.format("%dd %02dh", s / 86_400, (s % 86_400) / 3600);
    if (s >= 3600) return String.format("%dh %02dm", s / 3600, (s % 3600) / 60);
    if (s >= 60) return String.format("%dm %02ds", s / 60, s % 60);
    return s + "s";
  }
}
