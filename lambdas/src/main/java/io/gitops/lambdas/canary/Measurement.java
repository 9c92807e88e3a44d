package io.gitops.lambdas.canary;

import java.util.Map;

/**
 * One measurement: its verdict, the values it saw (for the ledger and the notification) and a line for people.
 */
public record Measurement(Verdict verdict, Map<String, Double> values, String detail) {
  public Measurement {
    values = Map.copyOf(values);
  }

  public static Measurement pass(String detail, Map<String, Double> values) {
    return new Measurement(Verdict.PASS, values, detail);
  }

  public static Measurement fail(String detail, Map<String, Double> values) {
    return new Measurement(Verdict.FAIL, values, detail);
  }

  public static Measurement inconclusive(String detail) {
    return new Measurement(Verdict.INCONCLUSIVE, Map.of(), detail);
  }
}
