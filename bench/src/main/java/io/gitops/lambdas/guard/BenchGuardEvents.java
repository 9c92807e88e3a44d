package io.gitops.lambdas.guard;

import java.time.Instant;

/** Public access, for the bench, to the guard tests' event builders (package-private in the test-jar). */
public final class BenchGuardEvents {
  private BenchGuardEvents() {}

  public static byte[] running(String service, String taskId, String revision, long version, Instant at) {
    return GuardEvents.running(service, taskId, revision, version, at);
  }

  public static byte[] crashed(String service, String taskId, String revision, long version, Instant at) {
    return GuardEvents.crashed(service, taskId, revision, version, at);
  }

  public static byte[] completed(String service, Instant at) {
    return GuardEvents.completed(service, at);
  }
}
