package io.gitops.cost;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The estimate of one environment: its priced lines, and resource types seen but not priced. */
public record Estimate(String environment, List<CostLine> lines, Map<String, Integer> unpricedTypes) {

  public double total() {
    return lines.stream().mapToDouble(CostLine::monthlyUsd).sum();
  }

  /** Monthly USD per category, sorted by name. */
  public Map<String, Double> byCategory() {
    Map<String, Double> out = new TreeMap<>();
    lines.forEach(l -> out.merge(l.category(), l.monthlyUsd(), Double::sum));
    return out;
  }
}
