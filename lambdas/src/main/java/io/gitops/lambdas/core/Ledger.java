package io.gitops.lambdas.core;

import static io.gitops.lambdas.core.Attributes.n;
import static io.gitops.lambdas.core.Attributes.num;
import static io.gitops.lambdas.core.Attributes.s;
import static io.gitops.lambdas.core.Attributes.str;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The deployment ledger: one DynamoDB table per environment, shared by the image deployer and the guard.
 * Every state change is a conditional write. The schema and the guarantees are in docs/ledger.md.
 *
 * <p>Keys: {@code pk = "SERVICE#<service>"}; {@code sk = "HEAD"} for the per-service pointer item and
 * {@code sk = "DEPLOYMENT#<digest>"} for each deployment.
 */
public final class Ledger {
  static final String PK = "pk";
  static final String SK = "sk";
  static final String HEAD_SK = "HEAD";
  static final String DEPLOYMENT_PREFIX = "DEPLOYMENT#";
  /**
   * Part of every condition on {@code status = ROLLING_OUT}: a deployment a newer release replaced is
   * SUPERSEDED (see {@link #completeRollout}) even while its stored status still says ROLLING_OUT.
   */
  static final String NOT_SUPERSEDED = "attribute_not_exists(supersededBy)";
  /** Appends {@code :r} (a list) to {@code reasons}; needs {@code :empty} (an empty list). */
  static final String APPEND_REASON = "reasons = list_append(if_not_exists(reasons, :empty), :r)";
  /** {@code #st}, since {@code status} is a DynamoDB reserved word. */
  static final Map<String, String> STATUS = Map.of("#st", "status");

  private final DynamoDbClient dynamo;
  private final String table;
  private final Clock clock;
  private final Duration lease;

  /**
   * @param lease how long a rollout holds the service lock; at least the function timeout, so that a
   *     crashed invocation's lock lapses before Lambda's asynchronous retry (1 minute and later).
   */
  public Ledger(DynamoDbClient dynamo, String table, Clock clock, Duration lease) {
    this.dynamo = dynamo;
    this.table = table;
    this.clock = clock;
    this.lease = lease;
  }

  public String table() {
    return table;
  }

  /** {@code <16-digit epoch millis>#<digest>}: newer pushes sort later; ties break on the digest. */
  public static String orderKey(Instant pushTime, String digest) {
    return String.format("%016d#%s", pushTime.toEpochMilli(), digest);
  }

  // ------------------------------------------------------------------------------------------------
  // The image deployer's claim protocol

  /** What {@link #claim} decided. */
  public sealed interface Claim {
    /** This invocation owns the rollout; {@code deployment} shows the phase to resume from. */
    record Acquired(String token, Deployment deployment, boolean resumed, Instant leaseUntil) implements Claim {
      /** False once the lease has lapsed: another invocation may have taken the rollout over. */
      public boolean leaseHeldAt(Instant now) {
        return now.isBefore(leaseUntil);
      }
    }

    /** Nothing to do: see {@link SkipReason}. */
    record Skipped(SkipReason reason, String detail) implements Claim {}

    /** Another rollout of this service holds the lock: retry later (the newer push wins in the end). */
    record Busy(String detail) implements Claim {}
  }

  public enum SkipReason {
    /** This digest was already deployed (or failed) for the service, under this tag or another. */
    DUPLICATE_DIGEST,
    /** A re-delivery of a push whose rollout is running right now. */
    IN_PROGRESS,
    /** A newer push was already claimed for the service. */
    OLDER_PUSH,
    /** The rollout was interrupted and a newer push has since been claimed; it will not be resumed. */
    SUPERSEDED
  }

  /**
   * Claims the rollout of {@code d} (status ROLLING_OUT, phase CLAIMED) in one transaction: the deployment
   * item must not exist, and the head must be older than this push and unlocked. On a cancelled claim it
   * reads both items to decide: skip, resume an interrupted rollout, or report busy.
   */
  public Claim claim(Deployment d) {
    Instant now = clock.instant();
    String token = UUID.randomUUID().toString();
    String key = orderKey(d.pushTime(), d.digest());
    Map<String, AttributeValue> item = toItem(d, now);
    item.put("leaseToken", s(token));
    try {
      dynamo.transactWriteItems(b -> b.transactItems(
          TransactWriteItem.builder().put(Put.builder().tableName(table).item(item)
              .conditionExpression("attribute_not_exists(pk)").build()).build(),
          updateItem(headKey(d.service()),
              "SET latestDigest = :d, latestOrderKey = :k, lockToken = :t, lockUntil = :u, updatedAt = :now",
              "attribute_not_exists(pk) OR (latestOrderKey < :k AND"
                  + " (attribute_not_exists(lockUntil) OR lockUntil < :nowMs))",
              null,
              Map.of(":d", s(d.digest()), ":k", s(key), ":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
                  ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli())))));
      return new Claim.Acquired(token, d, false, now.plus(lease));
    } catch (TransactionCanceledException cancelled) {
      return classifyCancelledClaim(d, key, now);
    }
  }

  private Claim classifyCancelledClaim(Deployment d, String key, Instant now) {
    // The head first: a rollout completes (lock removed, phase RELEASED) in one transaction, so a head read
    // without the lock followed by the deployment read sees that rollout RELEASED, never half-done.
    Optional<ServiceHead> head = head(d.service());
    Optional<Deployment> existing = find(d.service(), d.digest());
    if (existing.isPresent()) {
      Deployment e = existing.get();
      if (e.status() != DeploymentStatus.ROLLING_OUT || e.phase() == Phase.RELEASED) {
        return new Claim.Skipped(
            SkipReason.DUPLICATE_DIGEST,
            "digest " + d.digest() + " already has a deployment (" + e.status() + ", tag " + e.tag() + ")");
      }
      // An unfinished rollout of the same digest: running now, or interrupted.
      if (head.isPresent() && head.get().lockedAt(now)) {
        return new Claim.Skipped(SkipReason.IN_PROGRESS, "a rollout of " + d.digest() + " is running");
      }
      if (head.isPresent() && head.get().latestOrderKey() != null
          && head.get().latestOrderKey().compareTo(key) > 0) {
        transition(d.service(), d.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.SUPERSEDED,
            "interrupted rollout abandoned: newer push " + head.get().latestDigest() + " claimed");
        return new Claim.Skipped(SkipReason.SUPERSEDED,
            "interrupted rollout of " + d.digest() + " superseded by " + head.get().latestDigest());
      }
      if (head.isEmpty() || !d.digest().equals(head.get().latestDigest())) {
        // Not reachable with DynamoDB's serializable transactions; stay safe if it ever is.
        return new Claim.Skipped(SkipReason.IN_PROGRESS, "a claim of " + d.digest() + " is being written");
      }
      return takeOver(e, now);
    }
    if (head.isPresent()) {
      ServiceHead h = head.get();
      if (h.latestOrderKey() != null && h.latestOrderKey().compareTo(key) >= 0) {
        return new Claim.Skipped(SkipReason.OLDER_PUSH,
            "a newer push (" + h.latestDigest() + ") was already claimed for " + d.service());
      }
      if (h.lockedAt(now)) {
        return new Claim.Busy("rollout of " + h.latestDigest() + " holds the lock on " + d.service());
      }
    }
    return new Claim.Busy("claim conflicted with a concurrent write on " + d.service() + "; retry");
  }

  private Claim takeOver(Deployment e, Instant now) {
    String token = UUID.randomUUID().toString();
    try {
      dynamo.transactWriteItems(b -> b.transactItems(
          updateItem(headKey(e.service()), "SET lockToken = :t, lockUntil = :u, updatedAt = :now",
              "latestDigest = :d AND (attribute_not_exists(lockUntil) OR lockUntil < :nowMs)", null,
              Map.of(":d", s(e.digest()), ":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
                  ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli()))),
          updateItem(deploymentKey(e.service(), e.digest()), "SET leaseToken = :t, updatedAt = :now ADD attempts :one",
              "#st = :rolling AND phase <> :released", STATUS,
              Map.of(":t", s(token), ":now", s(now.toString()), ":one", n(1),
                  ":rolling", s(DeploymentStatus.ROLLING_OUT.name()), ":released", s(Phase.RELEASED.name())))));
      return new Claim.Acquired(token, e, true, now.plus(lease));
    } catch (TransactionCanceledException lost) {
      return new Claim.Busy("another invocation resumed " + e.digest() + " first");
    }
  }

  /**
   * Completes a rollout in one transaction, conditional on this invocation's token: the deployment gets
   * phase RELEASED and its revisions ({@code newTaskDefinitionArn}, {@code previousTaskDefinitionArn},
   * {@code previousImage}); the head points at it and the lock is released; and the deployment the service
   * ran before ({@code supersededDigest}, if any) gets {@code supersededBy}, which makes it SUPERSEDED if it
   * is still ROLLING_OUT (see {@link #fromItem}). If that previous deployment is not in the ledger, the
   * transaction is repeated without it. False if the lease was lost.
   */
  public boolean completeRollout(String service, String digest, String token, String newArn, String previousArn,
      String previousImage, String supersededDigest) {
    Instant now = clock.instant();
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":p", s(Phase.RELEASED.name()));
    values.put(":now", s(now.toString()));
    values.put(":t", s(token));
    values.put(":new", s(newArn));
    StringBuilder set = new StringBuilder("SET phase = :p, releasedAt = :now, updatedAt = :now, newTaskDefinitionArn = :new");
    if (previousArn != null) {
      set.append(", previousTaskDefinitionArn = :prev");
      values.put(":prev", s(previousArn));
    }
    if (previousImage != null) {
      set.append(", previousImage = :prevImage");
      values.put(":prevImage", s(previousImage));
    }
    List<TransactWriteItem> items = new ArrayList<>();
    items.add(updateItem(deploymentKey(service, digest), set.toString(), "leaseToken = :t", null, values));
    items.add(unlockHead(service, "SET currentDigest = :d, currentTaskDefinitionArn = :arn, updatedAt = :now", token,
        Map.of(":d", s(digest), ":arn", s(newArn), ":now", s(now.toString()))));
    boolean supersede = supersededDigest != null && !supersededDigest.equals(digest);
    if (supersede) {
      items.add(updateItem(deploymentKey(service, supersededDigest), "SET supersededBy = :d, supersededAt = :now",
          "attribute_exists(pk)", null, Map.of(":d", s(digest), ":now", s(now.toString()))));
    }
    try {
      dynamo.transactWriteItems(b -> b.transactItems(items));
      return true;
    } catch (TransactionCanceledException cancelled) {
      if (supersede && onlyLastItemFailed(cancelled, items.size())) {
        // The previous deployment is not in the ledger (e.g. an image set outside the deployer): nothing to mark.
        return completeRollout(service, digest, token, newArn, previousArn, previousImage, null);
      }
      return false;
    }
  }

  /** True if the cancellation names a failed condition on the last item only. */
  private static boolean onlyLastItemFailed(TransactionCanceledException e, int size) {
    if (!e.hasCancellationReasons() || e.cancellationReasons().size() != size) return false;
    for (int i = 0; i < size; i++) {
      String code = e.cancellationReasons().get(i).code();
      boolean none = code == null || "None".equals(code);
      if (i < size - 1 ? !none : !"ConditionalCheckFailed".equals(code)) return false;
    }
    return true;
  }

  /** Marks a claimed deployment FAILED and releases the lock (permanent failure). */
  public boolean failRollout(String service, String digest, String token, String reason) {
    Instant now = clock.instant();
    try {
      dynamo.transactWriteItems(b -> b.transactItems(
          updateItem(deploymentKey(service, digest), "SET #st = :failed, " + APPEND_REASON
                  + ", statusChangedAt = :now, updatedAt = :now", "leaseToken = :t", STATUS,
              Map.of(":failed", s(DeploymentStatus.FAILED.name()), ":empty", AttributeValue.fromL(List.of()),
                  ":r", AttributeValue.fromL(List.of(s(reason))), ":now", s(now.toString()), ":t", s(token))),
          unlockHead(service, "SET updatedAt = :now", token, Map.of(":now", s(now.toString())))));
      return true;
    } catch (TransactionCanceledException lost) {
      return false;
    }
  }

  /**
   * Best effort, after a transient failure: lets Lambda's retry resume at once instead of waiting for the
   * lease to lapse. Never throws.
   */
  public void releaseLock(String service, String token) {
    try {
      conditionalUpdate(headKey(service), "SET lockUntil = :zero", "lockToken = :t", null,
          Map.of(":zero", n(0), ":t", s(token)));
    } catch (RuntimeException ignored) {
      // The lease lapses on its own.
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Queries and transitions for the guard (and for the deployer's bookkeeping)

  public Optional<Deployment> find(String service, String digest) {
    var item =
        dynamo.getItem(GetItemRequest.builder().tableName(table).key(deploymentKey(service, digest))
            .consistentRead(true).build()).item();
    return item == null || item.isEmpty() ? Optional.empty() : Optional.of(fromItem(item));
  }

  public Optional<ServiceHead> head(String service) {
    var item =
        dynamo.getItem(GetItemRequest.builder().tableName(table).key(headKey(service))
            .consistentRead(true).build()).item();
    if (item == null || item.isEmpty()) return Optional.empty();
    return Optional.of(headFromItem(service, item));
  }

  static ServiceHead headFromItem(String service, Map<String, AttributeValue> item) {
    Long lockUntil = num(item, "lockUntil");
    return new ServiceHead(service, str(item, "latestDigest"), str(item, "latestOrderKey"),
        str(item, "currentDigest"), str(item, "currentTaskDefinitionArn"), str(item, "lastHealthyDigest"),
        str(item, "lockToken"), lockUntil == null ? null : Instant.ofEpochMilli(lockUntil));
  }

  /** The deployment the service was last released to, if it is still ROLLING_OUT (the guard's subject). */
  public Optional<Deployment> findRollingOut(String service) {
    return head(service)
        .map(ServiceHead::currentDigest)
        .flatMap(digest -> find(service, digest))
        .filter(d -> d.status() == DeploymentStatus.ROLLING_OUT);
  }

  /** The newest deployment the guard marked HEALTHY: the rollback target. */
  public Optional<Deployment> findLastHealthy(String service) {
    return head(service)
        .map(ServiceHead::lastHealthyDigest)
        .flatMap(digest -> find(service, digest))
        .filter(d -> d.status() == DeploymentStatus.HEALTHY);
  }

  /** Every deployment of a service, oldest push first. */
  public List<Deployment> history(String service) {
    List<Deployment> out = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      QueryResponse r =
          dynamo.query(
              QueryRequest.builder()
                  .tableName(table)
                  .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
                  .expressionAttributeValues(
                      Map.of(":pk", s(servicePk(service)), ":prefix", s(DEPLOYMENT_PREFIX)))
                  .consistentRead(true)
                  .exclusiveStartKey(start)
                  .build());
      r.items().forEach(i -> out.add(fromItem(i)));
      start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    out.sort(java.util.Comparator.comparing(Deployment::pushTime));
    return out;
  }

  /**
   * Counts a failed task against a ROLLING_OUT deployment, at most once per task ARN (a re-delivered
   * stop event changes nothing). Returns the new failure count, or empty if not counted. The first counted
   * failure also sets {@code firstFailureAt} (the guard's time-to-rollback metric).
   */
  public OptionalInt recordTaskFailure(String service, String digest, String taskArn, String reason) {
    Instant now = clock.instant();
    try {
      var r =
          dynamo.updateItem(
              UpdateItemRequest.builder()
                  .tableName(table)
                  .key(deploymentKey(service, digest))
                  .updateExpression(
                      "ADD failureCount :one, failedTasks :task SET reasons = list_append(if_not_exists(reasons,"
                          + " :empty), :r), updatedAt = :now, firstFailureAt = if_not_exists(firstFailureAt, :now)")
                  .conditionExpression(
                      "attribute_exists(pk) AND #st = :rolling AND " + NOT_SUPERSEDED
                          + " AND (attribute_not_exists(failedTasks) OR NOT contains(failedTasks, :arn))")
                  .expressionAttributeNames(Map.of("#st", "status"))
                  .expressionAttributeValues(
                      Map.of(
                          ":one", n(1),
                          ":task", AttributeValue.fromSs(List.of(taskArn)),
                          ":arn", s(taskArn),
                          ":empty", AttributeValue.fromL(List.of()),
                          ":r", AttributeValue.fromL(List.of(s(reason))),
                          ":now", s(now.toString()),
                          ":rolling", s(DeploymentStatus.ROLLING_OUT.name())))
                  .returnValues(ReturnValue.UPDATED_NEW)
                  .build());
      Long count = num(r.attributes(), "failureCount");
      return count == null ? OptionalInt.empty() : OptionalInt.of(count.intValue());
    } catch (ConditionalCheckFailedException notCounted) {
      return OptionalInt.empty();
    }
  }

  /**
   * Moves a deployment from one status to another, only if it is in {@code from} (so that, e.g., a
   * deployment is never rolled back twice). A transition to HEALTHY also makes it the head's
   * {@code lastHealthyDigest}, atomically. Returns false if the deployment was not in {@code from}.
   */
  public boolean transition(
      String service, String digest, DeploymentStatus from, DeploymentStatus to, String reason) {
    Instant now = clock.instant();
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":from", s(from.name()));
    values.put(":to", s(to.name()));
    values.put(":now", s(now.toString()));
    values.put(":empty", AttributeValue.fromL(List.of()));
    values.put(":r", AttributeValue.fromL(reason == null ? List.of() : List.of(s(reason))));
    TransactWriteItem deployment = updateItem(deploymentKey(service, digest),
        "SET #st = :to, statusChangedAt = :now, updatedAt = :now, " + APPEND_REASON,
        from == DeploymentStatus.ROLLING_OUT ? "#st = :from AND " + NOT_SUPERSEDED : "#st = :from", STATUS, values);
    try {
      if (to == DeploymentStatus.HEALTHY) {
        dynamo.transactWriteItems(b -> b.transactItems(deployment,
            updateItem(headKey(service), "SET lastHealthyDigest = :d, updatedAt = :now", null, null,
                Map.of(":d", s(digest), ":now", s(now.toString())))));
      } else {
        dynamo.updateItem(Attributes.request(deployment.update()));
      }
      return true;
    } catch (ConditionalCheckFailedException | TransactionCanceledException notInFrom) {
      return false;
    }
  }

  /**
   * Records a deployment the deployer did not start (owner PIPELINE), for the metrics. Does nothing if a
   * deployment of that digest already exists. Returns whether it was written.
   */
  public boolean recordIfAbsent(Deployment d) {
    try {
      dynamo.putItem(b -> b.tableName(table).item(toItem(d, clock.instant()))
          .conditionExpression("attribute_not_exists(pk)"));
      return true;
    } catch (ConditionalCheckFailedException exists) {
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Mapping

  private boolean conditionalUpdate(
      Map<String, AttributeValue> key,
      String update,
      String condition,
      Map<String, String> names,
      Map<String, AttributeValue> values) {
    try {
      dynamo.updateItem(
          UpdateItemRequest.builder()
              .tableName(table)
              .key(key)
              .updateExpression(update)
              .conditionExpression(condition)
              .expressionAttributeNames(names)
              .expressionAttributeValues(values)
              .build());
      return true;
    } catch (ConditionalCheckFailedException e) {
      return false;
    }
  }

  /** One update of a transaction; {@code condition} and {@code names} may be null. */
  private TransactWriteItem updateItem(Map<String, AttributeValue> key, String update, String condition,
      Map<String, String> names, Map<String, AttributeValue> values) {
    return TransactWriteItem.builder().update(Update.builder().tableName(table).key(key).updateExpression(update)
        .conditionExpression(condition).expressionAttributeNames(names).expressionAttributeValues(values).build())
        .build();
  }

  /** The head update that ends a rollout: {@code set}, the lock removed, conditional on {@code token}. */
  private TransactWriteItem unlockHead(String service, String set, String token, Map<String, AttributeValue> values) {
    Map<String, AttributeValue> v = new HashMap<>(values);
    v.put(":t", s(token));
    return updateItem(headKey(service), set + " REMOVE lockToken, lockUntil", "lockToken = :t", null, v);
  }

  static String servicePk(String service) {
    return "SERVICE#" + service;
  }

  static Map<String, AttributeValue> headKey(String service) {
    return Map.of(PK, s(servicePk(service)), SK, s(HEAD_SK));
  }

  static Map<String, AttributeValue> deploymentKey(String service, String digest) {
    return Map.of(PK, s(servicePk(service)), SK, s(DEPLOYMENT_PREFIX + digest));
  }

  private static Map<String, AttributeValue> toItem(Deployment d, Instant now) {
    Map<String, AttributeValue> i = new HashMap<>(deploymentKey(d.service(), d.digest()));
    i.put("type", s("DEPLOYMENT"));
    i.put("service", s(d.service()));
    putIf(i, "cluster", d.cluster());
    i.put("digest", s(d.digest()));
    putIf(i, "tag", d.tag());
    putIf(i, "repository", d.repository());
    putIf(i, "image", d.image());
    putIf(i, "eventId", d.eventId());
    i.put("pushTime", s(d.pushTime().toString()));
    i.put("orderKey", s(orderKey(d.pushTime(), d.digest())));
    i.put("status", s(d.status().name()));
    i.put("phase", s(d.phase().name()));
    i.put("owner", s(d.owner().name()));
    putIf(i, "newTaskDefinitionArn", d.newTaskDefinitionArn());
    putIf(i, "previousTaskDefinitionArn", d.previousTaskDefinitionArn());
    putIf(i, "previousImage", d.previousImage());
    i.put("failureCount", n(d.failureCount()));
    if (d.failedTasks() != null && !d.failedTasks().isEmpty()) {
      i.put("failedTasks", AttributeValue.fromSs(List.copyOf(d.failedTasks())));
    }
    List<AttributeValue> reasons = new ArrayList<>();
    if (d.reasons() != null) d.reasons().forEach(r -> reasons.add(s(r)));
    i.put("reasons", AttributeValue.fromL(reasons));
    i.put("createdAt", s(now.toString()));
    i.put("updatedAt", s(now.toString()));
    i.put("attempts", n(1));
    return i;
  }

  static Deployment fromItem(Map<String, AttributeValue> i) {
    Set<String> failed = i.containsKey("failedTasks") ? new LinkedHashSet<>(i.get("failedTasks").ss()) : Set.of();
    List<String> reasons = new ArrayList<>();
    if (i.containsKey("reasons") && i.get("reasons").hasL()) {
      i.get("reasons").l().forEach(a -> reasons.add(a.s()));
    }
    Long failures = num(i, "failureCount");
    DeploymentStatus status = DeploymentStatus.valueOf(str(i, "status"));
    if (status == DeploymentStatus.ROLLING_OUT && i.containsKey("supersededBy")) {
      // Superseded lazily: the completion of the newer rollout marked it without a write of its own.
      status = DeploymentStatus.SUPERSEDED;
      reasons.add("superseded by " + str(i, "supersededBy"));
    }
    return new Deployment(
        str(i, "service"),
        str(i, "cluster"),
        str(i, "digest"),
        str(i, "tag"),
        str(i, "repository"),
        str(i, "image"),
        str(i, "eventId"),
        instant(i, "pushTime"),
        status,
        i.containsKey("phase") ? Phase.valueOf(str(i, "phase")) : Phase.CLAIMED,
        i.containsKey("owner") ? Owner.valueOf(str(i, "owner")) : Owner.IMAGE_DEPLOYER,
        str(i, "newTaskDefinitionArn"),
        str(i, "previousTaskDefinitionArn"),
        str(i, "previousImage"),
        failures == null ? 0 : failures.intValue(),
        failed,
        List.copyOf(reasons),
        instant(i, "createdAt"),
        instant(i, "updatedAt"));
  }

  private static void putIf(Map<String, AttributeValue> i, String k, String v) {
    if (v != null && !v.isEmpty()) i.put(k, s(v));
  }

  private static Instant instant(Map<String, AttributeValue> i, String k) {
    String v = str(i, k);
    return v == null ? null : Instant.parse(v);
  }
}
