package io.gitops.lambdas.core;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts API calls per {@code Service.Operation} (one per call, however many attempts it took) and HTTP
 * attempts. Plug it in through {@link AwsClients.Settings#interceptors()}; benchmarks and tests read it.
 */
public final class ApiCallCounter implements ExecutionInterceptor {
  private final CallTally calls = new CallTally();
  private final AtomicInteger attempts = new AtomicInteger();

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    String name = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + "."
        + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    calls.add(name);
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    attempts.incrementAndGet();
  }

  /** Calls per {@code Service.Operation}, sorted by name. */
  public Map<String, Integer> snapshot() {
    return calls.snapshot();
  }

  public int total() {
    return calls.total();
  }

  /** Calls whose operation may change state: anything but Describe*, Get*, List*, Query, Scan, BatchGet*. */
  public int mutating() {
    return calls.snapshot().entrySet().stream()
        .filter(e -> {
          String op = e.getKey().substring(e.getKey().indexOf('.') + 1);
          return !(op.startsWith("Describe") || op.startsWith("Get") || op.startsWith("List")
              || op.equals("Query") || op.equals("Scan") || op.startsWith("BatchGet"));
        })
        .mapToInt(Map.Entry::getValue)
        .sum();
  }

  public int attempts() {
    return attempts.get();
  }

  public void reset() {
    calls.clear();
    attempts.set(0);
  }
}
