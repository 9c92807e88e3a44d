package io.gitops.lambdas.core;

import static io.gitops.lambdas.core.EnvVars.positive;

import io.gitops.contract.EnvVar;
import io.gitops.contract.ServiceMapEntry;
import io.gitops.contract.Telemetry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * Configuration from the environment variables the stack sets (documented in docs/lambda-config.md).
 * Parsed once at init; anything missing or malformed fails here with a message naming the variable,
 * never later in the request path.
 */
public record LambdaConfig(
    String region,
    Optional<URI> endpoint,
    String ledgerTable,
    String alarmTopicArn,
    Map<String, ServiceTarget> services,
    Pattern tagPolicy,
    String environmentName,
    String metricsNamespace,
    Duration lockLease,
    SdkSettings sdk,
    Duration functionTimeout) {

  public static final String DEFAULT_TAG_POLICY = "^v?\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$";

  /**
   * SDK retry and timeout settings. {@code apiCallTimeout} bounds one call with all its attempts and backoff:
   * it is the unit of the time budget ({@link TimeBudget}, docs/lambda-config.md).
   */
  public record SdkSettings(int maxAttempts, Duration baseDelay, Duration maxBackoff,
      Duration apiCallTimeout, Duration attemptTimeout) {
    /**
     * 3 attempts of at most 1 s each, within 2 s per call: in-region DynamoDB, ECS, SSM and SNS calls take
     * tens of milliseconds, and the worst-case event (every call at its limit) must end inside the 60 s
     * function timeout with margin (docs/lambda-config.md, "Time budget"). Lambda's own retries (1 and 2
     * minutes later) are the outer loop.
     */
    public static SdkSettings defaults() {
      return new SdkSettings(3, Duration.ofMillis(100), Duration.ofSeconds(1),
          Duration.ofSeconds(2), Duration.ofSeconds(1));
    }
  }

  /** The function timeout the stack sets when FUNCTION_TIMEOUT_SECONDS is absent. */
  public static final int DEFAULT_FUNCTION_TIMEOUT_SECONDS = 60;

  public static LambdaConfig fromEnvironment() {
    return from(System.getenv());
  }

  /** Parses the variables; throws {@link InvalidInputException} naming every bad one. */
  public static LambdaConfig from(Map<String, String> env) {
    List<String> errors = new ArrayList<>();
    String region = required(env, EnvVar.AWS_REGION, errors);
    Optional<URI> endpoint = Optional.empty();
    String ep = env.get(EnvVar.AWS_ENDPOINT_URL);
    if (ep != null && !ep.isBlank()) {
      try {
        URI u = URI.create(ep.trim());
        if (u.getScheme() == null || u.getHost() == null) throw new IllegalArgumentException();
        endpoint = Optional.of(u);
      } catch (IllegalArgumentException e) {
        errors.add(EnvVar.AWS_ENDPOINT_URL + ": not a URL: " + ep);
      }
    }
    String table = required(env, EnvVar.LEDGER_TABLE, errors);
    String topic = required(env, EnvVar.ALARM_TOPIC_ARN, errors);
    Map<String, ServiceTarget> services = Map.of();
    String map = env.get(EnvVar.SERVICE_MAP);
    if (map == null || map.isBlank()) {
      errors.add(EnvVar.SERVICE_MAP + ": missing");
    } else {
      try {
        services = parseServiceMap(map);
      } catch (InvalidInputException e) {
        errors.add(EnvVar.SERVICE_MAP + ": " + e.getMessage());
      }
    }
    Pattern tagPolicy = null;
    String policy = env.getOrDefault(EnvVar.TAG_POLICY, "");
    try {
      tagPolicy = Pattern.compile(policy.isBlank() ? DEFAULT_TAG_POLICY : policy);
    } catch (PatternSyntaxException e) {
      errors.add(EnvVar.TAG_POLICY + ": not a regular expression: " + e.getDescription());
    }
    String envName = env.getOrDefault(EnvVar.ENVIRONMENT_NAME, "dev");
    String namespace = env.getOrDefault(EnvVar.METRICS_NAMESPACE, Telemetry.METRICS_NAMESPACE);
    Duration lease = Duration.ofSeconds(positive(env, EnvVar.LOCK_LEASE_SECONDS, 120, errors));
    SdkSettings d = SdkSettings.defaults();
    SdkSettings sdk =
        new SdkSettings(
            (int) positive(env, EnvVar.SDK_MAX_ATTEMPTS, d.maxAttempts(), errors),
            Duration.ofMillis(positive(env, EnvVar.SDK_BASE_DELAY_MS, d.baseDelay().toMillis(), errors)),
            Duration.ofMillis(positive(env, EnvVar.SDK_MAX_BACKOFF_MS, d.maxBackoff().toMillis(), errors)),
            Duration.ofMillis(positive(env, EnvVar.SDK_API_CALL_TIMEOUT_MS, d.apiCallTimeout().toMillis(), errors)),
            Duration.ofMillis(positive(env, EnvVar.SDK_ATTEMPT_TIMEOUT_MS, d.attemptTimeout().toMillis(), errors)));
    Duration timeout = Duration.ofSeconds(positive(env, EnvVar.FUNCTION_TIMEOUT_SECONDS, DEFAULT_FUNCTION_TIMEOUT_SECONDS,
        errors));
    if (errors.isEmpty() && lease.compareTo(timeout) < 0) {
      errors.add(EnvVar.LOCK_LEASE_SECONDS + ": " + lease.toSeconds() + " is below " + EnvVar.FUNCTION_TIMEOUT_SECONDS
          + " (" + timeout.toSeconds() + "); a crashed invocation's lock must not lapse while it may still run");
    }
    if (!errors.isEmpty()) {
      throw new InvalidInputException("bad configuration: " + String.join("; ", errors));
    }
    return new LambdaConfig(region, endpoint, table, topic, services, tagPolicy, envName, namespace, lease, sdk,
        timeout);
  }

  /** The target of a repository, if mapped. */
  public Optional<ServiceTarget> targetForRepository(String repository) {
    return Optional.ofNullable(services.get(repository));
  }

  /** The target of an ECS service name (the guard's lookup), if mapped. */
  public Optional<ServiceTarget> targetForService(String service) {
    return services.values().stream().filter(t -> t.service().equals(service)).findFirst();
  }

  static Map<String, ServiceTarget> parseServiceMap(String json) {
    Map<String, JsonNode> root = Json.object(Json.parse(json), "$");
    if (root.isEmpty()) throw new InvalidInputException("no repositories mapped");
    Map<String, ServiceTarget> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.entrySet()) {
      String path = "$." + e.getKey();
      Map<String, JsonNode> o = Json.object(e.getValue(), path);
      out.put(
          e.getKey(),
          new ServiceTarget(
              e.getKey(),
              Json.string(o, ServiceMapEntry.CLUSTER, path),
              Json.string(o, ServiceMapEntry.SERVICE, path),
              Json.string(o, ServiceMapEntry.CONTAINER, path),
              Json.string(o, ServiceMapEntry.RELEASE_PARAMETER, path),
              Json.string(o, ServiceMapEntry.REPOSITORY_URI, path)));
    }
    return Collections.unmodifiableMap(out);
  }

  private static String required(Map<String, String> env, String name, List<String> errors) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      errors.add(name + ": missing");
      return null;
    }
    return v.trim();
  }
}
