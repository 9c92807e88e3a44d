package io.gitops.sandbox.host;

import com.sun.net.httpserver.HttpExchange;
import io.gitops.lambdas.core.CallTally;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the functions' SDK clients talk to: a proxy on 127.0.0.1 in front of the emulator. It plays two parts
 * of AWS that moto does not:
 * <ul>
 *   <li>authentication: a request must be signed with keys the host issued to an execution environment
 *       (moto accepts anything, so static test keys would pass where IAM would refuse them);
 *   <li>observation: it counts API calls per {@code service.Operation} and tells listeners about each
 *       answered call (the task simulator watches UpdateService, as ECS's scheduler would act on it).
 * </ul>
 */
public final class AwsProxy implements AutoCloseable {
  /** One answered call. */
  public record Call(String service, String operation, int status, byte[] requestBody, byte[] responseBody) {}

  private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/");
  private static final Set<String> HOP_HEADERS = Set.of("host", "content-length", "connection", "expect", "upgrade",
      "transfer-encoding", "keep-alive");

  private final URI target;
  private final CredentialRegistry registry;
  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final ExecutorService threads = Executors.newFixedThreadPool(8, r -> {
    Thread t = new Thread(r, "aws-proxy");
    t.setDaemon(true);
    return t;
  });
  private final CallTally calls = new CallTally();
  private final AtomicInteger refused = new AtomicInteger();
  private final List<java.util.function.Consumer<Call>> listeners = new CopyOnWriteArrayList<>();
  private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();

  AwsProxy(URI target, CredentialRegistry registry) {
    this.target = target;
    this.registry = registry;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 32);
    } catch (IOException e) {
      throw new HostException("cannot start the AWS proxy on 127.0.0.1: " + e.getMessage());
    }
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public void addListener(java.util.function.Consumer<Call> listener) {
    listeners.add(listener);
  }

  /**
   * A part of AWS the emulator lacks, played on the wire: it sees each authenticated request before it is
   * forwarded and may change the answer (e.g. the deployment id ECS returns from UpdateService).
   */
  public interface Exchange {
    default void beforeForward(String service, String operation, byte[] requestBody) {}

    default byte[] answer(String service, String operation, int status, byte[] requestBody, byte[] responseBody) {
      return responseBody;
    }

    /**
     * An answer to a call the emulator cannot serve (e.g. DescribeServiceRevisions, or GetMetricData for a
     * percentile), given instead of forwarding it; null to forward.
     */
    default Served serve(String service, String operation, byte[] requestBody) {
      return null;
    }
  }

  /** A 200 answer played by an {@link Exchange}. */
  public record Served(String contentType, byte[] body) {}

  public void addExchange(Exchange exchange) {
    exchanges.add(exchange);
  }

  /** Calls per {@code service.Operation} since the last reset. */
  public Map<String, Integer> snapshot() {
    return calls.snapshot();
  }

  public int total() {
    return calls.total();
  }

  /** Requests refused for credentials the host never issued. */
  public int refused() {
    return refused.get();
  }

  public void reset() {
    calls.clear();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      byte[] body = x.getRequestBody().readAllBytes();
      String auth = x.getRequestHeaders().getFirst("Authorization");
      Matcher m = auth == null ? null : CREDENTIAL.matcher(auth);
      String accessKey = m != null && m.find() ? m.group(1) : null;
      String service = m != null && accessKey != null ? m.group(2) : "unknown";
      String operation = operation(x, body);
      String why = registry.check(accessKey, x.getRequestHeaders().getFirst("X-Amz-Security-Token"));
      if (why != null) {
        refused.incrementAndGet();
        String contentType = String.valueOf(x.getRequestHeaders().getFirst("Content-Type"));
        byte[] err = contentType.contains("x-amz-json")
            ? ("{\"__type\":\"UnrecognizedClientException\",\"message\":\"" + why + "\"}").getBytes(StandardCharsets.UTF_8)
            : ("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>" + why
                + "</Message></Error><RequestId>host</RequestId></ErrorResponse>").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", contentType.contains("x-amz-json") ? contentType : "text/xml");
        x.sendResponseHeaders(403, err.length);
        try (OutputStream out = x.getResponseBody()) {
          out.write(err);
        }
        return;
      }
      calls.add(service + "." + operation);
      for (Exchange e : exchanges) {
        Served served = e.serve(service, operation, body);
        if (served == null) continue;
        x.getResponseHeaders().add("Content-Type", served.contentType());
        x.getResponseHeaders().add("x-amzn-RequestId", "sandbox-" + operation);
        x.sendResponseHeaders(200, served.body().length == 0 ? -1 : served.body().length);
        if (served.body().length > 0) {
          try (OutputStream os = x.getResponseBody()) {
            os.write(served.body());
          }
        }
        Call call = new Call(service, operation, 200, body, served.body());
        for (var l : listeners) {
          try {
            l.accept(call);
          } catch (RuntimeException ex) {
            System.err.println("gitops host: a proxy listener failed: " + ex);
          }
        }
        return;
      }
      for (Exchange e : exchanges) {
        e.beforeForward(service, operation, body);
      }
      HttpRequest.Builder rb = HttpRequest.newBuilder(target.resolve(x.getRequestURI().toString()))
          .timeout(Duration.ofSeconds(30))
          .method(x.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      x.getRequestHeaders().forEach((k, vs) -> {
        if (!HOP_HEADERS.contains(k.toLowerCase(java.util.Locale.ROOT))) vs.forEach(v -> rb.header(k, v));
      });
      HttpResponse<byte[]> res;
      try {
        res = client.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        x.sendResponseHeaders(502, -1);
        return;
      }
      byte[] out = res.body();
      for (Exchange e : exchanges) {
        out = e.answer(service, operation, res.statusCode(), body, out);
      }
      // A changed answer no longer matches the emulator's checksum header.
      boolean rewritten = out != res.body();
      res.headers().map().forEach((k, vs) -> {
        String lower = k.toLowerCase(java.util.Locale.ROOT);
        if (!HOP_HEADERS.contains(lower) && !k.equals(":status") && !(rewritten && lower.equals("x-amz-crc32"))) {
          vs.forEach(v -> x.getResponseHeaders().add(k, v));
        }
      });
      x.sendResponseHeaders(res.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = x.getResponseBody()) {
          os.write(out);
        }
      }
      Call call = new Call(service, operation, res.statusCode(), body, out);
      for (var l : listeners) {
        try {
          l.accept(call);
        } catch (RuntimeException e) {
          System.err.println("gitops host: a proxy listener failed: " + e);
        }
      }
    }
  }

  /** {@code X-Amz-Target: AmazonEC2ContainerServiceV20141113.UpdateService} or a query {@code Action=Publish}. */
  static String operation(HttpExchange x, byte[] body) {
    String target = x.getRequestHeaders().getFirst("X-Amz-Target");
    if (target != null) return target.substring(target.lastIndexOf('.') + 1);
    String form = new String(body, StandardCharsets.UTF_8);
    for (String kv : form.split("&")) {
      if (kv.startsWith("Action=")) return URLDecoder.decode(kv.substring(7), StandardCharsets.UTF_8);
    }
    return x.getRequestMethod() + " " + x.getRequestURI().getPath();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
