package io.gitops.lambdas.canary;

import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The canary analysis of one service (CANARY_ANALYSIS, set by the stack for each service with a
 * traffic-shifting strategy): where its metrics are, and how often and how long each stage is measured.
 *
 * @param loadBalancer  the ALB's CloudWatch dimension value, {@code app/NAME/ID}
 * @param targetGroups  the two target groups ECS alternates between (production and alternate)
 * @param testProbeUrl  the health path through the test listener rule, which reaches the new revision only
 * @param interval      time between two measurements
 * @param canaryCount   measurements while the canary takes its first share of traffic
 * @param bakeCount     measurements after the full shift
 * @param maxErrorRate  the 5xx share of the new revision's responses that fails a measurement
 * @param maxLatencyRatio the new revision's p95 latency over the stable one's that fails a measurement
 */
public record CanaryPlan(String loadBalancer, List<String> targetGroups, Optional<URI> testProbeUrl, Duration interval,
    int canaryCount, int bakeCount, double maxErrorRate, double maxLatencyRatio) {

  public static final double DEFAULT_MAX_ERROR_RATE = 0.05;
  public static final double DEFAULT_MAX_LATENCY_RATIO = 1.5;
  /** The smoke checks before any production traffic: one quick measurement. */
  static final Duration SMOKE_INTERVAL = Duration.ofSeconds(10);

  public CanaryPlan {
    targetGroups = List.copyOf(targetGroups);
  }

  public static final String SMOKE_PROBE = "smoke-probe";
  public static final String CANARY_TARGETS = "canary-targets";
  public static final String ERROR_RATE = "error-rate";
  public static final String LATENCY = "latency-p95";
  public static final String TASK_FAILURES = "task-failures";

  /** POST_TEST_TRAFFIC_SHIFT: the health path through the test listener, and the new targets' health. */
  public List<Check> smokeChecks() {
    List<Check> out = new ArrayList<>();
    if (testProbeUrl.isPresent()) {
      out.add(new Check(SMOKE_PROBE, Check.Kind.HTTP_PROBE, SMOKE_INTERVAL, 1, 0, 0, 0));
    }
    out.add(new Check(CANARY_TARGETS, Check.Kind.TARGET_HEALTH, SMOKE_INTERVAL, 1, 0, 1, 0));
    return out;
  }

  /**
   * While production traffic is on the new revision (the canary step, then the bake). A quiet service (no
   * requests in a window) is inconclusive on the metric checks without failing them: it has nothing to
   * judge, and the target health, the task failures and ECS's deployment alarms still apply.
   */
  public List<Check> trafficChecks(int count, int failureThreshold) {
    return List.of(
        new Check(ERROR_RATE, Check.Kind.ERROR_RATE, interval, count, 1, count, maxErrorRate),
        new Check(LATENCY, Check.Kind.LATENCY_RATIO, interval, count, 1, count, maxLatencyRatio),
        new Check(CANARY_TARGETS, Check.Kind.TARGET_HEALTH, interval, count, 0, 1, 0),
        new Check(TASK_FAILURES, Check.Kind.TASK_FAILURES, interval, count, 0, 0, failureThreshold));
  }

  /** CANARY_ANALYSIS: ECS service name → plan. A bad value fails at init with the variable's name. */
  public static Map<String, CanaryPlan> parse(Map<String, String> env) {
    String v = env.get(EnvVar.CANARY_ANALYSIS);
    if (v == null || v.isBlank()) return Map.of();
    Map<String, CanaryPlan> out = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    try {
      for (Map.Entry<String, JsonNode> e : Json.object(Json.parse(v), "$").entrySet()) {
        String path = EnvVar.CANARY_ANALYSIS + ": $." + e.getKey();
        try {
          Map<String, JsonNode> o = Json.object(e.getValue(), path);
          List<String> groups = Json.stringArray(o, "targetGroups", path);
          if (groups.size() != 2) throw new InvalidInputException(path + ".targetGroups: expected two target group ARNs");
          Optional<URI> probe = Json.optionalString(o, "testProbeUrl", path).map(URI::create);
          out.put(e.getKey(), new CanaryPlan(Json.string(o, "loadBalancer", path), groups, probe,
              Duration.ofSeconds(positive(o, "intervalSeconds", 60, path)), (int) positive(o, "canaryCount", 5, path),
              (int) positive(o, "bakeCount", 5, path), decimal(o, "maxErrorRate", DEFAULT_MAX_ERROR_RATE, path),
              decimal(o, "maxLatencyRatio", DEFAULT_MAX_LATENCY_RATIO, path)));
        } catch (InvalidInputException | IllegalArgumentException ex) {
          errors.add(ex.getMessage());
        }
      }
    } catch (InvalidInputException ex) {
      errors.add(EnvVar.CANARY_ANALYSIS + ": " + ex.getMessage());
    }
    if (!errors.isEmpty()) throw new InvalidInputException("bad configuration: " + String.join("; ", errors));
    return Collections.unmodifiableMap(out);
  }

  private static long positive(Map<String, JsonNode> o, String field, long dflt, String path) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) return dflt;
    long value = n.isNumber() ? (long) Double.parseDouble(n.asNumber()) : -1;
    if (value < 1) throw new InvalidInputException(path + "." + field + ": expected a positive number");
    return value;
  }

  private static double decimal(Map<String, JsonNode> o, String field, double dflt, String path) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) return dflt;
    double value = n.isNumber() ? Double.parseDouble(n.asNumber()) : -1;
    if (!(value > 0)) throw new InvalidInputException(path + "." + field + ": expected a positive number");
    return value;
  }
}
