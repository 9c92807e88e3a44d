package io.gitops.lambdas.core;

import static io.gitops.lambdas.core.Attributes.n;
import static io.gitops.lambdas.core.Attributes.num;
import static io.gitops.lambdas.core.Attributes.s;
import static io.gitops.lambdas.core.Attributes.str;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The ledger's items: keys, the expressions every writer shares, and the mapping between items and
 * {@link Deployment}/{@link ServiceHead} (docs/ledger.md). No calls to DynamoDB here: {@link Ledger} holds the
 * protocol, the guard's {@code GuardLedger} its own items.
 *
 * <p>Keys: {@code pk = "SERVICE#<service>"}; {@code sk = "HEAD"} for the per-service pointer item and
 * {@code sk = "DEPLOYMENT#<digest>"} for each deployment.
 */
public final class LedgerItems {
  public static final String PK = "pk";
  public static final String SK = "sk";
  public static final String HEAD_SK = "HEAD";
  public static final String DEPLOYMENT_PREFIX = "DEPLOYMENT#";
  /**
   * Part of every condition on {@code status = ROLLING_OUT}: a deployment a newer release replaced is
   * SUPERSEDED (see {@link Ledger#completeRollout}) even while its stored status still says ROLLING_OUT.
   */
  public static final String NOT_SUPERSEDED = "attribute_not_exists(supersededBy)";
  /** Appends {@code :r} (a list) to {@code reasons}; needs {@code :empty} (an empty list). */
  public static final String APPEND_REASON = "reasons = list_append(if_not_exists(reasons, :empty), :r)";
  /** {@code #st}, since {@code status} is a DynamoDB reserved word. */
  public static final Map<String, String> STATUS = Map.of("#st", "status");

  /**
   * The partition of the freeze items ({@code bin/gitops release freeze}): {@code sk = FREEZE_ALL} freezes the
   * whole environment (the table is per environment), {@code sk = "SERVICE#<service>"} one service. In the
   * ledger rather than in SSM so that the image deployer's claim checks them in its own transaction: no extra
   * call per push, no grant beyond the table, and no push slips between a check and the claim.
   */
  public static final String FREEZE_PK = "FREEZE";
  public static final String FREEZE_ALL = "ALL";

  /**
   * The head's {@code lockEventId} when the lock is not a push's: the guard's rollback ({@code + digest}) and an
   * operator's rollback ({@code + token}). Push event ids (EventBridge's UUIDs) never contain a colon.
   */
  public static final String GUARD_LOCK_PREFIX = "guard-rollback:";
  public static final String OPERATOR_LOCK_PREFIX = "operator-rollback:";

  /** Whether the lock a head names is a push's rollout (not the guard's or an operator's rollback). */
  public static boolean lockedByPush(String lockEventId) {
    return lockEventId == null || !lockEventId.contains(":");
  }

  private LedgerItems() {}

  public static Map<String, AttributeValue> freezeKey(String sk) {
    return Map.of(PK, s(FREEZE_PK), SK, s(sk));
  }

  /** The freeze item's sort key for one service. */
  public static String freezeSk(String service) {
    return servicePk(service);
  }

  /** {@code <16-digit epoch millis>#<digest>}: newer pushes sort later; ties break on the digest. */
  public static String orderKey(Instant pushTime, String digest) {
    return String.format("%016d#%s", pushTime.toEpochMilli(), digest);
  }

  public static ServiceHead headFromItem(String service, Map<String, AttributeValue> item) {
    Long lockUntil = num(item, "lockUntil");
    Long lockedAt = num(item, "lockedAt");
    return new ServiceHead(service, str(item, "latestDigest"), str(item, "latestOrderKey"),
        str(item, "currentDigest"), str(item, "currentTaskDefinitionArn"), str(item, "lastHealthyDigest"),
        str(item, "lockToken"), lockUntil == null ? null : Instant.ofEpochMilli(lockUntil),
        str(item, "lockEventId"), lockedAt == null ? null : Instant.ofEpochMilli(lockedAt),
        str(item, "lastHealthyTaskDefinitionArn"));
  }

  public static String servicePk(String service) {
    return "SERVICE#" + service;
  }

  public static Map<String, AttributeValue> headKey(String service) {
    return Map.of(PK, s(servicePk(service)), SK, s(HEAD_SK));
  }

  public static Map<String, AttributeValue> deploymentKey(String service, String digest) {
    return Map.of(PK, s(servicePk(service)), SK, s(DEPLOYMENT_PREFIX + digest));
  }

  static Map<String, AttributeValue> toItem(Deployment d, Instant now) {
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

  public static Deployment fromItem(Map<String, AttributeValue> i) {
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
    return Deployment.builder()
        .service(str(i, "service"))
        .cluster(str(i, "cluster"))
        .digest(str(i, "digest"))
        .tag(str(i, "tag"))
        .repository(str(i, "repository"))
        .image(str(i, "image"))
        .eventId(str(i, "eventId"))
        .pushTime(instant(i, "pushTime"))
        .status(status)
        .phase(i.containsKey("phase") ? Phase.valueOf(str(i, "phase")) : Phase.CLAIMED)
        .owner(i.containsKey("owner") ? Owner.valueOf(str(i, "owner")) : Owner.IMAGE_DEPLOYER)
        .newTaskDefinitionArn(str(i, "newTaskDefinitionArn"))
        .previousTaskDefinitionArn(str(i, "previousTaskDefinitionArn"))
        .previousImage(str(i, "previousImage"))
        .failureCount(failures == null ? 0 : failures.intValue())
        .failedTasks(failed)
        .reasons(List.copyOf(reasons))
        .createdAt(instant(i, "createdAt"))
        .updatedAt(instant(i, "updatedAt"))
        .build();
  }

  private static void putIf(Map<String, AttributeValue> i, String k, String v) {
    if (v != null && !v.isEmpty()) i.put(k, s(v));
  }

  private static Instant instant(Map<String, AttributeValue> i, String k) {
    String v = str(i, k);
    return v == null ? null : Instant.parse(v);
  }
}
