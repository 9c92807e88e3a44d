package io.gitops.sandbox.sim.elb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The load balancer's health endpoint, which the emulator lacks: an HTTP server on 127.0.0.1 that answers
 * 200 while the services behind it run healthy images, and 503 when one runs an image marked broken. The
 * guard's {@code HEALTH_PROBE_URLS} (the ALB's DNS name in the stack) are pointed here, path kept, so that
 * its probe never leaves the machine.
 *
 * <p>It plays the two listener rules as the compute stack writes them: a request carrying the test route's header
 * with the secret's value ({@link #testRoute}) is the test rule's, answered by the new revision's health; any other
 * request, a wrong or missing value included, falls to the production rule and is answered by the revision serving
 * production.
 */
public final class HealthEndpoint implements AutoCloseable {
  private final HttpServer server;
  private volatile String testHeader;
  private volatile String testValue;
  private final java.util.concurrent.atomic.AtomicInteger testRouteRequests = new java.util.concurrent.atomic.AtomicInteger();

  /** One health for every request: no test route. */
  public HealthEndpoint(BooleanSupplier healthy) {
    this(healthy, healthy);
  }

  /**
   * @param production the health of what serves production (the production rule)
   * @param test       the health of the new revision (the test rule, once {@link #testRoute} is set)
   */
  public HealthEndpoint(BooleanSupplier production, BooleanSupplier test) {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    } catch (IOException e) {
      throw new SandboxException("cannot open the local health endpoint: " + e.getMessage());
    }
    server.createContext("/", exchange -> {
      int code;
      try {
        boolean viaTestRule = testHeader != null && testValue.equals(exchange.getRequestHeaders().getFirst(testHeader));
        if (viaTestRule) testRouteRequests.incrementAndGet();
        code = (viaTestRule ? test : production).getAsBoolean() ? 200 : 503;
      } catch (RuntimeException e) {
        code = 503;
      }
      byte[] body = (code == 200 ? "ok\n" : "unhealthy\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(code, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    Thread t = new Thread(server::start, "sandbox-health-endpoint");
    t.setDaemon(true);
    t.start();
  }

  /** The test rule's condition: the header and the value it must carry (the generated secret's). */
  public void testRoute(String header, String value) {
    if (header == null || header.isBlank() || value == null || value.isEmpty()) {
      throw new SandboxException("the test route needs a header name and a value");
    }
    this.testValue = value;
    this.testHeader = header;
  }

  /** Requests the test rule took (the right header and value) since the start. */
  public int testRouteRequests() {
    return testRouteRequests.get();
  }

  public URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** HEALTH_PROBE_URLS with every URL's scheme and authority replaced by this endpoint's. */
  public String rewrite(String probeUrlsJson) {
    try {
      JsonNode map = CloudAssembly.JSON.readTree(probeUrlsJson);
      if (!map.isObject()) return probeUrlsJson;
      ObjectNode out = CloudAssembly.JSON.createObjectNode();
      Iterator<Map.Entry<String, JsonNode>> it = map.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String path = "/";
        try {
          URI u = URI.create(e.getValue().asText());
          path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
              + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        } catch (IllegalArgumentException ignored) {
          // keep "/"
        }
        out.put(e.getKey(), base() + path);
      }
      return out.toString();
    } catch (IOException e) {
      return probeUrlsJson;
    }
  }

  /** A JSON object of objects with each object's {@code field} URL pointed here, path and query kept. */
  public String rewriteField(String json, String field) {
    try {
      JsonNode map = CloudAssembly.JSON.readTree(json);
      if (!map.isObject()) return json;
      map.fields().forEachRemaining(e -> {
        if (e.getValue() instanceof ObjectNode o && o.hasNonNull(field)) {
          URI u = URI.create(o.get(field).asText());
          o.put(field, base() + (u.getRawPath() == null ? "/" : u.getRawPath())
              + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()));
        }
      });
      return map.toString();
    } catch (IOException | IllegalArgumentException e) {
      return json;
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
