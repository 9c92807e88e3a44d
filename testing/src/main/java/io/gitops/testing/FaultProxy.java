package io.gitops.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy between the SDK and moto that answers a configurable share of requests with a fault
 * instead of forwarding them: a throttling error, a 500, or a dropped connection (closed without a
 * response). Faulted requests never reach moto, so a fault never leaves a half-applied call behind; see
 * the test report for what that leaves out. Point the function's clients at {@link #endpoint()}.
 */
public final class FaultProxy implements AutoCloseable {
  public enum Fault {
    THROTTLE,
    SERVER_ERROR,
    DROP
  }

  static {
    // The JDK server otherwise leaves Nagle on: ~40 ms of delayed-ACK stall per proxied request.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final Set<String> HOP_HEADERS =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "keep-alive");

  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpClient upstream;
  private final URI target;
  private final Random random;
  private final List<Fault> faults;
  private volatile double rate;
  private volatile boolean serialize;
  private final Object upstreamLock = new Object();
  private final AtomicInteger requests = new AtomicInteger();
  private final Map<Fault, AtomicInteger> injected = new ConcurrentHashMap<>();

  /**
   * @param rate share of requests to fault, 0..1
   * @param seed for reproducible runs
   */
  public FaultProxy(URI target, double rate, long seed, List<Fault> faults) {
    this.target = target;
    this.rate = rate;
    this.random = new Random(seed);
    this.faults = List.copyOf(faults);
    this.upstream = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
    try {
      server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 64);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    executor = Executors.newFixedThreadPool(16);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public void rate(double rate) {
    this.rate = rate;
  }

  /**
   * Forwards one request at a time. moto's threaded server gives no isolation between concurrent requests
   * (its DynamoDB transactions roll back by restoring a whole-table copy, erasing concurrent writes), while
   * DynamoDB guarantees atomic conditional writes and serializable transactions. Serializing at the proxy
   * restores the guarantee the code relies on; the function's threads still race for real.
   */
  public FaultProxy serialize(boolean on) {
    this.serialize = on;
    return this;
  }

  /** A proxy that injects no faults and serializes requests: for concurrency tests. */
  public static FaultProxy serializing(URI target) {
    return new FaultProxy(target, 0, 0, List.of(Fault.SERVER_ERROR)).serialize(true);
  }

  public int requests() {
    return requests.get();
  }

  /** Faults injected so far, by kind. */
  public Map<Fault, Integer> injected() {
    Map<Fault, Integer> out = new TreeMap<>();
    for (Fault f : Fault.values()) out.put(f, injected.getOrDefault(f, new AtomicInteger()).get());
    return out;
  }

  public int injectedTotal() {
    return injected.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  private Fault pick() {
    synchronized (random) {
      if (random.nextDouble() >= rate) return null;
      return faults.get(random.nextInt(faults.size()));
    }
  }

  /**
   * A fault a test planned for one call: the request carries {@code x-model-fault: KIND:ID:N} (set by an SDK
   * interceptor of the test) and the first N requests with that ID get the fault. Kinds: THROTTLE,
   * SERVER_ERROR, TXN_CONFLICT (DynamoDB: a TransactionCanceledException whose first reason is
   * TransactionConflict, or TransactionConflictException outside a transaction), TOO_MANY_UPDATES (SSM), ACCESS_DENIED (a
   * permanent refusal), and TIMEOUT (the request is applied, then the connection drops: the client never sees the answer). A
   * TransactWriteItems repeated with the ClientRequestToken of an applied one answers success without being
   * applied again, as DynamoDB's idempotent transactions do (moto ignores the token).
   */
  public static final String PLAN_HEADER = "x-model-fault";

  private final Map<String, AtomicInteger> planned = new ConcurrentHashMap<>();
  private final Set<String> appliedTransactions = ConcurrentHashMap.newKeySet();
  private final Map<String, AtomicInteger> plannedInjected = new ConcurrentHashMap<>();

  /** Planned faults injected so far, by kind. */
  public Map<String, Integer> plannedInjected() {
    Map<String, Integer> out = new TreeMap<>();
    plannedInjected.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  private static final java.util.regex.Pattern CLIENT_TOKEN =
      java.util.regex.Pattern.compile("\"ClientRequestToken\"\\s*:\\s*\"([^\"]+)\"");

  private boolean plannedFault(HttpExchange ex, byte[] body) throws IOException {
    String plan = ex.getRequestHeaders().getFirst(PLAN_HEADER);
    String target = String.valueOf(ex.getRequestHeaders().getFirst("X-Amz-Target"));
    String text = new String(body, StandardCharsets.UTF_8);
    if (target.endsWith(".TransactWriteItems")) {
      var m = CLIENT_TOKEN.matcher(text);
      if (m.find() && appliedTransactions.contains(m.group(1))) {
        respond(ex, 200, true, "{}", null);
        return true;
      }
    }
    if (plan == null) return false;
    String[] p = plan.split(":");
    if (planned.computeIfAbsent(p[1], k -> new AtomicInteger()).incrementAndGet() > Integer.parseInt(p[2])) {
      return false;
    }
    plannedInjected.computeIfAbsent(p[0], k -> new AtomicInteger()).incrementAndGet();
    switch (p[0]) {
      case "THROTTLE" -> respond(ex, 400, true,
          "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded (planned)\"}", "ThrottlingException");
      case "SERVER_ERROR" -> respond(ex, 500, true,
          "{\"__type\":\"InternalFailure\",\"message\":\"injected 500 (planned)\"}", "InternalFailure");
      case "ACCESS_DENIED" -> respond(ex, 400, true,
          "{\"__type\":\"AccessDeniedException\",\"message\":\"not authorized (planned)\"}", "AccessDeniedException");
      case "TOO_MANY_UPDATES" -> respond(ex, 400, true,
          "{\"__type\":\"TooManyUpdates\",\"message\":\"There are concurrent updates (planned)\"}", "TooManyUpdates");
      case "TXN_CONFLICT" -> {
        if (target.endsWith(".TransactWriteItems")) {
          int items = Math.max(1, text.split("\"(Put|Update|Delete|ConditionCheck)\"\\s*:").length - 1);
          StringBuilder reasons = new StringBuilder("[{\"Code\":\"TransactionConflict\",\"Message\":"
              + "\"Transaction is ongoing for the item\"}");
          for (int i = 1; i < items; i++) reasons.append(",{\"Code\":\"None\"}");
          reasons.append("]");
          respond(ex, 400, true, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\","
              + "\"Message\":\"Transaction cancelled, please refer cancellation reasons for specific reasons"
              + " [TransactionConflict]\",\"CancellationReasons\":" + reasons + "}", "TransactionCanceledException");
        } else {
          respond(ex, 400, true, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionConflictException\","
              + "\"message\":\"Transaction is ongoing for the item (planned)\"}", "TransactionConflictException");
        }
      }
      case "TIMEOUT" -> {
        int status = forward(ex, body, true);
        if (status / 100 == 2 && target.endsWith(".TransactWriteItems")) {
          // Only a transaction that succeeded is answered from the token: a cancelled one runs again.
          var m = CLIENT_TOKEN.matcher(text);
          if (m.find()) appliedTransactions.add(m.group(1));
        }
        throw new IOException("fault proxy: applied, then the connection dropped (planned)");
      }
      default -> throw new IllegalStateException("unknown planned fault " + p[0]);
    }
    return true;
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    byte[] body = ex.getRequestBody().readAllBytes();
    if (plannedFault(ex, body)) return;
    Fault fault = pick();
    if (fault != null) {
      injected.computeIfAbsent(fault, k -> new AtomicInteger()).incrementAndGet();
      String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
      boolean json = type.contains("json");
      switch (fault) {
        case DROP -> {
          // Closing the exchange's raw connection without a response: the client sees a reset / EOF.
          throw new IOException("fault proxy: dropped connection");
        }
        case THROTTLE -> respond(ex, 400, json,
            json ? "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded (fault proxy)\"}"
                : xmlError("Throttling", "Rate exceeded (fault proxy)"), "ThrottlingException");
        case SERVER_ERROR -> respond(ex, 500, json,
            json ? "{\"__type\":\"InternalFailure\",\"message\":\"injected 500 (fault proxy)\"}"
                : xmlError("InternalFailure", "injected 500 (fault proxy)"), "InternalFailure");
        default -> throw new IllegalStateException();
      }
      return;
    }
    String op = String.valueOf(ex.getRequestHeaders().getFirst("X-Amz-Target"));
    var served = responders.get(op.substring(op.lastIndexOf('.') + 1));
    if (served != null) {
      respond(ex, 200, true, served.apply(body), null);
      return;
    }
    forward(ex, body, false);
  }

  private final Map<String, java.util.function.Function<byte[], String>> responders = new ConcurrentHashMap<>();

  /**
   * Answers a JSON-protocol operation the emulator lacks ({@code X-Amz-Target}'s operation name, e.g.
   * DescribeServiceRevisions) with what {@code answer} makes of the request body, instead of forwarding it.
   * Faults, planned or random, still apply to it first.
   */
  public FaultProxy serve(String operation, java.util.function.Function<byte[], String> answer) {
    responders.put(operation, answer);
    return this;
  }

  /** Forwards to moto; returns moto's status code (the response is relayed unless {@code discardResponse}). */
  private int forward(HttpExchange ex, byte[] body, boolean discardResponse) throws IOException {
    HttpRequest.Builder req = HttpRequest.newBuilder(target.resolve(ex.getRequestURI().toString()))
        .timeout(Duration.ofSeconds(10))
        .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
    ex.getRequestHeaders().forEach((k, vs) -> {
      if (!HOP_HEADERS.contains(k.toLowerCase()) && !PLAN_HEADER.equalsIgnoreCase(k)) vs.forEach(v -> req.header(k, v));
    });
    HttpResponse<byte[]> resp;
    try {
      if (serialize) {
        synchronized (upstreamLock) {
          resp = upstream.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        }
      } else {
        resp = upstream.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    if (discardResponse) return resp.statusCode();
    resp.headers().map().forEach((k, vs) -> {
      if (!HOP_HEADERS.contains(k.toLowerCase()) && !k.startsWith(":")) ex.getResponseHeaders().put(k, vs);
    });
    byte[] out = resp.body();
    ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
    return resp.statusCode();
  }

  private static String xmlError(String code, String message) {
    return "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" + message
        + "</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>";
  }

  private static void respond(HttpExchange ex, int status, boolean json, String body, String errorType)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", json ? "application/x-amz-json-1.1" : "text/xml");
    if (errorType != null) ex.getResponseHeaders().add("x-amzn-ErrorType", errorType);
    ex.getResponseHeaders().add("x-amzn-RequestId", "fault-proxy");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
