package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.Json;
import java.util.List;

/**
 * What one invocation of the guard did. {@code reason} starts with a stable code ({@code THRESHOLD_REACHED},
 * {@code STALE_EVENT}, {@code NO_HEALTHY_REVISION}, ...) followed by ": " and a human-readable detail.
 *
 * @param action NONE (looked, nothing to do), COUNTED (a failure counted), HEALTHY (checks passed),
 *     ROLLED_BACK, FAILED (a deployment or the service could not be saved; alerted), IGNORED (not the guard's
 *     business: other cluster, unknown service, stale event, halted service)
 * @param revision the task definition ARN judged, if any
 * @param restoredRevision the task definition ARN rolled back to (ROLLED_BACK)
 * @param failures the failure count after this event, if one was counted
 * @param checks the health check results, if they ran
 */
public record GuardOutcome(Action action, String reason, String service, String digest, String revision,
    String restoredRevision, Integer failures, List<String> checks) {

  public enum Action {
    NONE,
    COUNTED,
    HEALTHY,
    ROLLED_BACK,
    FAILED,
    IGNORED
  }

  public static GuardOutcome of(Action action, String code, String detail) {
    return new GuardOutcome(action, code + ": " + detail, null, null, null, null, null, List.of());
  }

  public GuardOutcome about(String service, String digest, String revision) {
    return new GuardOutcome(action, reason, service, digest, revision, restoredRevision, failures, checks);
  }

  public GuardOutcome withRestored(String restored) {
    return new GuardOutcome(action, reason, service, digest, revision, restored, failures, checks);
  }

  public GuardOutcome withFailures(int count) {
    return new GuardOutcome(action, reason, service, digest, revision, restoredRevision, count, checks);
  }

  public GuardOutcome withChecks(List<String> results) {
    return new GuardOutcome(action, reason, service, digest, revision, restoredRevision, failures, List.copyOf(results));
  }

  /** The stable code part of the reason. */
  public String code() {
    int i = reason.indexOf(':');
    return i < 0 ? reason : reason.substring(0, i);
  }

  public Json.Obj toJson() {
    Json.Obj o = Json.obj().put("action", action.name()).put("reason", reason).putIfPresent("service", service)
        .putIfPresent("digest", digest).putIfPresent("revision", revision)
        .putIfPresent("restoredRevision", restoredRevision).putIfPresent("failures", failures);
    if (!checks.isEmpty()) o.put("checks", checks);
    return o;
  }
}
