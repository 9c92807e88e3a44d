package io.gitops.contract;

/** Names the functions write and the stack's alarms and table read. */
public final class Telemetry {
  private Telemetry() {}

  /** The EMF namespace the functions write to unless METRICS_NAMESPACE says otherwise. */
  public static final String METRICS_NAMESPACE = "GitOps/Deployments";
  /** The metric a function writes when it fails permanently; the stack alarms on it. */
  public static final String FAILURE_METRIC = "FunctionFailures";
  /** The ledger item attribute holding an expiry in epoch seconds: the table's TTL attribute. */
  public static final String LEDGER_TTL_ATTRIBUTE = "expiresAt";
}
