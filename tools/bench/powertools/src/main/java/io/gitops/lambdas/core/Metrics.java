package io.gitops.lambdas.core;

import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * Benchmark stand-in with the production {@code core/Metrics}'s API, written on Powertools metrics: each
 * metric is one EMF document ({@code flushSingleMetric}) with the same dimensions as production's.
 */
public final class Metrics {
  private static final AtomicBoolean COLD = new AtomicBoolean(true);

  private final String namespace;
  private final String function;

  public Metrics(PrintStream out, Clock clock, String namespace, String function) {
    this.namespace = namespace;
    this.function = function;
  }

  public void millis(String name, long value, boolean coldStart) {
    emit(name, value, "Milliseconds", coldStart, Map.of());
  }

  public void count(String name, boolean coldStart, Map<String, String> dimensions) {
    emit(name, 1, "Count", coldStart, dimensions);
  }

  public void count(String name, boolean coldStart) {
    count(name, coldStart, Map.of());
  }

  public void emit(String name, double value, String unit, boolean coldStart, Map<String, String> dimensions) {
    Map<String, String> dims = new LinkedHashMap<>();
    dims.put("Function", function);
    dims.put("ColdStart", Boolean.toString(coldStart));
    dims.putAll(dimensions);
    MetricUnit u = unit.equals("Milliseconds") ? MetricUnit.MILLISECONDS : MetricUnit.COUNT;
    MetricsFactory.getMetricsInstance().flushSingleMetric(name, value, u, namespace, DimensionSet.of(dims));
  }

  public static boolean consumeColdStart() {
    return COLD.getAndSet(false);
  }
}
