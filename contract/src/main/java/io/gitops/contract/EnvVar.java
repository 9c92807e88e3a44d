package io.gitops.contract;

import java.util.List;

/** The environment variables of the deployer functions (docs/lambda-config.md). */
public final class EnvVar {
  private EnvVar() {}

  // Set by the stack on both functions (FunctionEnvironment).
  public static final String LEDGER_TABLE = "LEDGER_TABLE";
  public static final String ALARM_TOPIC_ARN = "ALARM_TOPIC_ARN";
  public static final String SERVICE_MAP = "SERVICE_MAP";
  public static final String ENVIRONMENT_NAME = "ENVIRONMENT_NAME";
  public static final String LOCK_LEASE_SECONDS = "LOCK_LEASE_SECONDS";
  public static final String FUNCTION_TIMEOUT_SECONDS = "FUNCTION_TIMEOUT_SECONDS";
  public static final String JAVA_TOOL_OPTIONS = "JAVA_TOOL_OPTIONS";

  // Set by the stack on the guard only (GuardEnvironment).
  public static final String TARGET_GROUP_ARNS = "TARGET_GROUP_ARNS";
  public static final String HEALTH_PROBE_URLS = "HEALTH_PROBE_URLS";
  /** ECS service name → its canary analysis plan, for services with a traffic-shifting strategy (issue 14). */
  public static final String CANARY_ANALYSIS = "CANARY_ANALYSIS";

  // Set by Lambda itself, or by a local host.
  public static final String AWS_REGION = "AWS_REGION";
  public static final String AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL";

  // Optional tuning the functions read, with defaults; the stack does not set them.
  public static final String TAG_POLICY = "TAG_POLICY";
  public static final String METRICS_NAMESPACE = "METRICS_NAMESPACE";
  public static final String SDK_MAX_ATTEMPTS = "SDK_MAX_ATTEMPTS";
  public static final String SDK_BASE_DELAY_MS = "SDK_BASE_DELAY_MS";
  public static final String SDK_MAX_BACKOFF_MS = "SDK_MAX_BACKOFF_MS";
  public static final String SDK_API_CALL_TIMEOUT_MS = "SDK_API_CALL_TIMEOUT_MS";
  public static final String SDK_ATTEMPT_TIMEOUT_MS = "SDK_ATTEMPT_TIMEOUT_MS";
  public static final String FAILURE_THRESHOLD = "FAILURE_THRESHOLD";
  public static final String GRACE_PERIOD_SECONDS = "GRACE_PERIOD_SECONDS";
  public static final String HEALTH_PROBE_TIMEOUT_MS = "HEALTH_PROBE_TIMEOUT_MS";

  // Set by the stack on the revision cleanup only.
  public static final String CLEANUP_DRY_RUN = "CLEANUP_DRY_RUN";
  public static final String CLEANUP_KEEP_HEALTHY = "CLEANUP_KEEP_HEALTHY";

  /** Every variable the functions read, for the documentation check. */
  public static final List<String> ALL = List.of(LEDGER_TABLE, ALARM_TOPIC_ARN, SERVICE_MAP, ENVIRONMENT_NAME,
      LOCK_LEASE_SECONDS, FUNCTION_TIMEOUT_SECONDS, JAVA_TOOL_OPTIONS, TARGET_GROUP_ARNS, HEALTH_PROBE_URLS,
      AWS_REGION, AWS_ENDPOINT_URL, TAG_POLICY, METRICS_NAMESPACE, SDK_MAX_ATTEMPTS, SDK_BASE_DELAY_MS,
      SDK_MAX_BACKOFF_MS, SDK_API_CALL_TIMEOUT_MS, SDK_ATTEMPT_TIMEOUT_MS, FAILURE_THRESHOLD, GRACE_PERIOD_SECONDS,
      HEALTH_PROBE_TIMEOUT_MS, CANARY_ANALYSIS, CLEANUP_DRY_RUN, CLEANUP_KEEP_HEALTHY);
}
