package io.gitops.lambdas.testing;

import io.gitops.testing.FaultProxy;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * An SDK interceptor that asks a {@link FaultProxy} for a planned fault on chosen operations: e.g.
 * {@code new PlannedFaults().on("PutParameter", "ACCESS_DENIED", 1, 1)} faults the first PutParameter call (one
 * attempt of it). Put it on the function's clients and point them at the proxy.
 */
public final class PlannedFaults implements ExecutionInterceptor {
  private record Plan(String kind, int calls, int attemptsEach) {}

  private final Map<String, Plan> plans = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();

  /** Faults the first {@code calls} calls of {@code operation}, each for {@code attemptsEach} attempts. */
  public PlannedFaults on(String operation, String kind, int calls, int attemptsEach) {
    plans.put(operation, new Plan(kind, calls, attemptsEach));
    return this;
  }

  @Override
  public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
    String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    Plan p = plans.get(op);
    if (p == null) return context.httpRequest();
    String id = attributes.getAttribute(CALL_ID);
    if (id == null) {
      if (seen.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet() > p.calls()) return context.httpRequest();
      id = UUID.randomUUID().toString();
      attributes.putAttribute(CALL_ID, id);
    }
    return context.httpRequest().toBuilder()
        .putHeader(FaultProxy.PLAN_HEADER, p.kind() + ":" + id + ":" + p.attemptsEach()).build();
  }

  private static final software.amazon.awssdk.core.interceptor.ExecutionAttribute<String> CALL_ID =
      new software.amazon.awssdk.core.interceptor.ExecutionAttribute<>("planned-fault-call");
}
