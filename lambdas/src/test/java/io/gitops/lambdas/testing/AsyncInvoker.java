package io.gitops.lambdas.testing;

import io.gitops.testing.MutableClock;

import io.gitops.lambdas.core.RetryableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Lambda's asynchronous invocation, played in the test: the first attempt, then up to two retries (Lambda
 * waits about 1 and 2 minutes; here the clock is moved instead), then the on-failure destination.
 *
 * @param <R> the handler's result type
 */
public final class AsyncInvoker<R> {
  /** What happened to one event. */
  public record Delivery<R>(byte[] event, R result, int attempts, RuntimeException lastError) {
    public boolean heldOnFailure() {
      return result == null;
    }
  }

  private final Function<byte[], R> handler;
  private final MutableClock clock;
  private final int maxRetries;
  private final List<Delivery<R>> onFailureDestination = new ArrayList<>();
  private final java.util.function.Predicate<RuntimeException> retried;
  private java.util.function.IntConsumer beforeAttempt = attempt -> { };

  public AsyncInvoker(Function<byte[], R> handler, MutableClock clock, int maxRetries) {
    this(handler, clock, maxRetries, e -> e instanceof RetryableException);
  }

  /**
   * @param retried which errors Lambda retries here: on AWS every function error is retried (a crash, a
   *     timeout, any exception); tests that want an unexpected exception to surface pass only
   *     {@link RetryableException}
   */
  public AsyncInvoker(Function<byte[], R> handler, MutableClock clock, int maxRetries,
      java.util.function.Predicate<RuntimeException> retried) {
    this.handler = handler;
    this.clock = clock;
    this.maxRetries = maxRetries;
    this.retried = retried;
  }

  /** Called before every attempt with its number (1 = the first delivery): e.g. to plan a fault or a crash. */
  public AsyncInvoker<R> beforeAttempt(java.util.function.IntConsumer hook) {
    this.beforeAttempt = hook;
    return this;
  }

  public Delivery<R> deliver(byte[] event) {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= 1 + maxRetries; attempt++) {
      beforeAttempt.accept(attempt);
      try {
        return new Delivery<>(event, handler.apply(event), attempt, last);
      } catch (RuntimeException e) {
        if (!retried.test(e)) throw e;
        last = e;
        clock.advance(Duration.ofMinutes(attempt)); // Lambda's retry delays: ~1 min, then ~2 min
      }
    }
    Delivery<R> held = new Delivery<>(event, null, 1 + maxRetries, last);
    onFailureDestination.add(held);
    return held;
  }

  /** The events that exhausted their retries: what the on-failure SQS queue would hold. */
  public List<Delivery<R>> onFailureDestination() {
    return List.copyOf(onFailureDestination);
  }
}
