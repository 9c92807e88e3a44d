package io.gitops.lambdas.core;

import static io.gitops.lambdas.core.Attributes.n;
import static io.gitops.lambdas.core.LedgerItems.APPEND_REASON;
import static io.gitops.lambdas.core.LedgerItems.DEPLOYMENT_PREFIX;
import static io.gitops.lambdas.core.LedgerItems.NOT_SUPERSEDED;
import static io.gitops.lambdas.core.LedgerItems.STATUS;
import static io.gitops.lambdas.core.LedgerItems.deploymentKey;
import static io.gitops.lambdas.core.LedgerItems.fromItem;
import static io.gitops.lambdas.core.LedgerItems.headFromItem;
import static io.gitops.lambdas.core.LedgerItems.headKey;
import static io.gitops.lambdas.core.LedgerItems.orderKey;
import static io.gitops.lambdas.core.LedgerItems.servicePk;
import static io.gitops.lambdas.core.LedgerItems.toItem;
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
 * This class is the protocol: the image deployer's claim and lock, and the reads and conditional
 * transitions both functions share. The items themselves (keys, attributes, mapping) are
 * {@link LedgerItems}; the guard's own items are the guard's {@code GuardLedger}. The schema and the
 * guarantees are in docs/ledger.md.
 */
public final class Ledger {
  private final DynamoDbClient dynamo;
  private final String table;
  private final Clock clock;
  private final Duration lease;
  private final Duration holderDeadAfter;

  /**
   * @param lease how long a rollout holds the service lock; at least the function timeout, so that a
   *     crashed invocation's lock lapses before Lambda's asynchronous retry (1 minute and later).
   * @param functionTimeout Lambda ends every invocation by then: a lock taken by an attempt of the same event
   *     that long ago belongs to an attempt that is over, and its retry takes the rollout over (docs/ledger.md)
   */
  public Ledger(DynamoDbClient dynamo, String table, Clock clock, Duration lease, Duration functionTimeout) {
    this.dynamo = dynamo;
    this.table = table;
    this.clock = clock;
    this.lease = lease;
    this.holderDeadAfter = functionTimeout;
  }

  /** With the function timeout taken as half the lease (the stack sets the lease to twice the timeout). */
  public Ledger(DynamoDbClient dynamo, String table, Clock clock, Duration lease) {
    this(dynamo, table, clock, lease, lease.dividedBy(2));
  }

  public String table() {
    return table;
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

    /** The service or its environment is frozen: record the push ({@link #recordFrozen}), roll nothing out. */
    record Frozen(String detail) implements Claim {}
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
      // The freeze items are checked in the claim's own transaction (items 3 and 4): a freeze written before the
      // claim stops it, with no read of its own. A FROZEN record of this digest may be claimed over (unfrozen).
      Transactions.write(dynamo, List.of(
          TransactWriteItem.builder().put(Put.builder().tableName(table).item(item)
              .conditionExpression("attribute_not_exists(pk) OR #st = :frozen").expressionAttributeNames(STATUS)
              .expressionAttributeValues(Map.of(":frozen", s(DeploymentStatus.FROZEN.name()))).build()).build(),
          updateItem(headKey(d.service()),
              "SET latestDigest = :d, latestOrderKey = :k, lockToken = :t, lockUntil = :u, lockEventId = :e,"
                  + " lockedAt = :nowMs, updatedAt = :now",
              // A head the guard wrote (a pipeline deployment recorded, a healthy revision moved) has no
              // latestOrderKey until the first push: a comparison with a missing attribute is false.
              "(attribute_not_exists(latestOrderKey) OR latestOrderKey < :k) AND"
                  + " (attribute_not_exists(lockUntil) OR lockUntil < :nowMs)",
              null,
              Map.of(":d", s(d.digest()), ":k", s(key), ":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
                  ":e", s(String.valueOf(d.eventId())), ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli()))),
          notFrozen(LedgerItems.FREEZE_ALL),
          notFrozen(LedgerItems.freezeSk(d.service()))));
      return new Claim.Acquired(token, d, false, now.plus(lease));
    } catch (TransactionCanceledException cancelled) {
      Transactions.lostRace(cancelled);
      List<String> codes = reasonCodes(cancelled, 4);
      if (codes == null || "ConditionalCheckFailed".equals(codes.get(2))
          || "ConditionalCheckFailed".equals(codes.get(3))) {
        Optional<String> frozen = frozen(d.service());
        if (frozen.isPresent()) return new Claim.Frozen(frozen.get());
      }
      return classifyCancelledClaim(d, key, now);
    }
  }

  private TransactWriteItem notFrozen(String sk) {
    return TransactWriteItem.builder().conditionCheck(software.amazon.awssdk.services.dynamodb.model.ConditionCheck
        .builder().tableName(table).key(LedgerItems.freezeKey(sk)).conditionExpression("attribute_not_exists(pk)")
        .build()).build();
  }

  /**
   * Why {@code service} is frozen (its own freeze, else its environment's), or empty if it is not: two
   * consistent reads.
   */
  public Optional<String> frozen(String service) {
    for (String sk : List.of(LedgerItems.freezeSk(service), LedgerItems.FREEZE_ALL)) {
      var item = dynamo.getItem(GetItemRequest.builder().tableName(table).key(LedgerItems.freezeKey(sk))
          .consistentRead(true).build()).item();
      if (item != null && !item.isEmpty()) {
        return Optional.of((LedgerItems.FREEZE_ALL.equals(sk) ? "the environment" : service) + " is frozen since "
            + str(item, "frozenAt") + ": " + str(item, "reason"));
      }
    }
    return Optional.empty();
  }

  /**
   * Records a push that a freeze stopped (status FROZEN, never claimed: the head and its lock are untouched).
   * A re-delivery finds it already recorded; returns whether this call wrote it.
   */
  public boolean recordFrozen(Deployment d, String detail) {
    return recordIfAbsent(d.toBuilder().status(DeploymentStatus.FROZEN).phase(Phase.CLAIMED)
        .reasons(List.of("FROZEN: " + detail)).build());
  }

  private Claim classifyCancelledClaim(Deployment d, String key, Instant now) {
    // The head first: a rollout completes (lock removed, phase RELEASED) in one transaction, so a head read
    // without the lock followed by the deployment read sees that rollout RELEASED, never half-done.
    Optional<ServiceHead> head = head(d.service());
    // A FROZEN record is a push that never claimed anything: the claim may take its place.
    Optional<Deployment> existing = find(d.service(), d.digest()).filter(x -> x.status() != DeploymentStatus.FROZEN);
    if (existing.isPresent()) {
      Deployment e = existing.get();
      if (e.status() != DeploymentStatus.ROLLING_OUT || e.phase() == Phase.RELEASED) {
        return new Claim.Skipped(
            SkipReason.DUPLICATE_DIGEST,
            "digest " + d.digest() + " already has a deployment (" + e.status() + ", tag " + e.tag() + ")");
      }
      // An unfinished rollout of the same digest: running now, or interrupted.
      if (head.isPresent() && head.get().lockedAt(now) && !LedgerItems.lockedByPush(head.get().lockEventId())) {
        // The guard's or an operator's rollback holds the service: this unfinished rollout resumes after it.
        return new Claim.Busy("a rollback (" + head.get().lockEventId() + ") holds the lock on " + d.service());
      }
      if (head.isPresent() && head.get().lockedAt(now)) {
        ServiceHead h = head.get();
        boolean sameEvent = d.eventId() != null && d.eventId().equals(h.lockEventId())
            && d.digest().equals(h.latestDigest());
        if (!sameEvent) {
          // Another event with this digest (the same image under another tag): the holder's own event is
          // retried by Lambda until it completes, so this one has nothing to add.
          return new Claim.Skipped(SkipReason.IN_PROGRESS, "a rollout of " + d.digest() + " is running");
        }
        // The same event again: Lambda's retry of an attempt that crashed or timed out, or a duplicate
        // delivery of a live one. An attempt older than the function timeout is over for sure (Lambda ends it);
        // take its rollout over. Otherwise retry later rather than skip: a skip would count as success and
        // abandon the rollout if the holder has crashed.
        if (h.lockedSince() != null && !h.lockedSince().plus(holderDeadAfter).isAfter(now)) {
          return takeOver(e, now, h.lockToken());
        }
        return new Claim.Busy("event " + d.eventId() + " holds the rollout of " + d.digest()
            + " since " + h.lockedSince() + "; retry once that attempt is surely over");
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
      return takeOver(e, now, null);
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

  /**
   * Takes an unfinished rollout over: from a lapsed lock ({@code heldBy} null), or from a lock still held by
   * an attempt of the same event that is surely over ({@code heldBy} its token).
   */
  private Claim takeOver(Deployment e, Instant now, String heldBy) {
    String token = UUID.randomUUID().toString();
    Map<String, AttributeValue> headValues = new HashMap<>(Map.of(":d", s(e.digest()), ":t", s(token),
        ":u", n(now.plus(lease).toEpochMilli()), ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli()),
        ":e", s(String.valueOf(e.eventId()))));
    String headCondition = "latestDigest = :d AND (attribute_not_exists(lockUntil) OR lockUntil < :nowMs)";
    if (heldBy != null) {
      headCondition = "latestDigest = :d AND lockToken = :old";
      headValues.put(":old", s(heldBy));
    }
    try {
      Transactions.write(dynamo, List.of(
          updateItem(headKey(e.service()), "SET lockToken = :t, lockUntil = :u, lockEventId = :e, lockedAt = :nowMs,"
                  + " updatedAt = :now", headCondition, null, headValues),
          updateItem(deploymentKey(e.service(), e.digest()), "SET leaseToken = :t, updatedAt = :now ADD attempts :one",
              "#st = :rolling AND phase <> :released", STATUS,
              Map.of(":t", s(token), ":now", s(now.toString()), ":one", n(1),
                  ":rolling", s(DeploymentStatus.ROLLING_OUT.name()), ":released", s(Phase.RELEASED.name())))));
      return new Claim.Acquired(token, e, true, now.plus(lease));
    } catch (TransactionCanceledException lost) {
      Transactions.lostRace(lost);
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
    return completeRollout(service, digest, token, newArn, previousArn, previousImage, supersededDigest, null);
  }

  /**
   * As above, also recording {@code ecsDeploymentId}: the id of the PRIMARY deployment UpdateService started,
   * which the guard matches against the {@code deploymentId} of ECS deployment state change events.
   */
  public boolean completeRollout(String service, String digest, String token, String newArn, String previousArn,
      String previousImage, String supersededDigest, String ecsDeploymentId) {
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
    if (ecsDeploymentId != null) {
      set.append(", ecsDeploymentId = :ecsId");
      values.put(":ecsId", s(ecsDeploymentId));
    }
    // Superseded: the deployment whose image the service ran, and the head's current deployment if that is
    // another one (e.g. ECS's breaker or a pipeline deployment replaced it before the guard judged it: it would
    // otherwise stay ROLLING_OUT for good). The head's condition checks the guess; a miss costs one read.
    List<String> superseded = new ArrayList<>();
    if (supersededDigest != null && !supersededDigest.equals(digest)) superseded.add(supersededDigest);
    for (int round = 0; round < 4; round++) {
      List<TransactWriteItem> items = new ArrayList<>();
      items.add(updateItem(deploymentKey(service, digest), set.toString(), "leaseToken = :t", null, values));
      Map<String, AttributeValue> headValues = new HashMap<>(Map.of(":d", s(digest), ":arn", s(newArn),
          ":now", s(now.toString()), ":t", s(token)));
      StringBuilder known = new StringBuilder(":d");
      for (int i = 0; i < superseded.size(); i++) {
        known.append(", :s").append(i);
        headValues.put(":s" + i, s(superseded.get(i)));
      }
      items.add(updateItem(headKey(service), "SET currentDigest = :d, currentTaskDefinitionArn = :arn, updatedAt = :now"
              + " REMOVE lockToken, lockUntil",
          "lockToken = :t AND (attribute_not_exists(currentDigest) OR currentDigest IN (" + known + "))", null,
          headValues));
      for (String sup : superseded) {
        items.add(updateItem(deploymentKey(service, sup), "SET supersededBy = :d, supersededAt = :now",
            "attribute_exists(pk)", null, Map.of(":d", s(digest), ":now", s(now.toString()))));
      }
      try {
        Transactions.write(dynamo, items);
        return true;
      } catch (TransactionCanceledException cancelled) {
        Transactions.lostRace(cancelled);
        List<String> reasons = reasonCodes(cancelled, items.size());
        if (reasons == null || "ConditionalCheckFailed".equals(reasons.get(0))) return false; // lease lost
        List<String> next = new ArrayList<>();
        for (int i = 0; i < superseded.size(); i++) {
          // A superseded deployment not in the ledger (an image set outside the deployer): nothing to mark.
          if (!"ConditionalCheckFailed".equals(reasons.get(2 + i))) next.add(superseded.get(i));
        }
        if ("ConditionalCheckFailed".equals(reasons.get(1))) {
          Optional<ServiceHead> head = head(service);
          if (head.isEmpty() || !token.equals(head.get().lockToken())) return false; // lock lost
          String current = head.get().currentDigest();
          if (current != null && !current.equals(digest) && !next.contains(current)) next.add(current);
        }
        if (next.equals(superseded)) return false;
        superseded = next;
      }
    }
    return false;
  }

  /** The cancellation reason codes, one per item ("None" where absent), or null if DynamoDB sent none. */
  private static List<String> reasonCodes(TransactionCanceledException e, int size) {
    if (!e.hasCancellationReasons() || e.cancellationReasons().size() != size) return null;
    List<String> out = new ArrayList<>();
    e.cancellationReasons().forEach(r -> out.add(r.code() == null ? "None" : r.code()));
    return out;
  }

  /** Marks a claimed deployment FAILED and releases the lock (permanent failure). */
  public boolean failRollout(String service, String digest, String token, String reason) {
    Instant now = clock.instant();
    try {
      Transactions.write(dynamo, List.of(
          updateItem(deploymentKey(service, digest), "SET #st = :failed, " + APPEND_REASON
                  + ", statusChangedAt = :now, updatedAt = :now", "leaseToken = :t", STATUS,
              Map.of(":failed", s(DeploymentStatus.FAILED.name()), ":empty", AttributeValue.fromL(List.of()),
                  ":r", AttributeValue.fromL(List.of(s(reason))), ":now", s(now.toString()), ":t", s(token))),
          unlockHead(service, "SET updatedAt = :now", token, Map.of(":now", s(now.toString())))));
      return true;
    } catch (TransactionCanceledException lost) {
      Transactions.lostRace(lost);
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

  /**
   * The deployment whose rollout started ECS deployment {@code ecsDeploymentId} (recorded at completion), if
   * any. A query over the service's deployment items: used only for a deployment event that is not the
   * current rollout's.
   */
  public Optional<Deployment> findByEcsDeploymentId(String service, String ecsDeploymentId) {
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      QueryResponse r = dynamo.query(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)
          .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
          .filterExpression("ecsDeploymentId = :id")
          .expressionAttributeValues(Map.of(":pk", s(servicePk(service)), ":prefix", s(DEPLOYMENT_PREFIX),
              ":id", s(ecsDeploymentId))));
      if (!r.items().isEmpty()) return Optional.of(fromItem(r.items().get(0)));
      start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    return Optional.empty();
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
    return transition(service, digest, from, to, reason, null);
  }

  /**
   * As above; a transition to HEALTHY with {@code healthyRevision} also records that revision on the head
   * ({@code lastHealthyTaskDefinitionArn}): the rollback target is a revision, not only a digest, so that a
   * configuration-only pipeline deployment of the same image is what a later rollback restores.
   */
  public boolean transition(String service, String digest, DeploymentStatus from, DeploymentStatus to, String reason,
      String healthyRevision) {
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
        TransactWriteItem head = healthyRevision == null
            ? updateItem(headKey(service), "SET lastHealthyDigest = :d, updatedAt = :now REMOVE lastHealthyTaskDefinitionArn",
                null, null, Map.of(":d", s(digest), ":now", s(now.toString())))
            : updateItem(headKey(service), "SET lastHealthyDigest = :d, lastHealthyTaskDefinitionArn = :arn,"
                + " updatedAt = :now", null, null,
                Map.of(":d", s(digest), ":arn", s(healthyRevision), ":now", s(now.toString())));
        Transactions.write(dynamo, List.of(deployment, head));
      } else {
        dynamo.updateItem(Attributes.request(deployment.update()));
      }
      return true;
    } catch (ConditionalCheckFailedException notInFrom) {
      return false;
    } catch (TransactionCanceledException notInFrom) {
      Transactions.lostRace(notInFrom);
      return false;
    }
  }

  /**
   * A HEALTHY deployment now runs as another revision (a configuration-only pipeline deployment of the same
   * image reached steady state): that revision becomes the rollback target. Conditional on the deployment
   * still being HEALTHY. Returns whether it was written.
   */
  public boolean moveHealthyRevision(String service, String digest, String revision, String reason) {
    Instant now = clock.instant();
    try {
      Transactions.write(dynamo, List.of(
          updateItem(deploymentKey(service, digest), "SET newTaskDefinitionArn = :arn, updatedAt = :now, " + APPEND_REASON,
              "#st = :healthy", STATUS, Map.of(":arn", s(revision), ":now", s(now.toString()),
                  ":healthy", s(DeploymentStatus.HEALTHY.name()), ":empty", AttributeValue.fromL(List.of()),
                  ":r", AttributeValue.fromL(List.of(s(reason))))),
          updateItem(headKey(service), "SET lastHealthyDigest = :d, lastHealthyTaskDefinitionArn = :arn,"
              + " updatedAt = :now", null, null, Map.of(":d", s(digest), ":arn", s(revision), ":now", s(now.toString())))));
      return true;
    } catch (TransactionCanceledException notHealthy) {
      Transactions.lostRace(notHealthy);
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
  // Writes

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

}
