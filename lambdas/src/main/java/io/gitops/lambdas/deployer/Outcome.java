package io.gitops.lambdas.deployer;

import io.gitops.lambdas.core.Json;

/**
 * What one invocation of the image deployer did. {@code reason} starts with a stable code
 * ({@code TAG_POLICY}, {@code UNKNOWN_REPOSITORY}, {@code DUPLICATE_DIGEST}, ...) followed by ": " and a
 * human-readable detail.
 *
 * @param revision the task definition ARN rolled out (DEPLOYED), or null
 */
public record Outcome(Action action, String reason, String revision) {
  public enum Action {
    DEPLOYED,
    SKIPPED,
    FAILED
  }

  public static Outcome deployed(String revision, String reason) {
    return new Outcome(Action.DEPLOYED, reason, revision);
  }

  public static Outcome skipped(String code, String detail) {
    return new Outcome(Action.SKIPPED, code + ": " + detail, null);
  }

  public static Outcome failed(String code, String detail) {
    return new Outcome(Action.FAILED, code + ": " + detail, null);
  }

  /** The stable code part of the reason. */
  public String code() {
    int i = reason.indexOf(':');
    return i < 0 ? reason : reason.substring(0, i);
  }

  public Json.Obj toJson() {
    return Json.obj().put("action", action.name()).put("reason", reason).put("revision", revision);
  }
}
