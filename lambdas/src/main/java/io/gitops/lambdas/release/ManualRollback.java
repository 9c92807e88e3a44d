package io.gitops.lambdas.release;

import static io.gitops.lambdas.core.Attributes.n;
import static io.gitops.lambdas.core.Attributes.s;

import io.gitops.lambdas.core.AwsTime;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.LedgerItems;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.Phase;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.ServiceHead;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.core.TaskDefinitions;
import io.gitops.lambdas.core.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;

/**
 * {@code bin/gitops release rollback ENV SERVICE [--to DIGEST]}: an operator's rollback through the ledger, under
 * the same lock as the image deployer's rollouts (the head's {@code lockToken}/{@code lockUntil}: a push that
 * arrives meanwhile is retried, never interleaved) and the guard's invariants: never onto a FAILED or ROLLED_BACK
 * deployment, never while the guard is still judging a rollout, each status change conditional (docs/ledger.md,
 * "Operator rollback").
 *
 * <p>Target: the newest HEALTHY deployment other than the running one, or {@code --to} a digest whose deployment
 * is HEALTHY or FROZEN (a push a freeze held back: it is rolled out now and the guard judges it as any rollout).
 * Steps: lock, UpdateService, release parameter, notification, then one transaction: the head points at the
 * target (and, for a HEALTHY target, makes it the rollback target), the running deployment becomes ROLLED_BACK
 * (when going back to an older HEALTHY one), the target records the rollback, the lock is released.
 */
public final class ManualRollback {
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  /** What the rollback did. */
  public record Result(String service, String fromDigest, String toDigest, String toTag, String revision,
      DeploymentStatus targetStatus, boolean ledgerUpdated) {}

  private final DynamoDbClient dynamo;
  private final String table;
  private final Ledger ledger;
  private final EcsClient ecs;
  private final ReleaseParameters releases;
  private final Notifier notifier;
  private final Clock clock;
  private final Duration lease;
  private final String environment;

  public ManualRollback(DynamoDbClient dynamo, String table, EcsClient ecs, ReleaseParameters releases,
      Notifier notifier, Clock clock, Duration lease, String environment) {
    this.dynamo = dynamo;
    this.table = table;
    this.ledger = new Ledger(dynamo, table, clock, lease);
    this.ecs = ecs;
    this.releases = releases;
    this.notifier = notifier;
    this.clock = clock;
    this.lease = lease;
    this.environment = environment;
  }

  /** Checks {@code --to}'s form before anything is read. */
  public static void checkDigest(String digest) {
    if (digest != null && !DIGEST.matcher(digest).matches()) {
      throw new RollbackRefused("malformed digest '" + digest + "' (expected sha256: and 64 hex digits)");
    }
  }

  public Result rollback(ServiceTarget t, String toDigest, String operator) {
    checkDigest(toDigest);
    // The lock's times are compared by the functions with their clocks: date it by AWS's (the head's read answers
    // with it), never by this machine's, which may be minutes off.
    var read = dynamo.getItem(b -> b.tableName(table).key(LedgerItems.headKey(t.service())).consistentRead(true));
    Clock clock = AwsTime.aligned(this.clock, read);
    Ledger ledger = new Ledger(dynamo, table, clock, lease);
    String token = lock(t.service(), clock, ledger);
    boolean released = false;
    try {
      ServiceHead head = ledger.head(t.service()).orElseThrow();
      var service = ecs.describeServices(b -> b.cluster(t.cluster()).services(t.service())).services().stream()
          .filter(s -> "ACTIVE".equals(s.status())).findFirst()
          .orElseThrow(() -> new RollbackRefused("service " + t.service() + " is not ACTIVE in " + t.cluster()));
      String runningArn = service.taskDefinition();
      var runningDef = ecs.describeTaskDefinition(b -> b.taskDefinition(runningArn).include(TaskDefinitionField.TAGS));
      String runningImage = TaskDefinitions.imageOf(runningDef.taskDefinition(), t.container());
      String runningDigest = ReleaseParameters.digestOf(runningImage).orElse(null);
      Optional<Deployment> running = runningDigest == null ? Optional.empty() : ledger.find(t.service(), runningDigest);
      if (running.filter(d -> d.status() == DeploymentStatus.ROLLING_OUT).isPresent()) {
        throw new RollbackRefused("the guard is still judging the rollout of " + runningDigest + " on " + t.service()
            + "; wait for its verdict (it rolls a failure back itself), then try again", true);
      }
      Deployment target = choose(t, toDigest, runningDigest);
      String revision = revisionFor(t, target, head, runningDef);
      var updated = ecs.updateService(b -> b.cluster(t.cluster()).service(t.service()).taskDefinition(revision));
      String ecsDeploymentId = io.gitops.lambdas.deployer.ImageDeployer.primaryDeploymentId(updated.service(), revision);
      releases.put(t.releaseParameter(), target.image());
      boolean back = target.status() == DeploymentStatus.HEALTHY;
      notifier.publish((back ? "Rolled back " : "Rolled out held-back ") + t.service() + " to "
          + label(target) + " (operator)", Json.obj().put("event", "MANUAL_ROLLBACK")
          .put("service", t.service()).put("cluster", t.cluster()).put("fromDigest", runningDigest)
          .put("fromRevision", runningArn).put("restoredDigest", target.digest()).put("restoredTag", target.tag())
          .put("restoredRevision", revision).put("restoredImage", target.image())
          .put("targetWas", target.status().name()).put("operator", operator).put("environment", environment));
      boolean recorded = complete(clock, t.service(), token, target, revision, runningArn, runningImage,
          running.filter(d -> back && d.status() == DeploymentStatus.HEALTHY).map(Deployment::digest).orElse(null),
          operator, ecsDeploymentId);
      released = recorded;
      return new Result(t.service(), runningDigest, target.digest(), target.tag(), revision, target.status(), recorded);
    } finally {
      if (!released) unlock(t.service(), token);
    }
  }

  /** The head's lock, as the deployer's claim takes it; the service must have a ledger head. */
  private String lock(String service, Clock clock, Ledger ledger) {
    Instant now = clock.instant();
    String token = UUID.randomUUID().toString();
    try {
      dynamo.updateItem(b -> b.tableName(table).key(LedgerItems.headKey(service))
          .updateExpression("SET lockToken = :t, lockUntil = :u, lockEventId = :e, lockedAt = :nowMs, updatedAt = :now")
          .conditionExpression("attribute_exists(pk) AND (attribute_not_exists(lockUntil) OR lockUntil < :nowMs)")
          .expressionAttributeValues(Map.of(":t", s(token), ":u", n(now.plus(lease).toEpochMilli()),
              ":e", s(LedgerItems.OPERATOR_LOCK_PREFIX + token), ":nowMs", n(now.toEpochMilli()), ":now", s(now.toString()))));
      return token;
    } catch (ConditionalCheckFailedException e) {
      Optional<ServiceHead> head = ledger.head(service);
      if (head.isEmpty()) {
        throw new RollbackRefused("the ledger has no release of " + service + " to roll back from");
      }
      throw new RollbackRefused("a rollout of " + head.get().latestDigest() + " holds the lock on " + service
          + " until " + head.get().lockUntil() + "; try again then", true);
    }
  }

  private void unlock(String service, String token) {
    try {
      dynamo.updateItem(b -> b.tableName(table).key(LedgerItems.headKey(service))
          .updateExpression("REMOVE lockToken, lockUntil").conditionExpression("lockToken = :t")
          .expressionAttributeValues(Map.of(":t", s(token))));
    } catch (software.amazon.awssdk.core.exception.SdkException lapsed) {
      // Lapses on its own after the lease.
    }
  }

  private Deployment choose(ServiceTarget t, String toDigest, String runningDigest) {
    if (toDigest != null) {
      Deployment d = ledger.find(t.service(), toDigest).orElseThrow(() -> new RollbackRefused("the ledger has no"
          + " deployment of " + toDigest + " for " + t.service() + " (see 'release history')"));
      if (d.status() != DeploymentStatus.HEALTHY && d.status() != DeploymentStatus.FROZEN) {
        throw new RollbackRefused(toDigest + " is " + d.status() + "; only a HEALTHY release or a FROZEN push can be"
            + " rolled out by hand");
      }
      if (d.status() == DeploymentStatus.FROZEN) {
        // A rollback to a HEALTHY release is what a freeze is for; rolling a held-back push out is not.
        ledger.frozen(t.service()).ifPresent(why -> {
          throw new RollbackRefused(why + "; unfreeze before rolling out the held-back push " + toDigest);
        });
      }
      if (toDigest.equals(runningDigest)) {
        throw new RollbackRefused(t.service() + " already runs " + toDigest);
      }
      if (d.image() == null) throw new RollbackRefused("the ledger names no image for " + toDigest);
      return d;
    }
    List<Deployment> history = new ArrayList<>(ledger.history(t.service()));
    java.util.Collections.reverse(history);
    return history.stream()
        .filter(d -> d.status() == DeploymentStatus.HEALTHY && d.image() != null && !d.digest().equals(runningDigest))
        .findFirst()
        .orElseThrow(() -> new RollbackRefused("no earlier HEALTHY release of " + t.service() + " to roll back to"));
  }

  /**
   * A HEALTHY target's own revision (the head's recorded one if it is the last healthy), registered again if
   * CloudFormation deregistered it; a FROZEN push never had one: the running definition with its image.
   */
  private String revisionFor(ServiceTarget t, Deployment target, ServiceHead head,
      software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse running) {
    String revision = null;
    if (target.status() == DeploymentStatus.HEALTHY) {
      revision = target.digest().equals(head.lastHealthyDigest()) && head.lastHealthyTaskDefinitionArn() != null
          ? head.lastHealthyTaskDefinitionArn() : target.newTaskDefinitionArn();
    }
    if (revision != null) {
      String arn = revision;
      try {
        var described = ecs.describeTaskDefinition(b -> b.taskDefinition(arn).include(TaskDefinitionField.TAGS));
        if (!"INACTIVE".equals(described.taskDefinition().statusAsString())) return revision;
        running = described; // UpdateService to an INACTIVE revision fails on AWS: register its definition again
      } catch (software.amazon.awssdk.services.ecs.model.EcsException refused) {
        // ECS may refuse to describe an INACTIVE revision (API reference): the running definition, target image.
        if (io.gitops.lambdas.core.Failures.isTransient(refused)) throw refused;
      }
    }
    var clone = TaskDefinitions.withRolloutTags(TaskDefinitions.cloneWithImage(running, t.container(), target.image()),
        target.digest(), running.taskDefinition().taskDefinitionArn());
    return ecs.registerTaskDefinition(clone).taskDefinition().taskDefinitionArn();
  }

  /** The ledger's side, in one transaction conditional on this rollback's lock; false if the lock lapsed. */
  private boolean complete(Clock clock, String service, String token, Deployment target, String revision, String runningArn,
      String runningImage, String rolledBackDigest, String operator, String ecsDeploymentId) {
    Instant now = clock.instant();
    String why = "operator rollback by " + operator + " to " + label(target) + " as "
        + revision.substring(revision.lastIndexOf('/') + 1);
    boolean healthy = target.status() == DeploymentStatus.HEALTHY;
    List<TransactWriteItem> items = new ArrayList<>();
    Map<String, AttributeValue> hv = new HashMap<>(Map.of(":d", s(target.digest()), ":arn", s(revision),
        ":now", s(now.toString()), ":t", s(token)));
    items.add(update(LedgerItems.headKey(service), "SET currentDigest = :d, currentTaskDefinitionArn = :arn,"
        + " updatedAt = :now" + (healthy ? ", lastHealthyDigest = :d, lastHealthyTaskDefinitionArn = :arn" : "")
        + " REMOVE lockToken, lockUntil", "lockToken = :t", null, hv));
    Map<String, AttributeValue> tv = new HashMap<>(Map.of(":now", s(now.toString()),
        ":empty", AttributeValue.fromL(List.of()), ":r", AttributeValue.fromL(List.of(s(why))),
        ":was", s(target.status().name())));
    if (healthy) {
      items.add(update(LedgerItems.deploymentKey(service, target.digest()), "SET updatedAt = :now, restoredAt = :now, "
          + LedgerItems.APPEND_REASON, "#st = :was", LedgerItems.STATUS, tv));
    } else {
      // Released as the deployer would have: the guard judges it (HEALTHY, or rolled back to the last healthy).
      tv.put(":rolling", s(DeploymentStatus.ROLLING_OUT.name()));
      tv.put(":released", s(Phase.RELEASED.name()));
      tv.put(":arn", s(revision));
      tv.put(":prev", s(runningArn));
      tv.put(":prevImage", s(runningImage));
      // The rollout starts now: the guard's grace period and its cutoff for older events count from createdAt, and
      // it matches ECS's deployment events by ecsDeploymentId (as for the deployer's rollouts).
      String ecsId = "";
      if (ecsDeploymentId != null) {
        tv.put(":ecsId", s(ecsDeploymentId));
        ecsId = ", ecsDeploymentId = :ecsId";
      }
      items.add(update(LedgerItems.deploymentKey(service, target.digest()), "SET #st = :rolling, phase = :released,"
          + " newTaskDefinitionArn = :arn, previousTaskDefinitionArn = :prev, previousImage = :prevImage,"
          + " releasedAt = :now, createdAt = :now, statusChangedAt = :now, updatedAt = :now" + ecsId + ", "
          + LedgerItems.APPEND_REASON, "#st = :was", LedgerItems.STATUS, tv));
    }
    if (rolledBackDigest != null && !rolledBackDigest.equals(target.digest())) {
      items.add(update(LedgerItems.deploymentKey(service, rolledBackDigest), "SET #st = :rb,"
          + " updatedAt = :now, rolledBackAt = :now, rolledBackTo = :arn, rolledBackBy = :op, " + LedgerItems.APPEND_REASON,
          "#st = :healthy", LedgerItems.STATUS, Map.of(":rb", s(DeploymentStatus.ROLLED_BACK.name()),
              ":healthy", s(DeploymentStatus.HEALTHY.name()), ":now", s(now.toString()), ":arn", s(revision),
              ":op", s("OPERATOR"), ":empty", AttributeValue.fromL(List.of()),
              ":r", AttributeValue.fromL(List.of(s(why))))));
    }
    try {
      Transactions.write(dynamo, items);
      return true;
    } catch (TransactionCanceledException lost) {
      Transactions.lostRace(lost);
      return false;
    }
  }

  private TransactWriteItem update(Map<String, AttributeValue> key, String expr, String condition,
      Map<String, String> names, Map<String, AttributeValue> values) {
    return TransactWriteItem.builder().update(Update.builder().tableName(table).key(key).updateExpression(expr)
        .conditionExpression(condition).expressionAttributeNames(names).expressionAttributeValues(values).build())
        .build();
  }

  private static String label(Deployment d) {
    return d.tag() == null || d.tag().isEmpty() ? d.digest() : d.tag() + " (" + d.digest() + ")";
  }
}
