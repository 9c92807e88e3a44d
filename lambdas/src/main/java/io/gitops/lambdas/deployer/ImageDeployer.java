package io.gitops.lambdas.deployer;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Failures;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.Owner;
import io.gitops.lambdas.core.PermanentFailureException;
import io.gitops.lambdas.core.Phase;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.core.TaskDefinitions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.DescribeServicesResponse;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;

/**
 * Rolls an ECR push out to its ECS service. Every step is idempotent (see docs/ledger.md):
 *
 * <ol>
 *   <li>tag policy and repository mapping (no AWS call);
 *   <li>claim the deployment in the ledger (conditional; orders pushes and locks the service);
 *   <li>read the service and its task definition;
 *   <li>register a clone differing only in the container image, tagged with the digest (a resumed rollout
 *       finds it by the tag instead of registering again);
 *   <li>UpdateService to the new revision (nothing else changes);
 *   <li>write the release parameter;
 *   <li>complete the ledger entry (status stays ROLLING_OUT until the guard judges it), release the lock
 *       and mark the previous deployment superseded, in one transaction.
 * </ol>
 *
 * <p>Transient failures (after the SDK's retries) throw {@link RetryableException} so that Lambda retries
 * the event; permanent ones mark the deployment FAILED, notify the alarm topic and return FAILED.
 */
public final class ImageDeployer {
  private final LambdaConfig config;
  private final EcsClient ecs;
  private final Ledger ledger;
  private final ReleaseParameters releases;
  private final Notifier notifier;
  private final Log log;
  private final Metrics metrics;
  private final Clock clock;

  public ImageDeployer(LambdaConfig config, AwsClients clients, Log log, Metrics metrics, Clock clock) {
    this.config = config;
    this.ecs = clients.ecs();
    this.ledger = new Ledger(clients.dynamo(), config.ledgerTable(), clock, config.lockLease(),
        config.functionTimeout());
    this.releases = new ReleaseParameters(clients.ssm());
    this.notifier = new Notifier(clients.sns(), config.alarmTopicArn());
    this.log = log;
    this.metrics = metrics;
    this.clock = clock;
  }

  public Ledger ledger() {
    return ledger;
  }

  /** Handles one push. Throws {@link RetryableException} only when a later retry can succeed. */
  public Outcome deploy(ImagePush push, boolean coldStart) {
    Instant started = clock.instant();
    Log l = log.with("repository", push.repository()).with("digest", push.digest())
        .with("tag", push.tag().orElse(null)).with("eventId", push.eventId());
    if (push.tag().isEmpty()) {
      return skip(l, coldStart, Outcome.skipped("UNTAGGED", "digest-only pushes never deploy"));
    }
    String tag = push.tag().get();
    if (!config.tagPolicy().matcher(tag).matches()) {
      return skip(l, coldStart, Outcome.skipped("TAG_POLICY",
          "tag '" + tag + "' does not match " + config.tagPolicy().pattern()));
    }
    var mapped = config.targetForRepository(push.repository());
    if (mapped.isEmpty()) {
      return skip(l, coldStart, Outcome.skipped("UNKNOWN_REPOSITORY",
          "repository '" + push.repository() + "' is not mapped to a service"));
    }
    ServiceTarget target = mapped.get();
    l = l.with("service", target.service()).with("cluster", target.cluster());
    String image = ReleaseParameters.image(target.repositoryUri(), push.digest());
    Deployment claimed = Deployment.builder().service(target.service()).cluster(target.cluster())
        .digest(push.digest()).tag(tag).repository(push.repository()).image(image).eventId(push.eventId())
        .pushTime(push.time()).status(DeploymentStatus.ROLLING_OUT).phase(Phase.CLAIMED).owner(Owner.IMAGE_DEPLOYER)
        .build();

    Ledger.Claim claim;
    try {
      claim = ledger.claim(claimed);
    } catch (SdkException e) {
      if (Failures.isTransient(e)) {
        throw retryOrFail(l, e, "claiming the deployment");
      }
      return failUnclaimed(l, coldStart, target, push, "claiming the deployment: " + Failures.describe(e));
    }
    if (claim instanceof Ledger.Claim.Skipped s) {
      return skip(l, coldStart, Outcome.skipped(s.reason().name(), s.detail()));
    }
    if (claim instanceof Ledger.Claim.Frozen f) {
      // Recorded, so that `release history` shows it and `release rollback --to` can roll it out later; the guard
      // keeps guarding whatever runs. A failed write is retried like any other ledger write.
      try {
        ledger.recordFrozen(claimed, f.detail());
      } catch (SdkException e) {
        throw retryOrFail(l, e, "recording a frozen push");
      }
      return skip(l, coldStart, Outcome.skipped("FROZEN", f.detail()));
    }
    if (claim instanceof Ledger.Claim.Busy b) {
      l.warn("service busy; the event will be retried", "reason", b.detail());
      metrics.count("DeploymentsRetried", coldStart, Map.of("Reason", "BUSY"));
      throw new RetryableException("BUSY: " + b.detail());
    }
    Ledger.Claim.Acquired acquired = (Ledger.Claim.Acquired) claim;
    if (!acquired.resumed()) {
      metrics.count("DeploymentsStarted", coldStart);
    }
    l.info(acquired.resumed() ? "resuming an interrupted rollout" : "rollout claimed",
        "phase", acquired.deployment().phase().name());
    Progress progress = new Progress();
    try {
      Outcome o = rollout(l, target, image, push, acquired, progress);
      metrics.millis("DeploymentLatency", Duration.between(started, clock.instant()).toMillis(), coldStart);
      metrics.millis("PushToRolloutLatency", Math.max(0, Duration.between(push.time(), clock.instant()).toMillis()),
          coldStart);
      return o;
    } catch (PermanentFailureException e) {
      return fail(l, coldStart, target, push, acquired.token(), e.getMessage(), progress);
    } catch (SdkException e) {
      if (Failures.isTransient(e)) {
        ledger.releaseLock(target.service(), acquired.token());
        throw retryOrFail(l, e, "rolling out");
      }
      return fail(l, coldStart, target, push, acquired.token(), Failures.describe(e), progress);
    }
  }

  /** How far one attempt got: what a permanent failure after UpdateService must undo. */
  private static final class Progress {
    String previousArn;
    String previousImage;
    boolean serviceUpdated;
  }

  private Outcome rollout(Log l, ServiceTarget target, String image, ImagePush push, Ledger.Claim.Acquired claim,
      Progress progress) {
    String newArn;
    String previousArn;
    String previousImage;
    DescribeServicesResponse services =
        ecs.describeServices(b -> b.cluster(target.cluster()).services(target.service()));
    var service = services.services().stream()
        .filter(s -> target.service().equals(s.serviceName()) && "ACTIVE".equals(s.status()))
        .findFirst()
        .orElseThrow(() -> new PermanentFailureException("service '" + target.service()
            + "' not found (or not ACTIVE) in cluster '" + target.cluster() + "'"));
    String currentArn = service.taskDefinition();
    DescribeTaskDefinitionResponse current = describe(currentArn);
    String currentImage = TaskDefinitions.imageOf(current.taskDefinition(), target.container());
    previousArn = currentArn;
    previousImage = currentImage;
    if (image.equals(currentImage)) {
      newArn = currentArn; // the service already runs this image: nothing to register
      var registeredBy = TaskDefinitions.tag(current, TaskDefinitions.PREVIOUS_REVISION_TAG);
      if (claim.resumed() && registeredBy.isPresent()
          && TaskDefinitions.tag(current, TaskDefinitions.DIGEST_TAG).filter(push.digest()::equals).isPresent()) {
        // An interrupted attempt of this rollout got as far as UpdateService: what ran before is on the tag.
        previousArn = registeredBy.get();
        previousImage = TaskDefinitions.imageOf(describe(previousArn).taskDefinition(), target.container());
      }
    } else {
      String found = claim.resumed() ? findRegistered(current, push.digest()) : null;
      if (found != null) {
        newArn = found; // an interrupted attempt registered it before it could update the service
      } else {
        checkLease(claim, push);
        newArn = register(current, target, image, push.digest(), currentArn);
      }
    }
    l.with("revision", newArn).info("task definition registered", "previousRevision", previousArn);
    String revision = newArn;
    progress.previousArn = previousArn;
    progress.previousImage = previousImage;
    checkLease(claim, push);
    var updated = ecs.updateService(b -> b.cluster(target.cluster()).service(target.service()).taskDefinition(revision));
    progress.serviceUpdated = !revision.equals(previousArn);
    String ecsDeploymentId = primaryDeploymentId(updated.service(), revision);
    checkLease(claim, push);
    releases.put(target.releaseParameter(), image);
    // The deployment the service ran before, if still ROLLING_OUT, will never be judged: SUPERSEDED, in the
    // same transaction.
    String superseded = ReleaseParameters.digestOf(previousImage).filter(prev -> !prev.equals(push.digest()))
        .orElse(null);
    if (!ledger.completeRollout(target.service(), push.digest(), claim.token(), revision, previousArn, previousImage,
        superseded, ecsDeploymentId)) {
      throw new RetryableException("LEASE_LOST: another invocation took over the rollout of " + push.digest());
    }
    Log done = l.with("revision", revision);
    done.info("rolled out", "releaseParameter", target.releaseParameter(), "image", image);
    return Outcome.deployed(revision, "ROLLED_OUT: " + target.service() + " now runs " + image);
  }

  /**
   * The id of the PRIMARY deployment UpdateService started for {@code revision} (ECS API reference,
   * UpdateService: the response's {@code service.deployments}; the new deployment is PRIMARY). Null if the
   * response names none (moto keeps one deployment whatever happens: docs/emulator-gaps.md).
   */
  public static String primaryDeploymentId(software.amazon.awssdk.services.ecs.model.Service service, String revision) {
    if (service == null || !service.hasDeployments()) return null;
    return service.deployments().stream()
        .filter(d -> "PRIMARY".equals(d.status()) && revision.equals(d.taskDefinition()))
        .map(software.amazon.awssdk.services.ecs.model.Deployment::id)
        .findFirst().orElse(null);
  }

  /**
   * Registers the clone in a single attempt (TaskDefinitions.SINGLE_ATTEMPT). If it fails transiently, the
   * attempt may have registered it all the same (a timeout after ECS applied it): look it up by its digest tag
   * before anything else, so that a digest never gets two revisions.
   */
  private String register(DescribeTaskDefinitionResponse current, ServiceTarget target, String image, String digest,
      String currentArn) {
    try {
      return ecs.registerTaskDefinition(TaskDefinitions.singleAttempt(TaskDefinitions.withRolloutTags(
          TaskDefinitions.cloneWithImage(current, target.container(), image), digest, currentArn)))
          .taskDefinition().taskDefinitionArn();
    } catch (SdkException e) {
      if (!Failures.isTransient(e)) throw e;
      String found = findRegistered(current, digest);
      if (found != null) return found;
      throw e;
    }
  }

  private DescribeTaskDefinitionResponse describe(String arn) {
    return ecs.describeTaskDefinition(b -> b.taskDefinition(arn).include(TaskDefinitionField.TAGS));
  }

  /**
   * On the (rare) resume path only: the revision an interrupted attempt of this rollout registered, found
   * by its digest tag among the family's revisions newer than the one the service runs (it was registered
   * while this rollout held the lock, so after that one). Null if there is none.
   */
  private String findRegistered(DescribeTaskDefinitionResponse current, String digest) {
    String family = current.taskDefinition().family();
    int currentRevision = current.taskDefinition().revision();
    // Bounded (docs/lambda-config.md, "Time budget"): one page of the family's newest revisions, and at most
    // REGISTERED_LOOKUP of those newer than the service's described, newest first.
    List<String> newer = new ArrayList<>();
    for (String arn : ecs.listTaskDefinitions(b -> b.familyPrefix(family)
        .sort(software.amazon.awssdk.services.ecs.model.SortOrder.DESC).maxResults(10)).taskDefinitionArns()) {
      String name = arn.substring(arn.lastIndexOf('/') + 1);
      if (name.equals(family + ":" + TaskDefinitions.revisionOf(arn))
          && TaskDefinitions.revisionOf(arn) > currentRevision) {
        newer.add(arn);
      }
    }
    newer.sort(Comparator.comparingInt(TaskDefinitions::revisionOf).reversed());
    for (String arn : newer.subList(0, Math.min(REGISTERED_LOOKUP, newer.size()))) {
      if (TaskDefinitions.tag(describe(arn), TaskDefinitions.DIGEST_TAG).filter(digest::equals).isPresent()) {
        return arn;
      }
    }
    return null;
  }

  /** Revisions a resumed rollout describes at most when it looks for the one it registered. */
  static final int REGISTERED_LOOKUP = 3;

  /**
   * The lock lapses after LOCK_LEASE_SECONDS (at least the function timeout); past it another invocation
   * may have taken the rollout over, so this one must not change ECS or the release parameter any more.
   */
  private void checkLease(Ledger.Claim.Acquired claim, ImagePush push) {
    if (!claim.leaseHeldAt(clock.instant())) {
      throw new RetryableException("LEASE_LOST: the lease on the rollout of " + push.digest() + " lapsed");
    }
  }

  private Outcome skip(Log l, boolean coldStart, Outcome o) {
    l.info("skipped", "reason", o.reason());
    metrics.count("DeploymentsSkipped", coldStart, Map.of("Reason", o.code()));
    return o;
  }

  private Outcome fail(Log l, boolean coldStart, ServiceTarget target, ImagePush push, String token, String reason,
      Progress progress) {
    l.error("rollout failed permanently", "reason", reason);
    metrics.functionFailure();
    // UpdateService already succeeded: ECS runs the new image while the release parameter (and the ledger,
    // once FAILED) say otherwise, and nothing would guard it. Put the service back (compensate); if that fails
    // too, the notification says the two disagree.
    String compensation = null;
    if (progress.serviceUpdated && progress.previousArn != null) {
      try {
        ecs.updateService(b -> b.cluster(target.cluster()).service(target.service())
            .taskDefinition(progress.previousArn));
        compensation = "service restored to " + progress.previousArn;
        if (progress.previousImage != null) {
          try {
            releases.put(target.releaseParameter(), progress.previousImage);
          } catch (SdkException e) {
            // Usually the very write that failed: the parameter still holds the previous image then.
            compensation += " (release parameter not rewritten: " + Failures.describe(e) + ")";
          }
        }
      } catch (SdkException e) {
        compensation = "SERVICE_AND_RELEASE_DISAGREE: ECS runs " + push.digest() + " but restoring "
            + progress.previousArn + " failed (" + Failures.describe(e) + ")";
        l.error("could not restore the service after a late permanent failure", "error", Failures.describe(e));
      }
    }
    try {
      // Notify first: if the ledger write then fails, the retry notifies again rather than never.
      notifier.publish("Image deployment failed: " + target.service() + " " + push.tag().orElse(push.digest()),
          Json.obj().put("event", "DEPLOYMENT_FAILED").put("service", target.service())
              .put("cluster", target.cluster()).put("repository", push.repository())
              .put("digest", push.digest()).put("tag", push.tag().orElse(null)).put("reason", reason)
              .put("compensation", compensation)
              .put("environment", config.environmentName()));
      ledger.failRollout(target.service(), push.digest(), token,
          compensation == null ? reason : reason + "; " + compensation);
    } catch (SdkException e) {
      ledger.releaseLock(target.service(), token);
      throw retryOrFail(l, e, "recording a permanent failure");
    }
    metrics.count("DeploymentsFailed", coldStart);
    return Outcome.failed("PERMANENT_FAILURE", compensation == null ? reason : reason + "; " + compensation);
  }

  /** A permanent failure before any claim (e.g. the ledger table is missing): notify, nothing to mark. */
  private Outcome failUnclaimed(Log l, boolean coldStart, ServiceTarget target, ImagePush push, String reason) {
    l.error("rollout failed permanently before it was claimed", "reason", reason);
    metrics.functionFailure();
    try {
      notifier.publish("Image deployment failed: " + target.service() + " " + push.tag().orElse(push.digest()),
          Json.obj().put("event", "DEPLOYMENT_FAILED").put("service", target.service())
              .put("digest", push.digest()).put("reason", reason).put("environment", config.environmentName()));
    } catch (SdkException e) {
      l.error("could not notify the alarm topic", "error", Failures.describe(e));
    }
    metrics.count("DeploymentsFailed", coldStart);
    return Outcome.failed("PERMANENT_FAILURE", reason);
  }

  private RuntimeException retryOrFail(Log l, SdkException e, String step) {
    String what = Failures.describe(e);
    if (Failures.isTransient(e)) {
      l.warn("transient failure while " + step + "; the event will be retried", "error", what);
      return new RetryableException("TRANSIENT: " + step + ": " + what, e);
    }
    // A permanent failure outside the rollout (e.g. the ledger table is missing): nothing to mark.
    l.error("permanent failure while " + step, "error", what);
    return new PermanentFailureException(step + ": " + what, e);
  }
}
