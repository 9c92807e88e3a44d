package io.gitops.lambdas.core;

import java.time.Instant;

/**
 * The per-service pointer item of the ledger (see docs/ledger.md).
 *
 * @param service ECS service name
 * @param latestDigest the newest push claimed for the service (ordering: older pushes are skipped)
 * @param latestOrderKey {@code <16-digit push epoch millis>#<digest>}, compared as a string
 * @param currentDigest the deployment the service was last released to by the deployer (may be null)
 * @param currentTaskDefinitionArn its task definition revision
 * @param lastHealthyDigest the newest deployment the guard marked HEALTHY (the rollback target)
 * @param lockToken the rollout in progress, if any
 * @param lockUntil when that lock expires (a crashed rollout's lock lapses on its own)
 * @param lockEventId the EventBridge event id of the push whose rollout holds the lock
 * @param lockedSince when that lock was taken (a retry of the same event takes over an attempt older than the
 *     function timeout)
 * @param lastHealthyTaskDefinitionArn the revision of the rollback target, if recorded (else the HEALTHY
 *     deployment's {@code newTaskDefinitionArn})
 */
public record ServiceHead(
    String service,
    String latestDigest,
    String latestOrderKey,
    String currentDigest,
    String currentTaskDefinitionArn,
    String lastHealthyDigest,
    String lockToken,
    Instant lockUntil,
    String lockEventId,
    Instant lockedSince,
    String lastHealthyTaskDefinitionArn) {

  public boolean lockedAt(Instant now) {
    return lockToken != null && lockUntil != null && lockUntil.isAfter(now);
  }
}
