package io.gitops.lambdas.canary;

import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The analysis' counters between two hook invocations. ECS hands back whatever {@code hookDetails} an
 * IN_PROGRESS answer carried (Amazon ECS developer guide, "Lambda hooks for Amazon ECS service deployments":
 * passing state with hookDetails), so the hook keeps no state of its own.
 *
 * @param stage   the lifecycle stage these counters belong to (a new stage starts afresh)
 * @param elapsed seconds of analysis so far: the sum of the callback delays ECS waited
 * @param delay   the callback delay of the previous answer, added to {@code elapsed} on the next invocation
 * @param tallies per check name
 */
public record AnalysisState(String stage, long elapsed, long delay, Map<String, Tally> tallies) {

  /** The key under which the counters travel in hookDetails (other keys are left as they are). */
  public static final String KEY = "canaryAnalysis";

  /**
   * One check's counters.
   *
   * @param lastAt      {@link AnalysisState#elapsed} at its last measurement
   * @param windowStart wall-clock epoch millis where its next measurement's metric window starts
   */
  public record Tally(int passed, int failed, int inconclusive, long lastAt, long windowStart) {
    public int measured() {
      return passed + failed + inconclusive;
    }

    Tally with(Verdict v, long at, long window) {
      return new Tally(passed + (v == Verdict.PASS ? 1 : 0), failed + (v == Verdict.FAIL ? 1 : 0),
          inconclusive + (v == Verdict.INCONCLUSIVE ? 1 : 0), at, window);
    }
  }

  public AnalysisState {
    tallies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tallies));
  }

  public static AnalysisState fresh(String stage) {
    return new AnalysisState(stage, 0, 0, Map.of());
  }

  /** The counters in {@code hookDetails} for {@code stage}, or a fresh start. A malformed value is bad input. */
  public static AnalysisState from(Optional<JsonNode> hookDetails, String stage) {
    if (hookDetails.isEmpty() || !hookDetails.get().isObject()) return fresh(stage);
    JsonNode a = hookDetails.get().asObject().get(KEY);
    if (a == null || a.isNull()) return fresh(stage);
    Map<String, JsonNode> o = Json.object(a, "$.hookDetails." + KEY);
    if (!stage.equals(Json.optionalString(o, "stage", "$.hookDetails." + KEY).orElse(""))) return fresh(stage);
    Map<String, Tally> tallies = new LinkedHashMap<>();
    JsonNode checks = o.get("checks");
    if (checks != null && checks.isObject()) {
      checks.asObject().forEach((name, t) -> {
        Map<String, JsonNode> c = Json.object(t, "$.hookDetails." + KEY + ".checks." + name);
        tallies.put(name, new Tally((int) num(c, "passed"), (int) num(c, "failed"), (int) num(c, "inconclusive"),
            num(c, "lastAt"), num(c, "windowStart")));
      });
    }
    return new AnalysisState(stage, num(o, "elapsed"), num(o, "delay"), tallies);
  }

  private static long num(Map<String, JsonNode> o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) return 0;
    if (!n.isNumber()) throw new InvalidInputException("$.hookDetails." + KEY + "." + field + ": expected a number");
    return Long.parseLong(n.asNumber().split("\\.")[0]);
  }

  /** As the JSON object that goes into hookDetails. */
  public Json.Obj toJson() {
    Json.Obj checks = Json.obj();
    tallies.forEach((name, t) -> checks.put(name, Json.obj().put("passed", t.passed()).put("failed", t.failed())
        .put("inconclusive", t.inconclusive()).put("lastAt", t.lastAt()).put("windowStart", t.windowStart())));
    return Json.obj().put("stage", stage).put("elapsed", elapsed).put("delay", delay).put("checks", checks);
  }
}
