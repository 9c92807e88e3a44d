package io.gitops.lambdas.guard;

import static io.gitops.lambdas.core.Attributes.n;
import static io.gitops.lambdas.core.Attributes.num;
import static io.gitops.lambdas.core.Attributes.s;
import static io.gitops.lambdas.core.Attributes.str;

import io.gitops.lambdas.core.Attributes;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.LedgerItems;
import io.gitops.lambdas.core.ServiceHead;
import io.gitops.lambdas.core.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The guard's part of the ledger table (same table and keys as {@link LedgerItems}; see docs/ledger.md):
 *
 * <ul>
 *   <li>task items {@code sk = "TASK#<taskArn>"}: the newest state seen of each task (EventBridge delivers
 *       out of order: the event's {@code version}, then {@code updatedAt}, decide which state is newer);
 *   <li>on a deployment item: the rollback lease ({@code rollbackToken}, {@code rollbackLeaseUntil}) and the
 *       revision rolled back to ({@code rolledBackTo});
 *   <li>on the head item: the revision a rollback restored ({@code restored*}), its failures, and
 *       {@code haltedForDigest} when the restored revision failed too (the guard stops acting on the
 *       service until a new push changes {@code currentDigest}).
 * </ul>
 * Every write is conditional, so that a re-delivered or concurrent event never acts twice.
 */
public final class GuardLedger {
  static final String TASK_PREFIX = "TASK#";
  /** The table's TTL attribute (epoch seconds): DynamoDB deletes expired task items on its own. */
  public static final String TTL_ATTRIBUTE = io.gitops.contract.Telemetry.LEDGER_TTL_ATTRIBUTE;
  /** How long a task item is kept: far longer than any rollout is judged. */
  public static final Duration TASK_RETENTION = Duration.ofDays(7);
  /** At most this many task items are read per revision: enough for any service's desired count. */
  static final int MAX_TASKS_READ = 500;

  private final DynamoDbClient dynamo;
  private final String table;
  private final Clock clock;

  public GuardLedger(DynamoDbClient dynamo, String table, Clock clock) {
    this.dynamo = dynamo;
    this.table = table;
    this.clock = clock;
  }

  /** The head's guard fields. {@code head} is empty before the first push or pipeline record. */
  public record ServiceState(
      Optional<ServiceHead> head,
      String restoredDigest,
      String restoredTaskDefinitionArn,
      String restoredForDigest,
      int restoredFailureCount,
      String haltedForDigest) {

    public Optional<String> currentDigest() {
      return head.map(ServiceHead::currentDigest);
    }

    /** The restored revision failed too and no push has arrived since. */
    public boolean halted() {
      return haltedForDigest != null && currentDigest().filter(haltedForDigest::equals).isPresent();
    }

    /** The restored revision of the last rollback, while no new push has arrived since. */
    public Optional<String> activeRestoredRevision() {
      return restoredForDigest != null && currentDigest().filter(restoredForDigest::equals).isPresent()
          ? Optional.ofNullable(restoredTaskDefinitionArn) : Optional.empty();
    }
  }

  /** The deployment the head points at, with the guard's fields. */
  public record Current(Deployment deployment, Optional<Instant> firstFailureAt,
      Optional<String> rolledBackTo, Optional<String> ecsDeploymentId) {}

  /** The head and the deployment it points at: two consistent reads. */
  public record View(ServiceState state, Optional<Current> current) {
    public Optional<Deployment> rollingOut() {
      return current.map(Current::deployment).filter(d -> d.status() == DeploymentStatus.ROLLING_OUT);
    }
  }

  public View view(String service) {
    Map<String, AttributeValue> h = get(LedgerItems.headKey(service));
    Optional<ServiceHead> head = Optional.empty();
    ServiceState state;
    if (h == null) {
      state = new ServiceState(head, null, null, null, 0, null);
    } else {
      head = Optional.of(LedgerItems.headFromItem(service, h));
      Long restoredFailures = num(h, "restoredFailureCount");
      state = new ServiceState(head, str(h, "restoredDigest"), str(h, "restoredTaskDefinitionArn"),
          str(h, "restoredForDigest"), restoredFailures == null ? 0 : restoredFailures.intValue(),
          str(h, "haltedForDigest"));
    }
    Optional<Current> current = Optional.empty();
    String digest = state.currentDigest().orElse(null);
    if (digest != null) {
      Map<String, AttributeValue> d = get(LedgerItems.deploymentKey(service, digest));
      if (d != null) {
        String first = str(d, "firstFailureAt");
        current = Optional.of(new Current(LedgerItems.fromItem(d),
            Optional.ofNullable(first).map(Instant::parse), Optional.ofNullable(str(d, "rolledBackTo")),
            Optional.ofNullable(str(d, "ecsDeploymentId"))));
      }
    }
    return new View(state, current);
  }

  // ------------------------------------------------------------------------------------------------
  // Task tracking

  /** How a task state compared with the newest one already recorded for that task. */
  public enum TaskWrite {
    /** The first or a newer state: recorded. */
    NEWER,
    /** The same state again (a duplicate delivery): nothing written. */
    SAME,
    /** An older state delivered late: nothing written. */
    OLDER
  }

  /** One tracked task: its newest known state. */
  public record TrackedTask(String taskArn, String taskDefinitionArn, String lastStatus, long version,
      Instant updatedAt, Optional<String> privateIp) {}

  /** Records the task's state if it is newer than the one recorded (by version, then updatedAt). */
  public TaskWrite recordTaskState(String service, TrackedTask t) {
    Map<String, AttributeValue> item = new HashMap<>(taskKey(service, t.taskDefinitionArn(), t.taskArn()));
    item.put("type", s("TASK"));
    item.put("service", s(service));
    item.put("taskDefinitionArn", s(t.taskDefinitionArn()));
    item.put("lastStatus", s(t.lastStatus()));
    item.put("version", n(t.version()));
    item.put("updatedAtMs", n(t.updatedAt().toEpochMilli()));
    item.put("recordedAt", s(clock.instant().toString()));
    item.put(TTL_ATTRIBUTE, n(clock.instant().plus(TASK_RETENTION).getEpochSecond()));
    t.privateIp().ifPresent(ip -> item.put("privateIp", s(ip)));
    try {
      dynamo.putItem(b -> b.tableName(table).item(item)
          .conditionExpression("attribute_not_exists(pk) OR version < :v OR (version = :v AND updatedAtMs < :u)")
          .expressionAttributeValues(Map.of(":v", n(t.version()), ":u", n(t.updatedAt().toEpochMilli()))));
      return TaskWrite.NEWER;
    } catch (ConditionalCheckFailedException notNewer) {
      Map<String, AttributeValue> old = get(taskKey(service, t.taskDefinitionArn(), t.taskArn()));
      if (old == null) return TaskWrite.OLDER; // deleted meanwhile: not reachable in practice
      long v = num(old, "version");
      long u = num(old, "updatedAtMs");
      boolean same = v == t.version() && u == t.updatedAt().toEpochMilli()
          && t.lastStatus().equals(str(old, "lastStatus"));
      return same ? TaskWrite.SAME : TaskWrite.OLDER;
    }
  }

  /**
   * The tracked tasks of one revision whose newest known state is RUNNING. Bounded: the key range holds only
   * this revision's tasks ({@code TASK#<revision>#<task>}), and at most {@link #MAX_TASKS_READ} are read.
   */
  public List<TrackedTask> runningTasks(String service, String taskDefinitionArn) {
    List<TrackedTask> out = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    int read = 0;
    do {
      Map<String, AttributeValue> from = start;
      QueryResponse r = dynamo.query(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)
          .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
          .filterExpression("lastStatus = :running")
          .limit(MAX_TASKS_READ)
          .expressionAttributeValues(Map.of(":pk", s(LedgerItems.servicePk(service)),
              ":prefix", s(revisionPrefix(taskDefinitionArn)), ":running", s("RUNNING"))));
      read += r.scannedCount() == null ? r.items().size() : r.scannedCount();
      for (Map<String, AttributeValue> i : r.items()) {
        String sk = str(i, "sk");
        out.add(new TrackedTask(sk.substring(sk.lastIndexOf('#') + 1), str(i, "taskDefinitionArn"),
            str(i, "lastStatus"), num(i, "version"), Instant.ofEpochMilli(num(i, "updatedAtMs")),
            Optional.ofNullable(str(i, "privateIp"))));
      }
      start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null && read < MAX_TASKS_READ);
    return out;
  }

  // ------------------------------------------------------------------------------------------------
  // Rollback: lease, completion, notification

  /**
   * Takes the rollback lease on a ROLLING_OUT deployment: only one invocation acts at a time, and a crashed
   * one's lease lapses before Lambda's retry. Empty if the deployment is not ROLLING_OUT or the lease is held.
   */
  public Optional<String> claimRollback(String service, String digest, Duration lease) {
    Instant now = clock.instant();
    String token = UUID.randomUUID().toString();
    try {
      dynamo.updateItem(b -> b.tableName(table).key(LedgerItems.deploymentKey(service, digest))
          .updateExpression("SET rollbackToken = :t, rollbackLeaseUntil = :u, updatedAt = :now")
          .conditionExpression("#st = :rolling AND " + LedgerItems.NOT_SUPERSEDED + " AND (attribute_not_exists(rollbackLeaseUntil)"
              + " OR rollbackLeaseUntil < :nowMs)")
          .expressionAttributeNames(Map.of("#st", "status"))
          .expressionAttributeValues(Map.of(":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
              ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli()),
              ":rolling", s(DeploymentStatus.ROLLING_OUT.name()))));
      return Optional.of(token);
    } catch (ConditionalCheckFailedException held) {
      return Optional.empty();
    }
  }

  /**
   * As {@link #claimRollback}, and in the same transaction the service lock on the head (the one the image
   * deployer's claim and {@code release rollback} take): no push's UpdateService lands between this rollback's
   * decision and its own. Empty if the deployment is not ROLLING_OUT or its rollback lease is held; a
   * {@link RetryableException} if another actor holds the service lock (a push in flight: when it completes, this
   * rollout is SUPERSEDED and the retry has nothing to do).
   */
  public Optional<String> claimRollbackAndLock(String service, String digest, Duration lease) {
    Instant now = clock.instant();
    String token = UUID.randomUUID().toString();
    Map<String, AttributeValue> values = Map.of(":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
        ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli()), ":rolling", s(DeploymentStatus.ROLLING_OUT.name()));
    Update deployment = Update.builder().tableName(table).key(LedgerItems.deploymentKey(service, digest))
        .updateExpression("SET rollbackToken = :t, rollbackLeaseUntil = :u, updatedAt = :now")
        .conditionExpression("#st = :rolling AND " + LedgerItems.NOT_SUPERSEDED + " AND (attribute_not_exists("
            + "rollbackLeaseUntil) OR rollbackLeaseUntil < :nowMs)")
        .expressionAttributeNames(LedgerItems.STATUS).expressionAttributeValues(values).build();
    Update head = Update.builder().tableName(table).key(LedgerItems.headKey(service))
        .updateExpression("SET lockToken = :t, lockUntil = :u, lockEventId = :e, lockedAt = :nowMs, updatedAt = :now")
        .conditionExpression("attribute_not_exists(lockUntil) OR lockUntil < :nowMs")
        .expressionAttributeValues(Map.of(":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
            ":e", s(LedgerItems.GUARD_LOCK_PREFIX + digest), ":now", s(now.toString()), ":nowMs", n(now.toEpochMilli())))
        .build();
    try {
      Transactions.write(dynamo, List.of(TransactWriteItem.builder().update(deployment).build(),
          TransactWriteItem.builder().update(head).build()));
      return Optional.of(token);
    } catch (TransactionCanceledException cancelled) {
      Transactions.lostRace(cancelled);
      boolean lockHeld = cancelled.hasCancellationReasons() && cancelled.cancellationReasons().size() == 2
          && "ConditionalCheckFailed".equals(cancelled.cancellationReasons().get(1).code())
          && !"ConditionalCheckFailed".equals(cancelled.cancellationReasons().get(0).code());
      if (lockHeld) {
        throw new io.gitops.lambdas.core.RetryableException("BUSY: another actor holds the service lock on " + service
            + "; the rollback of " + digest + " is retried once it is released");
      }
      return Optional.empty();
    }
  }

  /** Best effort after a transient failure: lets the retry take over at once. Never throws. */
  public void releaseRollbackAndLock(String service, String digest, String token) {
    try {
      Transactions.write(dynamo, List.of(
          TransactWriteItem.builder().update(Update.builder().tableName(table)
              .key(LedgerItems.deploymentKey(service, digest)).updateExpression("SET rollbackLeaseUntil = :zero")
              .conditionExpression("rollbackToken = :t").expressionAttributeValues(Map.of(":zero", n(0), ":t", s(token)))
              .build()).build(),
          TransactWriteItem.builder().update(Update.builder().tableName(table).key(LedgerItems.headKey(service))
              .updateExpression("REMOVE lockToken, lockUntil").conditionExpression("lockToken = :t")
              .expressionAttributeValues(Map.of(":t", s(token))).build()).build()));
    } catch (RuntimeException ignored) {
      // both lapse on their own
    }
  }

  /** Best effort after a transient failure: lets the retry take over at once. Never throws. */
  public void releaseRollback(String service, String digest, String token) {
    try {
      dynamo.updateItem(b -> b.tableName(table).key(LedgerItems.deploymentKey(service, digest))
          .updateExpression("SET rollbackLeaseUntil = :zero").conditionExpression("rollbackToken = :t")
          .expressionAttributeValues(Map.of(":zero", n(0), ":t", s(token))));
    } catch (RuntimeException ignored) {
      // the lease lapses on its own
    }
  }

  /**
   * Ends a guarded deployment: ROLLING_OUT → {@code to} (ROLLED_BACK or FAILED), with a reason, conditional on the lease token (or on the status alone when {@code token} is
   * null). With a restored revision, the head records it, so that its own failures are watched.
   * Returns false if the deployment was no longer ROLLING_OUT under this token.
   */
  public boolean finish(String service, String digest, String token, DeploymentStatus to, String reason,
      String restoredDigest, String restoredArn) {
    return finish(service, digest, token, to, reason, restoredDigest, restoredArn, false);
  }

  /**
   * As above; {@code locked}: the rollback holds the service lock under {@code token}
   * ({@link #claimRollbackAndLock}), released in the same transaction.
   */
  public boolean finish(String service, String digest, String token, DeploymentStatus to, String reason,
      String restoredDigest, String restoredArn, boolean locked) {
    Instant now = clock.instant();
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":to", s(to.name()));
    values.put(":rolling", s(DeploymentStatus.ROLLING_OUT.name()));
    values.put(":now", s(now.toString()));
    values.put(":empty", AttributeValue.fromL(List.of()));
    values.put(":r", AttributeValue.fromL(List.of(s(reason))));
    StringBuilder set = new StringBuilder("SET #st = :to, statusChangedAt = :now, updatedAt = :now, "
        + LedgerItems.APPEND_REASON);
    String condition = "#st = :rolling AND " + LedgerItems.NOT_SUPERSEDED;
    if (token != null) {
      condition += " AND rollbackToken = :t";
      values.put(":t", s(token));
    }
    if (restoredArn != null) {
      set.append(", rolledBackTo = :arn");
      values.put(":arn", s(restoredArn));
    }
    Update deployment = Update.builder().tableName(table).key(LedgerItems.deploymentKey(service, digest))
        .updateExpression(set.toString()).conditionExpression(condition)
        .expressionAttributeNames(LedgerItems.STATUS).expressionAttributeValues(values).build();
    try {
      if (restoredArn == null && !locked) {
        dynamo.updateItem(Attributes.request(deployment));
      } else {
        Map<String, AttributeValue> hv = new HashMap<>(Map.of(":now", s(now.toString())));
        String headSet = "SET updatedAt = :now";
        String remove = "";
        if (restoredArn != null) {
          headSet += ", restoredDigest = :rd, restoredTaskDefinitionArn = :ra, restoredForDigest = :bad,"
              + " restoredFailureCount = :zero";
          remove = "restoredFailedTasks";
          hv.putAll(Map.of(":rd", s(restoredDigest == null ? "" : restoredDigest), ":ra", s(restoredArn),
              ":bad", s(digest), ":zero", n(0)));
        }
        String headCondition = null;
        if (locked) {
          remove = remove.isEmpty() ? "lockToken, lockUntil" : remove + ", lockToken, lockUntil";
          // Ours, or lapsed (nobody else's live lock is removed): a lapsed lock of ours may have been taken and
          // lapsed again, and the rollback is recorded all the same.
          headCondition = "lockToken = :t OR attribute_not_exists(lockToken) OR lockUntil < :nowMs";
          hv.put(":t", s(token));
          hv.put(":nowMs", n(now.toEpochMilli()));
        }
        Update head = Update.builder().tableName(table).key(LedgerItems.headKey(service))
            .updateExpression(headSet + (remove.isEmpty() ? "" : " REMOVE " + remove))
            .conditionExpression(headCondition).expressionAttributeValues(hv)
            .build();
        Transactions.write(dynamo, List.of(TransactWriteItem.builder().update(deployment).build(),
            TransactWriteItem.builder().update(head).build()));
      }
      return true;
    } catch (ConditionalCheckFailedException notRolling) {
      return false;
    } catch (TransactionCanceledException notRolling) {
      Transactions.lostRace(notRolling);
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // The restored revision

  /**
   * Counts a failed task of the restored revision, at most once per task ARN. Returns the new count, or
   * empty if not counted (a duplicate, or another revision is restored now).
   */
  public OptionalInt recordRestoredFailure(String service, String restoredArn, String taskArn) {
    try {
      var r = dynamo.updateItem(b -> b.tableName(table).key(LedgerItems.headKey(service))
          .updateExpression("ADD restoredFailureCount :one, restoredFailedTasks :task SET updatedAt = :now")
          .conditionExpression("restoredTaskDefinitionArn = :arn AND (attribute_not_exists(restoredFailedTasks)"
              + " OR NOT contains(restoredFailedTasks, :taskArn))")
          .expressionAttributeValues(Map.of(":one", n(1), ":task", AttributeValue.fromSs(List.of(taskArn)),
              ":taskArn", s(taskArn), ":arn", s(restoredArn), ":now", s(clock.instant().toString())))
          .returnValues(ReturnValue.UPDATED_NEW));
      Long c = num(r.attributes(), "restoredFailureCount");
      return c == null ? OptionalInt.empty() : OptionalInt.of(c.intValue());
    } catch (ConditionalCheckFailedException notCounted) {
      return OptionalInt.empty();
    }
  }

  /**
   * Halts the guard on the service until a push changes its current digest. True only for the call that
   * set it (so that the alert goes out once).
   */
  public boolean halt(String service, String forDigest, String reason) {
    try {
      dynamo.updateItem(b -> b.tableName(table).key(LedgerItems.headKey(service))
          .updateExpression("SET haltedForDigest = :d, haltReason = :r, haltedAt = :now")
          .conditionExpression("attribute_not_exists(haltedForDigest) OR haltedForDigest <> :d")
          .expressionAttributeValues(Map.of(":d", s(forDigest), ":r", s(reason),
              ":now", s(clock.instant().toString()))));
      return true;
    } catch (ConditionalCheckFailedException already) {
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------------

  /**
   * {@code TASK#<revision ARN>#<task ARN>}: a task runs one revision all its life, and the revision in the key
   * keeps {@link #runningTasks} to one revision's key range instead of the service's whole history.
   */
  static Map<String, AttributeValue> taskKey(String service, String taskDefinitionArn, String taskArn) {
    return Map.of(LedgerItems.PK, s(LedgerItems.servicePk(service)), LedgerItems.SK, s(revisionPrefix(taskDefinitionArn) + taskArn));
  }

  static String revisionPrefix(String taskDefinitionArn) {
    return TASK_PREFIX + taskDefinitionArn + "#";
  }

  private Map<String, AttributeValue> get(Map<String, AttributeValue> key) {
    var item = dynamo.getItem(GetItemRequest.builder().tableName(table).key(key).consistentRead(true).build()).item();
    return item == null || item.isEmpty() ? null : item;
  }
}
