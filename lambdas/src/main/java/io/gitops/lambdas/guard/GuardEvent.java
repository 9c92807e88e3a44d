package io.gitops.lambdas.guard;

/** One event the guard handles: a task state change or a service deployment state change. */
public sealed interface GuardEvent permits TaskStateChange, DeploymentStateChange {
  /** The EventBridge event id. */
  String eventId();

  /** The ECS service name the event is about, if any (a RunTask one-off has none). */
  java.util.Optional<String> service();
}
