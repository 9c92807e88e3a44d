package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.core.ServiceHead;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.core.TaskDefinitions;
import io.gitops.lambdas.guard.GuardOutcome.Action;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecs.EcsClient;
import io.gitops.lambdas.core.Failures;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.EcsException;
import software.amazon.awssdk.services.ecs.model.SortOrder;
import software.amazon.awssdk.services.ecs.model.Tag;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionStatus;

/**
 * The guard's rollback of a failed rollout: the rollback lease on the deployment, the choice of target (the
 * last HEALTHY revision, else what ran before), re-registration of a target CloudFormation deregistered,
 * UpdateService, the release parameter, the notification, and the conditional ROLLING_OUT → ROLLED_BACK
 * transition (docs/ledger.md). {@link DeploymentGuard} decides when; this class does it, at most once.
 */
final class Rollback {
  private final LambdaConfig config;
  private final EcsClient ecs;
  private final Ledger ledger;
  private final GuardLedger guardLedger;
  private final ReleaseParameters releases;
  private final Notifier notifier;
  private final Metrics metrics;
  private final Log log;
  private final Clock clock;

  Rollback(LambdaConfig config, EcsClient ecs, Ledger ledger, GuardLedger guardLedger, ReleaseParameters releases,
      Notifier notifier, Metrics metrics, Log log, Clock clock) {
    this.config = config;
    this.ecs = ecs;
    this.ledger = ledger;
    this.guardLedger = guardLedger;
    this.releases = releases;
    this.notifier = notifier;
    this.metrics = metrics;
    this.log = log;
    this.clock = clock;
  }

  /**
   * Rolls {@code d} back to the last HEALTHY revision: UpdateService, release parameter, notification, then the
   * conditional ROLLING_OUT → ROLLED_BACK transition. With no healthy revision: alert and FAILED.
   */
  GuardOutcome perform(Log l, ServiceTarget target, GuardLedger.View view, Deployment d, String code,
      String why, Instant firstFailure, boolean coldStart) {
    Optional<String> token = guardLedger.claimRollbackAndLock(target.service(), d.digest(), config.lockLease());
    if (token.isEmpty()) {
      return alreadyHandled(target, d);
    }
    try {
      Optional<Target> healthy = rollbackTarget(view, d);
      if (healthy.isEmpty()) {
        String reason = "NO_HEALTHY_REVISION: " + why + "; no HEALTHY revision is known to roll back to";
        notifier.publish("Rollout failed, no rollback target: " + target.service(), Json.obj()
            .put("event", "ROLLOUT_FAILED_NO_TARGET").put("service", target.service()).put("cluster", target.cluster())
            .put("badDigest", d.digest()).put("badRevision", d.newTaskDefinitionArn()).put("reasons", d.reasons())
            .put("environment", config.environmentName()));
        AfterPublish.write(log, () -> guardLedger.finish(target.service(), d.digest(), token.get(), DeploymentStatus.FAILED,
            reason, null, null, true));
        metrics.count("RollbacksImpossible", coldStart);
        l.error("rollout failed and no healthy revision is known", "reasons", d.reasons());
        return GuardOutcome.of(Action.FAILED, "NO_HEALTHY_REVISION", why + "; no HEALTHY revision to roll back to")
            .about(target.service(), d.digest(), d.newTaskDefinitionArn());
      }
      Target to = healthy.get();
      String revision = usable(target, to, d);
      ecs.updateService(b -> b.cluster(target.cluster()).service(target.service()).taskDefinition(revision));
      releases.put(target.releaseParameter(), to.image());
      notifier.publish("Rolled back " + target.service() + " to " + to.label(), Json.obj().put("event", "ROLLED_BACK")
          .put("service", target.service())
          .put("cluster", target.cluster()).put("badDigest", d.digest()).put("badTag", d.tag())
          .put("badRevision", d.newTaskDefinitionArn()).put("reasons", d.reasons()).put("trigger", code)
          .put("restoredRevision", revision).put("restoredDigest", to.digest()).put("restoredImage", to.image())
          .put("rollbackTarget", to.source()).put("environment", config.environmentName()));
      boolean finished = AfterPublish.write(log, () -> guardLedger.finish(target.service(), d.digest(), token.get(),
          DeploymentStatus.ROLLED_BACK, "rolled back to " + revision + " (" + to.digest() + "): " + code + ": " + why,
          to.digest(), revision, true));
      long toRollback = Math.max(0, Duration.between(firstFailure, clock.instant()).toMillis());
      metrics.count("Rollbacks", coldStart, Map.of("Trigger", code));
      metrics.millis("TimeFromFirstFailureToRollback", toRollback, coldStart);
      l.with("digest", d.digest()).warn("rolled back", "trigger", code, "restoredRevision", revision,
          "restoredDigest", to.digest(), "reasons", d.reasons(), "firstFailureToRollbackMs", toRollback,
          "ledgerUpdated", finished);
      return GuardOutcome.of(Action.ROLLED_BACK, code, why + "; rolled back to " + revision)
          .about(target.service(), d.digest(), d.newTaskDefinitionArn()).withRestored(revision);
    } catch (SdkException e) {
      guardLedger.releaseRollbackAndLock(target.service(), d.digest(), token.get());
      throw e;
    }
  }

  /** A rollback target: the revision to restore and the image the release parameter then names. */
  private record Target(String revision, String image, String digest, String label, String source) {}

  /**
   * The last HEALTHY revision (the head's {@code lastHealthyTaskDefinitionArn}, else that deployment's own
   * revision); with none, the revision the service ran before the failing push (its {@code previous*} fields:
   * a new environment's pipeline revision), unless the ledger marks that image FAILED or ROLLED_BACK. Never
   * the failing digest nor its revision.
   */
  private Optional<Target> rollbackTarget(GuardLedger.View view, Deployment failing) {
    Optional<ServiceHead> head = view.state().head();
    Optional<Deployment> healthy = head.map(ServiceHead::lastHealthyDigest)
        .filter(digest -> !digest.equals(failing.digest()))
        .flatMap(digest -> ledger.find(failing.service(), digest))
        .filter(t -> t.status() == DeploymentStatus.HEALTHY && t.image() != null);
    if (healthy.isPresent()) {
      Deployment t = healthy.get();
      String revision = head.map(ServiceHead::lastHealthyTaskDefinitionArn).orElse(t.newTaskDefinitionArn());
      if (revision != null && !revision.equals(failing.newTaskDefinitionArn())) {
        return Optional.of(new Target(revision, t.image(), t.digest(),
            t.tag() == null || t.tag().isEmpty() ? t.digest() : t.tag(), "LAST_HEALTHY"));
      }
    }
    // No HEALTHY revision: what the service ran before, walking back over ancestors the ledger says are not
    // safe (FAILED, ROLLED_BACK, or never judged: SUPERSEDED or still ROLLING_OUT), at most PREVIOUS_WALK steps.
    Deployment d = failing;
    for (int step = 0; step < PREVIOUS_WALK; step++) {
      String previous = d.previousTaskDefinitionArn();
      String previousImage = d.previousImage();
      if (previous == null || previousImage == null || previous.equals(failing.newTaskDefinitionArn())
          || previousImage.equals(failing.image())) {
        return Optional.empty();
      }
      Optional<String> digest = ReleaseParameters.digestOf(previousImage);
      Optional<Deployment> known = ledger.find(failing.service(), digest.orElse(previousImage));
      if (known.isEmpty() || known.get().status() == DeploymentStatus.HEALTHY) {
        return Optional.of(new Target(previous, previousImage, digest.orElse(null), previous.substring(
            previous.lastIndexOf('/') + 1), "PREVIOUS_REVISION"));
      }
      d = known.get();
    }
    return Optional.empty();
  }

  /** How far back the fallback looks for a revision that ran before (each step is one ledger read). */
  private static final int PREVIOUS_WALK = 2;

  /**
   * The revision itself if it is ACTIVE; if CloudFormation deregistered it (INACTIVE: UpdateService to it
   * fails on AWS), a revision registered from its definition (found again by the {@code gitops:restored-from}
   * tag among the family's newest revisions, so that a retried rollback does not register twice). ECS may refuse
   * to describe an INACTIVE revision at all (API reference, DescribeTaskDefinition): then the definition is the
   * failing rollout's own (ACTIVE: the deployer cloned it from what ran before) with the target's image.
   */
  private String usable(ServiceTarget target, Target to, Deployment failing) {
    String revision = to.revision();
    DescribeTaskDefinitionResponse described = null;
    try {
      described = ecs.describeTaskDefinition(b -> b.taskDefinition(revision).include(TaskDefinitionField.TAGS));
      if (!"INACTIVE".equals(described.taskDefinition().statusAsString())) return revision;
    } catch (EcsException refused) {
      if (Failures.isTransient(refused)) throw refused;
      log.with("service", target.service()).warn("rollback target cannot be described; registering it from the"
          + " failing revision's definition", "revision", revision, "error", Failures.describe(refused));
    }
    DescribeTaskDefinitionResponse source = described != null ? described : ecs.describeTaskDefinition(
        b -> b.taskDefinition(failing.newTaskDefinitionArn()).include(TaskDefinitionField.TAGS));
    String image = described != null ? TaskDefinitions.imageOf(described.taskDefinition(), target.container())
        : to.image();
    String family = source.taskDefinition().family();
    var newest = ecs.listTaskDefinitions(b -> b.familyPrefix(family).status(TaskDefinitionStatus.ACTIVE)
        .sort(SortOrder.DESC).maxResults(RESTORED_LOOKUP)).taskDefinitionArns();
    for (String arn : newest) {
      var d = ecs.describeTaskDefinition(b -> b.taskDefinition(arn).include(TaskDefinitionField.TAGS));
      if (TaskDefinitions.tag(d, RESTORED_FROM_TAG).filter(revision::equals).isPresent()) return arn;
    }
    var clone = TaskDefinitions.cloneWithImage(source, target.container(), image);
    List<Tag> tags = new ArrayList<>();
    if (clone.hasTags()) {
      clone.tags().stream().filter(t -> !t.key().startsWith("gitops:")).forEach(tags::add);
    }
    tags.add(Tag.builder().key(RESTORED_FROM_TAG).value(revision).build());
    // One attempt (not idempotent): if it times out, Lambda's retry finds the registration by its tag above.
    String arn = ecs.registerTaskDefinition(TaskDefinitions.singleAttempt(clone.toBuilder().tags(tags).build()))
        .taskDefinition().taskDefinitionArn();
    log.with("service", target.service()).warn("rollback target was INACTIVE; registered again from its definition",
        "inactiveRevision", revision, "revision", arn);
    return arn;
  }

  /** Tag on a revision the guard registered from an INACTIVE rollback target. */
  static final String RESTORED_FROM_TAG = "gitops:restored-from";
  private static final int RESTORED_LOOKUP = 3;

  GuardOutcome alreadyHandled(ServiceTarget target, Deployment d) {
    Deployment now = ledger.find(target.service(), d.digest()).orElse(d);
    if (now.status() == DeploymentStatus.ROLLING_OUT) {
      // Another invocation holds the rollback lease: running now, or crashed. Retry later; by then it has
      // finished (ALREADY_...) or its lease has lapsed and the retry takes over. Nothing is lost.
      log.with("service", target.service()).warn("rollback lease held; the event will be retried",
          "digest", d.digest());
      throw new RetryableException("BUSY: another invocation is acting on " + d.digest() + " of " + target.service());
    }
    return GuardOutcome.of(Action.NONE, "ALREADY_" + now.status().name(), "deployment " + d.digest() + " is "
        + now.status()).about(target.service(), d.digest(), d.newTaskDefinitionArn());
  }
}
