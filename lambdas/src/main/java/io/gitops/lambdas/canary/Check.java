package io.gitops.lambdas.canary;

import java.time.Duration;
import java.util.Objects;

/**
 * One named check of a canary analysis, in the manner of Argo Rollouts' AnalysisTemplate metrics: measured
 * every {@code interval}, {@code count} times; the analysis fails when more than {@code failureLimit}
 * measurements failed, or more than {@code inconclusiveLimit} could not decide (no data), and succeeds when
 * every check was measured {@code count} times within its limits.
 *
 * @param name              shown in the ledger, the notification and the logs
 * @param kind              what is measured
 * @param interval          time between two measurements (the window each measurement covers)
 * @param count             measurements before the check passes
 * @param failureLimit      failed measurements tolerated
 * @param inconclusiveLimit inconclusive measurements tolerated
 * @param threshold         the kind's limit: a 5xx share, a latency ratio, a task count
 */
public record Check(String name, Kind kind, Duration interval, int count, int failureLimit, int inconclusiveLimit,
    double threshold) {

  /** What a check measures. */
  public enum Kind {
    /** HTTPCode_Target_5XX_Count / RequestCount of the canary's target group: fails above {@code threshold}. */
    ERROR_RATE,
    /** p95 TargetResponseTime, canary against stable: fails when the ratio is above {@code threshold}. */
    LATENCY_RATIO,
    /** Every target of the canary's target group healthy (ELB DescribeTargetHealth). */
    TARGET_HEALTH,
    /** The health path through the test listener rule answers 2xx. */
    HTTP_PROBE,
    /** Failed tasks of the new revision, as the guard counted them: fails at {@code threshold}. */
    TASK_FAILURES
  }

  public Check {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException(name + ": interval must be positive");
    if (count < 1) throw new IllegalArgumentException(name + ": count must be at least 1");
    if (failureLimit < 0 || inconclusiveLimit < 0) throw new IllegalArgumentException(name + ": limits must be >= 0");
  }
}
