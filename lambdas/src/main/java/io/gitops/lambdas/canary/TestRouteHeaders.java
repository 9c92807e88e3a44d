package io.gitops.lambdas.canary;

import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The header the canary's test route requires, per test probe URL: CANARY_ANALYSIS names the header and the secret
 * holding its value ({@code "testHeader": {"name", "secretArn"}}, next to {@code testProbeUrl}); the value is read
 * from Secrets Manager when the probe runs, never from the environment. A plan without a test header sends none.
 */
public final class TestRouteHeaders {
  /** One route's header: its name and the secret with its value. */
  public record Header(String name, String secretArn) {}

  /** No header for any URL: what tests and plans without a test route use. */
  public static final Function<URI, Map<String, String>> NONE = url -> Map.of();

  private final Map<URI, Header> byUrl;
  private final Function<String, String> secrets;

  private TestRouteHeaders(Map<URI, Header> byUrl, Function<String, String> secrets) {
    this.byUrl = Map.copyOf(byUrl);
    this.secrets = secrets;
  }

  /** From CANARY_ANALYSIS; {@code secrets} reads a secret's value by ARN (and may throw a RetryableException). */
  public static TestRouteHeaders from(Map<String, String> env, Function<String, String> secrets) {
    Map<URI, Header> out = new LinkedHashMap<>();
    String v = env.get(EnvVar.CANARY_ANALYSIS);
    if (v != null && !v.isBlank()) {
      for (Map.Entry<String, JsonNode> e : Json.object(Json.parse(v), "$").entrySet()) {
        String path = EnvVar.CANARY_ANALYSIS + ": $." + e.getKey();
        Map<String, JsonNode> o = Json.object(e.getValue(), path);
        Optional<String> url = Json.optionalString(o, "testProbeUrl", path);
        JsonNode h = o.get("testHeader");
        if (url.isEmpty() || h == null || h.isNull()) continue;
        Map<String, JsonNode> header = Json.object(h, path + ".testHeader");
        String name = Json.string(header, "name", path + ".testHeader");
        if (name.isBlank()) throw new InvalidInputException(path + ".testHeader.name: empty");
        out.put(URI.create(url.get()), new Header(name, Json.string(header, "secretArn", path + ".testHeader")));
      }
    }
    return new TestRouteHeaders(out, secrets);
  }

  /** The headers a probe of {@code url} sends: the route's header with the secret's value, or none. */
  public Map<String, String> headersFor(URI url) {
    Header h = byUrl.get(url);
    return h == null ? Map.of() : Map.of(h.name(), secrets.apply(h.secretArn()));
  }

  public Map<URI, Header> routes() {
    return byUrl;
  }
}
