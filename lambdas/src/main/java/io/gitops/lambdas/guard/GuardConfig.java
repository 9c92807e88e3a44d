package io.gitops.lambdas.guard;

import static io.gitops.lambdas.core.EnvVars.positive;

import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The guard's own settings, on top of {@link io.gitops.lambdas.core.LambdaConfig} (documented in
 * docs/lambda-config.md). Parsed once at init; a bad value fails there with a message naming the variable.
 *
 * @param failureThreshold FAILURE_THRESHOLD: failed tasks of the rolling-out revision that trigger a rollback
 * @param gracePeriod GRACE_PERIOD_SECONDS: how long after the rollout all-tasks-running counts as steady state
 *     without a SERVICE_DEPLOYMENT_COMPLETED event
 * @param targetGroups TARGET_GROUP_ARNS: service name → target group ARN (services behind the load balancer)
 * @param probeUrls HEALTH_PROBE_URLS: service name → http(s) URL that must answer 2xx
 * @param probeTimeout HEALTH_PROBE_TIMEOUT_MS
 * @param canaryServices the keys of CANARY_ANALYSIS: services ECS deploys as canaries, judged by the hook
 */
public record GuardConfig(int failureThreshold, Duration gracePeriod, Map<String, String> targetGroups,
    Map<String, URI> probeUrls, Duration probeTimeout, java.util.Set<String> canaryServices) {

  public GuardConfig {
    canaryServices = java.util.Set.copyOf(canaryServices);
  }

  public GuardConfig(int failureThreshold, Duration gracePeriod, Map<String, String> targetGroups,
      Map<String, URI> probeUrls, Duration probeTimeout) {
    this(failureThreshold, gracePeriod, targetGroups, probeUrls, probeTimeout, java.util.Set.of());
  }

  /** True for a service ECS deploys with a traffic-shifting strategy: the canary hook judges and aborts it. */
  public boolean isCanary(String service) {
    return canaryServices.contains(service);
  }

  public static final int DEFAULT_FAILURE_THRESHOLD = 2;

  public static GuardConfig defaults() {
    return new GuardConfig(DEFAULT_FAILURE_THRESHOLD, Duration.ofSeconds(60), Map.of(), Map.of(), Duration.ofSeconds(2));
  }

  public static GuardConfig fromEnvironment() {
    return from(System.getenv());
  }

  public static GuardConfig from(Map<String, String> env) {
    List<String> errors = new ArrayList<>();
    int threshold = (int) positive(env, EnvVar.FAILURE_THRESHOLD, DEFAULT_FAILURE_THRESHOLD, errors);
    Duration grace = Duration.ofSeconds(positive(env, EnvVar.GRACE_PERIOD_SECONDS, 60, errors));
    Duration timeout = Duration.ofMillis(positive(env, EnvVar.HEALTH_PROBE_TIMEOUT_MS, 2000, errors));
    Map<String, String> groups = new LinkedHashMap<>();
    stringMap(env, EnvVar.TARGET_GROUP_ARNS, errors).forEach((service, arn) -> {
      if (!arn.matches("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:targetgroup/.+")) {
        errors.add(EnvVar.TARGET_GROUP_ARNS + ": " + service + ": not a target group ARN: " + arn);
      } else {
        groups.put(service, arn);
      }
    });
    Map<String, URI> probes = new LinkedHashMap<>();
    stringMap(env, EnvVar.HEALTH_PROBE_URLS, errors).forEach((service, url) -> {
      try {
        URI u = URI.create(url);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw new IllegalArgumentException();
        }
        probes.put(service, u);
      } catch (IllegalArgumentException e) {
        errors.add(EnvVar.HEALTH_PROBE_URLS + ": " + service + ": not an http(s) URL: " + url);
      }
    });
    java.util.Set<String> canaries = new java.util.LinkedHashSet<>();
    String plans = env.get(EnvVar.CANARY_ANALYSIS);
    if (plans != null && !plans.isBlank()) {
      try {
        canaries.addAll(Json.object(Json.parse(plans), "$").keySet());
      } catch (InvalidInputException e) {
        errors.add(EnvVar.CANARY_ANALYSIS + ": " + e.getMessage());
      }
    }
    if (!errors.isEmpty()) throw new InvalidInputException("bad configuration: " + String.join("; ", errors));
    return new GuardConfig(threshold, grace, Collections.unmodifiableMap(groups), Collections.unmodifiableMap(probes),
        timeout, canaries);
  }

  public Optional<String> targetGroup(String service) {
    return Optional.ofNullable(targetGroups.get(service));
  }

  public Optional<URI> probeUrl(String service) {
    return Optional.ofNullable(probeUrls.get(service));
  }

  private static Map<String, String> stringMap(Map<String, String> env, String name, List<String> errors) {
    String v = env.get(name);
    if (v == null || v.isBlank()) return Map.of();
    Map<String, String> out = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, JsonNode> e : Json.object(Json.parse(v), "$").entrySet()) {
        if (!e.getValue().isString() || e.getValue().asString().isBlank()) {
          errors.add(name + ": $." + e.getKey() + ": expected a non-empty string");
        } else {
          out.put(e.getKey(), e.getValue().asString().trim());
        }
      }
    } catch (InvalidInputException e) {
      errors.add(name + ": expected a JSON object of service name to value: " + e.getMessage());
    }
    return out;
  }
}
