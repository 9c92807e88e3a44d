package io.gitops.lambdas.core;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One deployment of one image digest to one service: a ledger item (see docs/ledger.md).
 *
 * @param service ECS service name (the ledger partition)
 * @param cluster ECS cluster name or ARN
 * @param digest {@code sha256:...}
 * @param tag the tag of the push that created it (empty for pipeline deployments)
 * @param repository ECR repository name
 * @param image {@code repository-uri@sha256:...}, the release parameter value
 * @param eventId the EventBridge event id that created it
 * @param pushTime the event time of the push
 * @param status see {@link DeploymentStatus}
 * @param phase see {@link Phase}
 * @param owner see {@link Owner}
 * @param newTaskDefinitionArn the revision this deployment rolled out (null until registered)
 * @param previousTaskDefinitionArn the revision the service ran before
 * @param previousImage the release value before this deployment (what a rollback restores if no
 *     healthy deployment is known in the ledger)
 * @param failureCount failed tasks counted by the guard
 * @param failedTasks the task ARNs counted (each at most once)
 * @param reasons human-readable reasons (failures, skips, rollbacks), oldest first
 * @param createdAt when the item was written
 * @param updatedAt when the item last changed
 */
public record Deployment(
    String service,
    String cluster,
    String digest,
    String tag,
    String repository,
    String image,
    String eventId,
    Instant pushTime,
    DeploymentStatus status,
    Phase phase,
    Owner owner,
    String newTaskDefinitionArn,
    String previousTaskDefinitionArn,
    String previousImage,
    int failureCount,
    Set<String> failedTasks,
    List<String> reasons,
    Instant createdAt,
    Instant updatedAt) {}
