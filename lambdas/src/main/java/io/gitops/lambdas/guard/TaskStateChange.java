package io.gitops.lambdas.guard;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An EventBridge {@code ECS Task State Change} event (AWS docs, "Amazon ECS task state change events").
 *
 * @param group {@code service:NAME} for a service's task, {@code family:NAME} (or absent) for RunTask
 * @param version the task's state version: a higher version is a newer state of the same task
 * @param updatedAt when the task's state last changed (orders events with the same version)
 * @param stopCode e.g. TaskFailedToStart, EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated,
 *     SpotInterruption, TerminationNotice; empty while the task runs
 * @param privateIp the task ENI's private IPv4 address (awsvpc attachments), used to find its LB target
 */
public record TaskStateChange(
    String eventId,
    Instant time,
    String clusterArn,
    String taskArn,
    Optional<String> group,
    String taskDefinitionArn,
    String lastStatus,
    Optional<String> desiredStatus,
    Optional<String> stopCode,
    Optional<String> stoppedReason,
    List<Container> containers,
    long version,
    Instant updatedAt,
    Optional<Instant> startedAt,
    Optional<String> healthStatus,
    Optional<String> privateIp)
    implements GuardEvent {

  /** One entry of {@code detail.containers}. */
  public record Container(String name, String lastStatus, Optional<Integer> exitCode, Optional<String> reason,
      Optional<String> healthStatus) {}

  /** The service name from {@code group = service:NAME}; empty for RunTask one-offs. */
  @Override
  public Optional<String> service() {
    return group.filter(g -> g.startsWith("service:")).map(g -> g.substring("service:".length()))
        .filter(s -> !s.isEmpty());
  }

  public boolean stopped() {
    return "STOPPED".equals(lastStatus);
  }

  public boolean running() {
    return "RUNNING".equals(lastStatus);
  }

  /** The cluster name: the last segment of the cluster ARN. */
  public String clusterName() {
    return clusterArn.substring(clusterArn.lastIndexOf('/') + 1);
  }
}
