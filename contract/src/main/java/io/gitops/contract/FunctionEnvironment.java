package io.gitops.contract;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the stack sets on both functions. The functions parse it back (lambdas' LambdaConfig); the
 * round trip is tested there (FunctionContractTest).
 *
 * @param services SERVICE_MAP: ECR repository name → where its images go
 * @param guard the guard's own settings, or null for the image deployer
 */
public record FunctionEnvironment(String ledgerTable, String alarmTopicArn, Map<String, ServiceMapEntry> services,
    String environmentName, int lockLeaseSeconds, int functionTimeoutSeconds, String javaToolOptions,
    Guard guard) {

  public FunctionEnvironment {
    Objects.requireNonNull(ledgerTable, EnvVar.LEDGER_TABLE);
    Objects.requireNonNull(alarmTopicArn, EnvVar.ALARM_TOPIC_ARN);
    Objects.requireNonNull(environmentName, EnvVar.ENVIRONMENT_NAME);
    services = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
  }

  /**
   * The guard's settings on top of the common ones.
   *
   * @param targetGroupArns TARGET_GROUP_ARNS: ECS service name → target group ARN
   * @param healthProbeUrls HEALTH_PROBE_URLS: ECS service name → http(s) URL that must answer 2xx
   * @param canaryAnalysis CANARY_ANALYSIS: ECS service name → its canary plan (a JSON object: loadBalancer,
   *     targetGroups, testProbeUrl, intervalSeconds, canaryCount, bakeCount); empty when no service shifts traffic
   */
  public record Guard(Map<String, String> targetGroupArns, Map<String, String> healthProbeUrls,
      Map<String, Map<String, Object>> canaryAnalysis) {
    public Guard {
      targetGroupArns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targetGroupArns));
      healthProbeUrls = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(healthProbeUrls));
      canaryAnalysis = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(canaryAnalysis));
    }

    public Guard(Map<String, String> targetGroupArns, Map<String, String> healthProbeUrls) {
      this(targetGroupArns, healthProbeUrls, Map.of());
    }
  }

  /** The same settings with the guard's on top. */
  public FunctionEnvironment withGuard(Guard g) {
    return new FunctionEnvironment(ledgerTable, alarmTopicArn, services, environmentName, lockLeaseSeconds,
        functionTimeoutSeconds, javaToolOptions, g);
  }

  /**
   * The environment variables, in a fixed order. {@code json} serializes a map to a JSON object: the stack
   * passes its token-aware writer, since table names and ARNs are tokens at synth time.
   */
  public Map<String, String> toVariables(Function<Map<String, Object>, String> json) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(EnvVar.LEDGER_TABLE, ledgerTable);
    env.put(EnvVar.ALARM_TOPIC_ARN, alarmTopicArn);
    Map<String, Object> map = new LinkedHashMap<>();
    services.forEach((repository, entry) -> map.put(repository, entry.toJsonObject()));
    env.put(EnvVar.SERVICE_MAP, json.apply(map));
    env.put(EnvVar.ENVIRONMENT_NAME, environmentName);
    env.put(EnvVar.LOCK_LEASE_SECONDS, String.valueOf(lockLeaseSeconds));
    env.put(EnvVar.FUNCTION_TIMEOUT_SECONDS, String.valueOf(functionTimeoutSeconds));
    if (javaToolOptions != null) env.put(EnvVar.JAVA_TOOL_OPTIONS, javaToolOptions);
    if (guard != null) {
      env.put(EnvVar.TARGET_GROUP_ARNS, json.apply(new LinkedHashMap<>(guard.targetGroupArns())));
      env.put(EnvVar.HEALTH_PROBE_URLS, json.apply(new LinkedHashMap<>(guard.healthProbeUrls())));
      if (!guard.canaryAnalysis().isEmpty()) {
        env.put(EnvVar.CANARY_ANALYSIS, json.apply(new LinkedHashMap<>(guard.canaryAnalysis())));
      }
    }
    return env;
  }
}
