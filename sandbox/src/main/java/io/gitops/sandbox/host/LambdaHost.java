package io.gitops.sandbox.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A local Lambda service for the synthesized functions: each function runs in its own JVMs (execution
 * environments) through the runtime interface client, against a Runtime API served here; environments
 * stay warm between invocations; asynchronous invocations are retried and then recorded to the on-failure
 * destination as Lambda does ("Asynchronous invocation" and "Capturing records of Lambda asynchronous
 * invocations" in the developer guide).
 *
 * <p>Reserved concurrency bounds the environments of a function; events beyond it wait in the function's
 * queue, as they wait in Lambda's asynchronous queue.
 */
public final class LambdaHost implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Lambda's delays before the second and third attempt of an asynchronous invocation. */
  static final List<Duration> RETRY_DELAYS = List.of(Duration.ofMinutes(1), Duration.ofMinutes(2));
  /** The host's own bound where a function reserves no concurrency (the account's pool is 1,000 on AWS). */
  static final int UNRESERVED_LIMIT = 4;

  /** How an asynchronous invocation ended. */
  public record AsyncOutcome(String requestId, String function, boolean succeeded, int attempts,
      byte[] responsePayload, String errorType, String errorMessage, Optional<JsonNode> destinationRecord) {
    public String response() {
      return responsePayload == null ? null : new String(responsePayload, StandardCharsets.UTF_8);
    }
  }

  /** How a synchronous (RequestResponse) invocation ended: a payload, or a function error. */
  public record SyncOutcome(boolean ok, byte[] payload, String errorType, String errorMessage) {
    public String payloadText() {
      return payload == null ? "" : new String(payload, StandardCharsets.UTF_8);
    }
  }

  /** A host event, for logs and tests: environment started / killed, attempt failed, record sent. */
  public record HostEvent(String function, String kind, String detail) {}

  private final Map<String, Pool> pools = new LinkedHashMap<>();
  private final HostOptions options;
  private final CredentialRegistry registry = new CredentialRegistry();
  private final AwsProxy proxy;
  private final DestinationSender destinations;
  private final Clock clock;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "lambda-host-timers");
    t.setDaemon(true);
    return t;
  });
  private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lambda-host-invoke");
    t.setDaemon(true);
    return t;
  });
  private final List<Consumer<HostEvent>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Sends a destination record: to an SQS queue ARN, the record's JSON as the message body. */
  @FunctionalInterface
  public interface DestinationSender {
    void send(String queueArn, String body);
  }

  /**
   * @param emulator where the functions' AWS calls go in the end (a proxy in front of it checks the keys),
   *     or empty for none
   */
  public LambdaHost(Collection<FunctionSpec> functions, HostOptions options, Optional<java.net.URI> emulator,
      DestinationSender destinations, Clock clock) {
    this.proxy = emulator.map(e -> new AwsProxy(e, registry)).orElse(null);
    this.options = proxy == null ? options : options.withEndpoint(Optional.of(proxy.endpoint()));
    this.destinations = destinations;
    this.clock = clock;
    for (FunctionSpec f : functions) pools.put(f.name(), new Pool(f));
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** Ends the function JVMs if this JVM exits without closing the host (Ctrl-C in the demo): no orphans. */
  private final Thread reaper = new Thread(() -> pools.values().forEach(p -> p.live().forEach(ExecutionEnvironment::close)),
      "lambda-host-reaper");

  public Optional<AwsProxy> proxy() {
    return Optional.ofNullable(proxy);
  }

  public void addListener(Consumer<HostEvent> l) {
    listeners.add(l);
  }

  public Collection<String> functions() {
    return pools.keySet();
  }

  public FunctionSpec spec(String function) {
    return pool(function).spec;
  }

  /** Environments started for a function since the host began (cold starts). */
  public int environmentsStarted(String function) {
    return pool(function).started.get();
  }

  /** Successful container-credential fetches by a function's environments, live and gone. */
  public int credentialFetches(String function) {
    return pool(function).credentialFetches.get() + pool(function).live().stream()
        .mapToInt(ExecutionEnvironment::credentialFetches).sum();
  }

  /** Starts one execution environment of each function now (init, and SnapStart's checkpoint), and keeps it. */
  public void warm(String function) {
    Pool p = pool(function);
    ExecutionEnvironment e = p.acquire();
    p.release(e);
  }

  /** An asynchronous invocation ({@code InvocationType=Event}): queued, retried, recorded on failure. */
  public CompletableFuture<AsyncOutcome> invokeAsync(String function, byte[] event) {
    Pool p = pool(function);
    AsyncEvent e = new AsyncEvent(UUID.randomUUID().toString(), event, clock.instant());
    workers.submit(() -> attempt(p, e));
    return e.done;
  }

  /** A synchronous invocation ({@code RequestResponse}): one attempt, the function's answer or error. */
  public SyncOutcome invoke(String function, byte[] event) {
    Pool p = pool(function);
    ExecutionEnvironment env = p.acquire();
    ExecutionEnvironment.Attempt a = env.invoke(UUID.randomUUID().toString(), event);
    p.finished(env, a);
    return new SyncOutcome(a.ok(), a.payload(), a.errorType(), a.errorMessage());
  }

  private final class AsyncEvent {
    final String requestId;
    final byte[] payload;
    final Instant received;
    int attempts;
    final CompletableFuture<AsyncOutcome> done = new CompletableFuture<>();

    AsyncEvent(String requestId, byte[] payload, Instant received) {
      this.requestId = requestId;
      this.payload = payload;
      this.received = received;
    }
  }

  private void attempt(Pool p, AsyncEvent e) {
    try {
      FunctionSpec s = p.spec;
      if (Duration.between(e.received, clock.instant()).compareTo(options.scaled(s.maximumEventAge())) > 0) {
        finish(p, e, null, "EventAgeExceeded");
        return;
      }
      ExecutionEnvironment env = p.acquire();
      e.attempts++;
      ExecutionEnvironment.Attempt a = env.invoke(e.requestId, e.payload);
      p.finished(env, a);
      if (a.ok()) {
        e.done.complete(new AsyncOutcome(e.requestId, s.name(), true, e.attempts, a.payload(), null, null,
            Optional.empty()));
        return;
      }
      emit(s.name(), "attempt-failed", "attempt " + e.attempts + " of " + (s.maximumRetryAttempts() + 1) + ": "
          + a.errorType() + ": " + a.errorMessage());
      if (e.attempts <= s.maximumRetryAttempts()) {
        Duration delay = options.scaled(RETRY_DELAYS.get(Math.min(e.attempts - 1, RETRY_DELAYS.size() - 1)));
        timers.schedule(() -> workers.submit(() -> attempt(p, e)), delay.toMillis(), TimeUnit.MILLISECONDS);
        return;
      }
      finish(p, e, a, "RetriesExhausted");
    } catch (RuntimeException ex) {
      // The function cannot start (init error): Lambda keeps the event and retries it like a function error.
      e.attempts++;
      emit(p.spec.name(), "attempt-failed", ex.getMessage());
      if (e.attempts <= p.spec.maximumRetryAttempts()) {
        Duration delay = options.scaled(RETRY_DELAYS.get(Math.min(e.attempts - 1, RETRY_DELAYS.size() - 1)));
        timers.schedule(() -> workers.submit(() -> attempt(p, e)), delay.toMillis(), TimeUnit.MILLISECONDS);
      } else {
        finish(p, e, ExecutionEnvironment.Attempt.failure("Runtime.InitError", ex.getMessage(),
            ("{\"errorMessage\":" + JSON.valueToTree(ex.getMessage()) + ",\"errorType\":\"Runtime.InitError\"}")
                .getBytes(StandardCharsets.UTF_8), true), "RetriesExhausted");
      }
    }
  }

  private void finish(Pool p, AsyncEvent e, ExecutionEnvironment.Attempt last, String condition) {
    FunctionSpec s = p.spec;
    ObjectNode record = destinationRecord(s, e, last, condition);
    Optional<JsonNode> sent = Optional.empty();
    if (s.onFailureQueueArn().isPresent()) {
      try {
        destinations.send(s.onFailureQueueArn().get(), record.toString());
        sent = Optional.of(record);
        emit(s.name(), "destination", condition + " → " + s.onFailureQueueArn().get());
      } catch (RuntimeException ex) {
        // Lambda counts this as DestinationDeliveryFailures; the event is then discarded.
        emit(s.name(), "destination-failed", ex.getMessage());
      }
    } else {
      emit(s.name(), "discarded", condition + ": no on-failure destination; the event is dropped as on AWS");
    }
    e.done.complete(new AsyncOutcome(e.requestId, s.name(), false, e.attempts, last == null ? null : last.payload(),
        last == null ? null : last.errorType(), last == null ? condition : last.errorMessage(), sent));
  }

  /** The invocation record Lambda sends to an on-failure destination. */
  ObjectNode destinationRecord(FunctionSpec s, AsyncEvent e, ExecutionEnvironment.Attempt last, String condition) {
    ObjectNode r = JSON.createObjectNode();
    r.put("version", "1.0");
    r.put("timestamp", clock.instant().toString());
    ObjectNode rc = r.putObject("requestContext");
    rc.put("requestId", e.requestId);
    rc.put("functionArn", s.arn(options.region(), HostOptions.ACCOUNT));
    rc.put("condition", condition);
    rc.put("approximateInvokeCount", e.attempts);
    r.set("requestPayload", parseOrText(e.payload));
    if (last != null) {
      ObjectNode resp = r.putObject("responseContext");
      resp.put("statusCode", 200);
      resp.put("executedVersion", s.executedVersion());
      resp.put("functionError", "Unhandled");
      r.set("responsePayload", parseOrText(last.payload()));
    }
    return r;
  }

  private static JsonNode parseOrText(byte[] b) {
    if (b == null) return JSON.nullNode();
    try {
      return JSON.readTree(b);
    } catch (Exception ex) {
      return JSON.getNodeFactory().textNode(new String(b, StandardCharsets.UTF_8));
    }
  }

  private void emit(String function, String kind, String detail) {
    HostEvent ev = new HostEvent(function, kind, detail);
    for (var l : listeners) l.accept(ev);
  }

  private Pool pool(String function) {
    Pool p = pools.get(function);
    if (p == null) {
      throw new HostException("unknown function '" + function + "' (the synthesized templates define: "
          + String.join(", ", pools.keySet()) + ")");
    }
    return p;
  }

  /** A function's execution environments: idle ones are reused; at most the reserved concurrency exist. */
  private final class Pool {
    final FunctionSpec spec;
    final int limit;
    final Deque<ExecutionEnvironment> idle = new ArrayDeque<>();
    final List<ExecutionEnvironment> all = new ArrayList<>();
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger credentialFetches = new AtomicInteger();
    int busy;
    int starting;

    Pool(FunctionSpec spec) {
      this.spec = spec;
      this.limit = spec.reservedConcurrency().orElse(UNRESERVED_LIMIT);
    }

    synchronized List<ExecutionEnvironment> live() {
      return List.copyOf(all);
    }

    ExecutionEnvironment acquire() {
      synchronized (this) {
        while (true) {
          while (!idle.isEmpty()) {
            ExecutionEnvironment e = idle.pop();
            if (e.alive()) {
              busy++;
              return e;
            }
            retire(e);
          }
          if (limit <= 0) throw new HostException(spec.name() + ": reserved concurrency is 0: the function is throttled");
          if (all.size() + starting < limit) {
            busy++;
            starting++;
            break;
          }
          try {
            wait(); // every environment is busy: the event waits in the queue
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new HostException(spec.name() + ": interrupted while waiting for an execution environment");
          }
        }
      }
      try {
        ExecutionEnvironment e = ExecutionEnvironment.start(spec, options, registry);
        started.incrementAndGet();
        emit(spec.name(), "environment-started", "pid " + e.pid() + (spec.snapStart() ? " (snap-start)" : " (on-demand)"));
        synchronized (this) {
          starting--;
          all.add(e);
        }
        return e;
      } catch (RuntimeException ex) {
        synchronized (this) {
          busy--;
          starting--;
          notifyAll();
        }
        throw ex;
      }
    }

    synchronized void release(ExecutionEnvironment e) {
      busy--;
      if (e.alive()) idle.push(e);
      else retire(e);
      notifyAll();
    }

    void finished(ExecutionEnvironment e, ExecutionEnvironment.Attempt a) {
      if (a.environmentLost()) emit(spec.name(), "environment-lost", a.errorType() + " (pid " + e.pid() + ")");
      release(e);
    }

    private void retire(ExecutionEnvironment e) {
      if (all.remove(e)) {
        credentialFetches.addAndGet(e.credentialFetches());
        e.close();
      }
    }

    synchronized void closeAll() {
      for (ExecutionEnvironment e : all) e.shutdown();
      all.clear();
      idle.clear();
    }
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: it ends the JVMs
    }
    timers.shutdownNow();
    workers.shutdownNow();
    pools.values().forEach(Pool::closeAll);
    if (proxy != null) proxy.close();
    options.deleteWorkDir();
  }
}
