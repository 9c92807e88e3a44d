package io.gitops.lambdas.core;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-safe count of API calls by {@code Service.Operation}: what the functions' own counter and the
 * local Lambda host's proxy both report.
 */
public final class CallTally {
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  public void add(String serviceOperation) {
    calls.computeIfAbsent(serviceOperation, k -> new AtomicInteger()).incrementAndGet();
  }

  /** Calls per {@code Service.Operation}, sorted by name. */
  public Map<String, Integer> snapshot() {
    Map<String, Integer> out = new TreeMap<>();
    calls.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public int total() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  public void clear() {
    calls.clear();
  }
}
