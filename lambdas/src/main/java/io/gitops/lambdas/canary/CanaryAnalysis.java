package io.gitops.lambdas.canary;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Argo-style analysis as a pure function of the counters and of what the checks measure now. One call is one
 * hook invocation: the checks whose interval has passed are measured, and the answer is
 * <ul>
 *   <li>{@code FAILED} as soon as a check has more failures than its failure limit, or more inconclusive
 *       measurements than its inconclusive limit (an analysis that cannot see never promotes);
 *   <li>{@code SUCCEEDED} when every check has been measured {@code count} times within its limits;
 *   <li>{@code IN_PROGRESS} otherwise, with the callback delay until the next check is due.
 * </ul>
 * The first invocation of a stage measures nothing: it opens every check's first window (the canary has
 * served no traffic yet), and asks to be called back after the shortest interval.
 */
public final class CanaryAnalysis {

  /** ECS's answer. */
  public enum HookStatus { IN_PROGRESS, SUCCEEDED, FAILED }

  /**
   * What the analysis decided.
   *
   * @param failing      the check that failed the analysis, with its last measurement (FAILED only)
   * @param measurements this invocation's measurements, by check name
   */
  public record Decision(HookStatus status, long callBackDelaySeconds, AnalysisState state,
      Optional<Failure> failing, Map<String, Measurement> measurements) {

    public List<String> lines() {
      List<String> out = new ArrayList<>();
      measurements.forEach((name, m) -> out.add(name + ": " + m.verdict() + " (" + m.detail() + ")"));
      return out;
    }
  }

  /** The check that ended the analysis, why, and its counters. */
  public record Failure(String check, String why, Measurement last, AnalysisState.Tally tally) {
    public String describe() {
      return "canary check " + check + " " + why + ": " + last.detail() + " (" + tally.failed() + " failed, "
          + tally.inconclusive() + " inconclusive of " + tally.measured() + ")";
    }
  }

  /** A measurement request: the check, and the wall-clock window its metrics cover. */
  public record Window(Check check, Instant from, Instant to) {}

  @FunctionalInterface
  public interface Measurer {
    Measurement measure(Window window);
  }

  private CanaryAnalysis() {}

  public static Decision step(List<Check> checks, AnalysisState state, Instant now, Measurer measurer) {
    if (checks.isEmpty()) {
      return new Decision(HookStatus.SUCCEEDED, 0, state, Optional.empty(), Map.of());
    }
    if (state.tallies().isEmpty()) {
      Map<String, AnalysisState.Tally> open = new LinkedHashMap<>();
      for (Check c : checks) open.put(c.name(), new AnalysisState.Tally(0, 0, 0, 0, now.toEpochMilli()));
      long delay = checks.stream().mapToLong(c -> c.interval().toSeconds()).min().orElse(1);
      return new Decision(HookStatus.IN_PROGRESS, Math.max(1, delay),
          new AnalysisState(state.stage(), 0, Math.max(1, delay), open), Optional.empty(), Map.of());
    }
    long elapsed = state.elapsed() + state.delay();
    Map<String, AnalysisState.Tally> tallies = new LinkedHashMap<>(state.tallies());
    Map<String, Measurement> measured = new LinkedHashMap<>();
    for (Check c : checks) {
      AnalysisState.Tally t = tallies.getOrDefault(c.name(), new AnalysisState.Tally(0, 0, 0, 0, now.toEpochMilli()));
      if (t.measured() >= c.count() || elapsed - t.lastAt() < c.interval().toSeconds()) {
        tallies.put(c.name(), t);
        continue;
      }
      Measurement m = measurer.measure(new Window(c, Instant.ofEpochMilli(t.windowStart()), now));
      t = t.with(m.verdict(), elapsed, now.toEpochMilli());
      tallies.put(c.name(), t);
      measured.put(c.name(), m);
      AnalysisState next = new AnalysisState(state.stage(), elapsed, 0, tallies);
      if (t.failed() > c.failureLimit()) {
        return new Decision(HookStatus.FAILED, 0, next, Optional.of(new Failure(c.name(),
            "failed " + t.failed() + " time(s), above its failure limit " + c.failureLimit(), m, t)), measured);
      }
      if (t.inconclusive() > c.inconclusiveLimit()) {
        return new Decision(HookStatus.FAILED, 0, next, Optional.of(new Failure(c.name(),
            "was inconclusive " + t.inconclusive() + " time(s), above its inconclusive limit "
                + c.inconclusiveLimit(), m, t)), measured);
      }
    }
    long delay = Long.MAX_VALUE;
    for (Check c : checks) {
      AnalysisState.Tally t = tallies.get(c.name());
      if (t.measured() < c.count()) delay = Math.min(delay, t.lastAt() + c.interval().toSeconds() - elapsed);
    }
    if (delay == Long.MAX_VALUE) {
      return new Decision(HookStatus.SUCCEEDED, 0, new AnalysisState(state.stage(), elapsed, 0, tallies),
          Optional.empty(), measured);
    }
    delay = Math.max(1, delay);
    return new Decision(HookStatus.IN_PROGRESS, delay, new AnalysisState(state.stage(), elapsed, delay, tallies),
        Optional.empty(), measured);
  }
}
