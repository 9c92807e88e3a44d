package io.gitops.lambdas.core;

import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Metrics in CloudWatch's embedded metric format (EMF): JSON lines on stdout that CloudWatch Logs turns
 * into metrics. No CloudWatch API call (and no CloudWatch client) is needed.
 *
 * <p>Every metric carries the dimensions {@code Function} and {@code ColdStart}; extra dimensions (e.g.
 * {@code Reason} for skips) form a second dimension set {@code [Function, <extra>...]}.
 */
public final class Metrics {
  private static final AtomicBoolean COLD = new AtomicBoolean(true);

  private final PrintStream out;
  private final Clock clock;
  private final String namespace;
  private final String function;

  public Metrics(PrintStream out, Clock clock, String namespace, String function) {
    this.out = out;
    this.clock = clock;
    this.namespace = namespace;
    this.function = function;
  }

  /** True exactly once per execution environment: on the first invocation. */
  public static boolean consumeColdStart() {
    return COLD.getAndSet(false);
  }

  public void count(String name, boolean coldStart) {
    emit(name, 1, "Count", coldStart, Map.of());
  }

  public void count(String name, boolean coldStart, Map<String, String> dimensions) {
    emit(name, 1, "Count", coldStart, dimensions);
  }

  public void millis(String name, long value, boolean coldStart) {
    emit(name, value, "Milliseconds", coldStart, Map.of());
  }

  /** The metric the stack's failure alarm watches: one series per function (dimension {@code Function} only). */
  public static final String FUNCTION_FAILURES = io.gitops.contract.Telemetry.FAILURE_METRIC;

  /**
   * Counts a permanent failure of this function in {@link #FUNCTION_FAILURES}, under the single dimension
   * set {@code [Function]}: an alarm then needs one metric per function, whatever the cold start or reason.
   */
  public void functionFailure() {
    Map<String, Object> directive = new LinkedHashMap<>();
    directive.put("Namespace", namespace);
    directive.put("Dimensions", List.of(List.of("Function")));
    directive.put("Metrics", List.of(Map.of("Name", FUNCTION_FAILURES, "Unit", "Count")));
    String line = Json.obj()
        .put("_aws", Map.of("Timestamp", clock.millis(), "CloudWatchMetrics", List.of(directive)))
        .put("Function", function)
        .put(FUNCTION_FAILURES, 1L)
        .toString();
    synchronized (out) {
      out.println(line);
    }
  }

  /** Writes one EMF document for one metric. */
  public void emit(String name, double value, String unit, boolean coldStart, Map<String, String> dimensions) {
    List<List<String>> sets = new ArrayList<>();
    sets.add(List.of("Function", "ColdStart"));
    if (!dimensions.isEmpty()) {
      List<String> extra = new ArrayList<>();
      extra.add("Function");
      extra.addAll(dimensions.keySet());
      sets.add(extra);
    }
    Map<String, Object> directive = new LinkedHashMap<>();
    directive.put("Namespace", namespace);
    directive.put("Dimensions", sets);
    directive.put("Metrics", List.of(Map.of("Name", name, "Unit", unit)));
    Json.Obj doc = Json.obj()
        .put("_aws", Map.of("Timestamp", clock.millis(), "CloudWatchMetrics", List.of(directive)))
        .put("Function", function)
        .put("ColdStart", Boolean.toString(coldStart));
    dimensions.forEach(doc::put);
    doc.put(name, value == Math.rint(value) ? (Object) (long) value : (Object) value);
    String line = doc.toString();
    synchronized (out) {
      out.println(line);
    }
  }
}
