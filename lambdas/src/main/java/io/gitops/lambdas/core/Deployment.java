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
    Instant updatedAt) {

  /** A new deployment: no failures counted, no reasons, nothing registered yet until set. */
  public static Builder builder() {
    return new Builder();
  }

  /** This deployment with every field open to change. */
  public Builder toBuilder() {
    return new Builder().service(service).cluster(cluster).digest(digest).tag(tag).repository(repository)
        .image(image).eventId(eventId).pushTime(pushTime).status(status).phase(phase).owner(owner)
        .newTaskDefinitionArn(newTaskDefinitionArn).previousTaskDefinitionArn(previousTaskDefinitionArn)
        .previousImage(previousImage).failureCount(failureCount).failedTasks(failedTasks).reasons(reasons)
        .createdAt(createdAt).updatedAt(updatedAt);
  }

  /** The same deployment with these reasons (copied). */
  public Deployment withReasons(List<String> newReasons) {
    return toBuilder().reasons(List.copyOf(newReasons)).build();
  }

  /** Named fields instead of a positional constructor; unset fields are null, 0 or empty. */
  public static final class Builder {
    private String service;
    private String cluster;
    private String digest;
    private String tag;
    private String repository;
    private String image;
    private String eventId;
    private Instant pushTime;
    private DeploymentStatus status;
    private Phase phase;
    private Owner owner;
    private String newTaskDefinitionArn;
    private String previousTaskDefinitionArn;
    private String previousImage;
    private int failureCount;
    private Set<String> failedTasks = Set.of();
    private List<String> reasons = List.of();
    private Instant createdAt;
    private Instant updatedAt;

    private Builder() {}

    public Builder service(String v) { service = v; return this; }
    public Builder cluster(String v) { cluster = v; return this; }
    public Builder digest(String v) { digest = v; return this; }
    public Builder tag(String v) { tag = v; return this; }
    public Builder repository(String v) { repository = v; return this; }
    public Builder image(String v) { image = v; return this; }
    public Builder eventId(String v) { eventId = v; return this; }
    public Builder pushTime(Instant v) { pushTime = v; return this; }
    public Builder status(DeploymentStatus v) { status = v; return this; }
    public Builder phase(Phase v) { phase = v; return this; }
    public Builder owner(Owner v) { owner = v; return this; }
    public Builder newTaskDefinitionArn(String v) { newTaskDefinitionArn = v; return this; }
    public Builder previousTaskDefinitionArn(String v) { previousTaskDefinitionArn = v; return this; }
    public Builder previousImage(String v) { previousImage = v; return this; }
    public Builder failureCount(int v) { failureCount = v; return this; }
    public Builder failedTasks(Set<String> v) { failedTasks = v; return this; }
    public Builder reasons(List<String> v) { reasons = v; return this; }
    public Builder createdAt(Instant v) { createdAt = v; return this; }
    public Builder updatedAt(Instant v) { updatedAt = v; return this; }

    public Deployment build() {
      return new Deployment(service, cluster, digest, tag, repository, image, eventId, pushTime, status, phase, owner,
          newTaskDefinitionArn, previousTaskDefinitionArn, previousImage, failureCount, failedTasks, reasons,
          createdAt, updatedAt);
    }
  }
}
