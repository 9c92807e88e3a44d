package io.gitops.lambdas.guard;

import java.time.Instant;
import java.util.Optional;

/**
 * An EventBridge {@code ECS Deployment State Change} event (AWS docs, "Amazon ECS service deployment state
 * change events"). {@code resources[0]} is the service ARN {@code arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME}.
 */
public record DeploymentStateChange(
    String eventId,
    Instant time,
    String serviceArn,
    String clusterName,
    String serviceName,
    Kind kind,
    String eventType,
    String deploymentId,
    Instant updatedAt,
    String reason)
    implements GuardEvent {

  public enum Kind {
    SERVICE_DEPLOYMENT_IN_PROGRESS,
    SERVICE_DEPLOYMENT_COMPLETED,
    SERVICE_DEPLOYMENT_FAILED
  }

  @Override
  public Optional<String> service() {
    return Optional.of(serviceName);
  }
}
