package io.gitops.sandbox.host;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Lambda Runtime API of one execution environment, on 127.0.0.1, as the runtime interface client
 * speaks it (AWS Lambda developer guide, "Using the Lambda runtime API for custom runtimes"):
 * {@code GET /2018-06-01/runtime/invocation/next}, {@code POST .../invocation/{id}/response},
 * {@code POST .../invocation/{id}/error}, {@code POST /2018-06-01/runtime/init/error}, and the SnapStart
 * pair {@code GET /2018-06-01/runtime/restore/next} and {@code POST /2018-06-01/runtime/restore/error}.
 *
 * <p>The same server plays the execution environment's container credentials endpoint for SnapStart
 * functions: {@code GET /credentials} answers only when the {@code Authorization} header carries the
 * token the environment was given, as the SDK's container provider sends it.
 */
final class RuntimeApi implements AutoCloseable {
  static final String BASE = "/2018-06-01/runtime";

  /** One invocation handed to the runtime. */
  record Invocation(String requestId, byte[] payload, long deadlineEpochMs, String functionArn, String traceId) {}

  /** What the runtime answered: a response body, or an error with its type. */
  record Answer(boolean error, byte[] body, String errorType) {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "runtime-api");
    t.setDaemon(true);
    return t;
  });
  private final BlockingQueue<Invocation> next = new LinkedBlockingQueue<>();
  private final Map<String, CompletableFuture<Answer>> answers = new ConcurrentHashMap<>();
  /** Completes when init is over: the first /invocation/next, or /restore/next under SnapStart. */
  final CompletableFuture<String> initDone = new CompletableFuture<>();
  /** Completes with the body of /init/error or /restore/error. */
  final CompletableFuture<String> initError = new CompletableFuture<>();
  final CompletableFuture<Void> restored = new CompletableFuture<>();
  private final String credentialsToken;
  private final Credentials credentials;
  final AtomicInteger credentialFetches = new AtomicInteger();
  final AtomicInteger rejectedCredentialFetches = new AtomicInteger();

  /** Temporary keys this environment hands out. */
  record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {}

  RuntimeApi(String credentialsToken, Credentials credentials) throws IOException {
    this.credentialsToken = credentialsToken;
    this.credentials = credentials;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /** {@code host:port}, the value of {@code AWS_LAMBDA_RUNTIME_API}. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  String credentialsUri() {
    return "http://" + address() + "/credentials";
  }

  /** Hands an invocation to the runtime; the answer completes the returned future. */
  CompletableFuture<Answer> submit(Invocation invocation) {
    CompletableFuture<Answer> f = new CompletableFuture<>();
    answers.put(invocation.requestId(), f);
    next.add(invocation);
    return f;
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = x.getRequestURI().getPath();
      String method = x.getRequestMethod();
      byte[] body = x.getRequestBody().readAllBytes();
      if (path.equals("/credentials") && method.equals("GET")) {
        credentials(x);
      } else if (path.equals(BASE + "/invocation/next") && method.equals("GET")) {
        initDone.complete("next");
        restored.complete(null);
        Invocation inv;
        try {
          inv = next.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          send(x, 500, "{}");
          return;
        }
        x.getResponseHeaders().add("Lambda-Runtime-Aws-Request-Id", inv.requestId());
        x.getResponseHeaders().add("Lambda-Runtime-Deadline-Ms", Long.toString(inv.deadlineEpochMs()));
        x.getResponseHeaders().add("Lambda-Runtime-Invoked-Function-Arn", inv.functionArn());
        x.getResponseHeaders().add("Lambda-Runtime-Trace-Id", inv.traceId());
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(200, inv.payload().length);
        try (OutputStream out = x.getResponseBody()) {
          out.write(inv.payload());
        }
      } else if (path.startsWith(BASE + "/invocation/") && method.equals("POST")) {
        String rest = path.substring((BASE + "/invocation/").length());
        int slash = rest.indexOf('/');
        String id = slash < 0 ? rest : rest.substring(0, slash);
        String kind = slash < 0 ? "" : rest.substring(slash + 1);
        CompletableFuture<Answer> f = answers.remove(id);
        if (f == null || !(kind.equals("response") || kind.equals("error"))) {
          send(x, 400, "{\"errorMessage\":\"unknown request id or path\",\"errorType\":\"InvalidRequestID\"}");
          return;
        }
        f.complete(new Answer(kind.equals("error"), body,
            x.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type")));
        send(x, 202, "{\"status\":\"OK\"}");
      } else if (path.equals(BASE + "/init/error") && method.equals("POST")) {
        initError.complete(new String(body, StandardCharsets.UTF_8));
        send(x, 202, "{\"status\":\"OK\"}");
      } else if (path.equals(BASE + "/restore/next") && method.equals("GET")) {
        // beforeCheckpoint has run: this is where Lambda would take the snapshot. The answer is the restore.
        initDone.complete("snapshot");
        send(x, 200, "");
      } else if (path.equals(BASE + "/restore/error") && method.equals("POST")) {
        initError.complete(new String(body, StandardCharsets.UTF_8));
        send(x, 202, "{\"status\":\"OK\"}");
      } else {
        send(x, 404, "{\"errorMessage\":\"not found: " + method + " " + path + "\"}");
      }
    }
  }

  private void credentials(HttpExchange x) throws IOException {
    String auth = x.getRequestHeaders().getFirst("Authorization");
    if (credentialsToken == null || credentials == null || !credentialsToken.equals(auth)) {
      rejectedCredentialFetches.incrementAndGet();
      send(x, 403, "{\"Code\":\"AccessDenied\",\"Message\":\"the Authorization header does not carry this "
          + "environment's AWS_CONTAINER_AUTHORIZATION_TOKEN\"}");
      return;
    }
    credentialFetches.incrementAndGet();
    String expiration = java.time.Instant.now().plus(java.time.Duration.ofHours(6))
        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    send(x, 200, "{\"AccessKeyId\":\"" + credentials.accessKeyId() + "\",\"SecretAccessKey\":\""
        + credentials.secretAccessKey() + "\",\"Token\":\"" + credentials.sessionToken() + "\",\"Expiration\":\""
        + expiration + "\"}");
  }

  private static void send(HttpExchange x, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = x.getResponseBody()) {
        out.write(b);
      }
    }
  }

  /** Fails every waiting invocation (the environment is gone). */
  void failPending(String reason) {
    answers.values().forEach(f -> f.completeExceptionally(new IllegalStateException(reason)));
    answers.clear();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
    try {
      threads.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
