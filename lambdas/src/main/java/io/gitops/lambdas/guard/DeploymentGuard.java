package io.gitops.lambdas.guard;

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
import io.gitops.lambdas.core.Phase;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.guard.GuardOutcome.Action;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecs.EcsClient;
import io.gitops.lambdas.core.TaskDefinitions;
import software.amazon.awssdk.services.ecs.model.Service;

/**
 * The deployment guard: watches every rollout of the environment's services through ECS task and deployment
 * state change events, counts failed tasks of the rolling-out revision, runs the post-deploy health checks at
 * steady state, and rolls back to the last HEALTHY revision when a rollout fails. See docs/lambda-config.md
 * (guard section) for its settings and IAM, and docs/ledger.md for the ledger fields it uses.
 *
 * <p>Every decision is idempotent: task states are versioned per task ARN (older deliveries are ignored),
 * failures are counted once per task ARN, and a rollback holds a lease on the deployment and ends in a
 * conditional ROLLING_OUT → ROLLED_BACK transition, so a deployment is never rolled back twice.
 * Transient AWS failures throw {@link RetryableException} (Lambda's retry, then the on-failure queue).
 */
public final class DeploymentGuard {
  private final LambdaConfig config;
  private final GuardConfig guard;
  private final EcsClient ecs;
  private final Ledger ledger;
  private final GuardLedger guardLedger;
  private final ReleaseParameters releases;
  private final Notifier notifier;
  private final List<HealthCheck> checks;
  private final Log log;
  private final Metrics metrics;
  private final Clock clock;
  private final Rollback rollback;

  public DeploymentGuard(LambdaConfig config, GuardConfig guard, AwsClients clients, List<HealthCheck> checks,
      Log log, Metrics metrics, Clock clock) {
    this.config = config;
    this.guard = guard;
    this.ecs = clients.ecs();
    this.ledger = new Ledger(clients.dynamo(), config.ledgerTable(), clock, config.lockLease(),
        config.functionTimeout());
    this.guardLedger = new GuardLedger(clients.dynamo(), config.ledgerTable(), clock);
    this.releases = new ReleaseParameters(clients.ssm());
    this.notifier = new Notifier(clients.sns(), config.alarmTopicArn());
    this.checks = List.copyOf(checks);
    this.log = log;
    this.metrics = metrics;
    this.clock = clock;
    this.rollback = new Rollback(config, ecs, ledger, guardLedger, releases, notifier, metrics, log, clock);
  }

  /** The standard checks: running count, target health (services with a target group), HTTP probe. */
  public static List<HealthCheck> defaultChecks(GuardConfig guard, TargetHealth targets, HttpProbeCheck.Probe probe) {
    // A canary service's target group alternates between deployments, and the hook has judged its targets.
    return List.of(new RunningCountCheck(), new TargetHealthCheck(targets,
            s -> guard.isCanary(s) ? Optional.empty() : guard.targetGroup(s)),
        new HttpProbeCheck(probe, guard::probeUrl, guard.probeTimeout()));
  }

  public Ledger ledger() {
    return ledger;
  }

  public GuardLedger guardLedger() {
    return guardLedger;
  }

  /** Handles one event. Throws {@link RetryableException} only when a later retry can succeed. */
  public GuardOutcome handle(GuardEvent event, boolean coldStart) {
    try {
      GuardOutcome o = event instanceof TaskStateChange t ? onTask(t, coldStart)
          : onDeployment((DeploymentStateChange) event, coldStart);
      metrics.count("GuardOutcomes", coldStart, Map.of("Action", o.action().name()));
      return o;
    } catch (SdkException e) {
      String what = Failures.describe(e);
      if (Failures.isTransient(e)) {
        log.warn("transient failure; the event will be retried", "eventId", event.eventId(), "error", what);
        throw new RetryableException("TRANSIENT: " + what, e);
      }
      return permanentFailure(event, what, coldStart);
    } catch (io.gitops.lambdas.core.PermanentFailureException e) {
      return permanentFailure(event, e.getMessage(), coldStart);
    }
  }

  /** Every permanent failure notifies the alarm topic and counts in the failure alarm's metric. */
  private GuardOutcome permanentFailure(GuardEvent event, String what, boolean coldStart) {
    log.error("permanent failure", "eventId", event.eventId(), "error", what);
    metrics.count("GuardOutcomes", coldStart, Map.of("Action", Action.FAILED.name()));
    metrics.functionFailure();
    try {
      notifier.publish("Deployment guard failed: " + event.service().orElse("?"), Json.obj()
          .put("event", "GUARD_FAILED").put("service", event.service().orElse(null))
          .put("eventId", event.eventId()).put("reason", what).put("environment", config.environmentName()));
    } catch (SdkException e) {
      log.error("could not notify the alarm topic", "error", Failures.describe(e));
    }
    return GuardOutcome.of(Action.FAILED, "PERMANENT_FAILURE", what);
  }

  // ------------------------------------------------------------------------------------------------
  // Task state changes

  public GuardOutcome onTask(TaskStateChange e, boolean coldStart) {
    Optional<ServiceTarget> mapped = e.service().flatMap(config::targetForService);
    String cluster = mapped.map(t -> lastSegment(t.cluster()))
        .orElseGet(() -> clusters().contains(e.clusterName()) ? e.clusterName() : clusters().iterator().next());
    StopClassifier.Verdict relevance = StopClassifier.classify(e, new StopClassifier.Scope(cluster, Set.of()));
    if (relevance.kind() == StopClassifier.Kind.OTHER_CLUSTER || relevance.kind() == StopClassifier.Kind.NOT_A_SERVICE_TASK) {
      return ignored(relevance.kind().name(), relevance.detail());
    }
    if (mapped.isEmpty()) {
      return ignored("UNKNOWN_SERVICE", "service '" + e.service().orElse("") + "' is not in SERVICE_MAP");
    }
    ServiceTarget target = mapped.get();
    Log l = log.with("service", target.service()).with("taskArn", e.taskArn()).with("eventId", e.eventId());
    GuardLedger.View view = guardLedger.view(target.service());
    if (view.state().halted()) {
      return ignored("HALTED", "the guard halted on " + target.service() + " after the restored revision failed;"
          + " it resumes with the next push").about(target.service(), view.state().haltedForDigest(), null);
    }
    GuardLedger.TaskWrite write = guardLedger.recordTaskState(target.service(), new GuardLedger.TrackedTask(
        e.taskArn(), e.taskDefinitionArn(), e.lastStatus(), e.version(), e.updatedAt(), e.privateIp()));
    if (write == GuardLedger.TaskWrite.OLDER) {
      l.info("stale task event ignored", "version", e.version(), "lastStatus", e.lastStatus());
      return ignored("STALE_EVENT", "a newer state of task " + e.taskArn() + " was already seen (version "
          + e.version() + ", " + e.lastStatus() + ")");
    }
    Optional<Deployment> rolling = view.rollingOut().filter(d -> d.newTaskDefinitionArn() != null);
    Optional<String> restored = rolling.isPresent() ? Optional.empty() : view.state().activeRestoredRevision();
    Set<String> judged = rolling.map(d -> Set.of(d.newTaskDefinitionArn()))
        .orElseGet(() -> restored.map(Set::of).orElse(Set.of()));
    StopClassifier.Verdict verdict = StopClassifier.classify(e, new StopClassifier.Scope(cluster, judged));
    l = l.with("verdict", verdict.kind().name()).with("revision", e.taskDefinitionArn());

    if (rolling.isPresent() && e.running() && e.taskDefinitionArn().equals(rolling.get().newTaskDefinitionArn())) {
      if (guard.isCanary(target.service())) {
        // Running tasks say nothing yet: the canary is judged by the hook and completes at ECS's steady state.
        return GuardOutcome.of(Action.NONE, "CANARY_RUNNING", "task of the new revision running; the canary "
            + "analysis judges it").about(target.service(), rolling.get().digest(), e.taskDefinitionArn());
      }
      return maybeSteady(l, target, view, rolling.get(), coldStart);
    }
    if (!verdict.failure()) {
      l.info("task state change: not a failure of a judged revision", "reason", verdict.reason());
      return GuardOutcome.of(Action.NONE, verdict.kind().name(), verdict.detail())
          .about(target.service(), rolling.map(Deployment::digest).orElse(null), e.taskDefinitionArn());
    }
    if (rolling.isPresent()) {
      return countFailure(l, target, view, rolling.get(), e, verdict, coldStart);
    }
    return countRestoredFailure(l, target, view, restored.get(), e, verdict, coldStart);
  }

  private GuardOutcome countFailure(Log l, ServiceTarget target, GuardLedger.View view, Deployment d,
      TaskStateChange e, StopClassifier.Verdict verdict, boolean coldStart) {
    OptionalInt counted = ledger.recordTaskFailure(target.service(), d.digest(), e.taskArn(), verdict.reason());
    Deployment now;
    if (counted.isEmpty()) {
      // A re-delivery, or a concurrent rollback. Resume a rollback that a failed invocation left unfinished.
      now = ledger.find(target.service(), d.digest()).orElse(d);
      if (now.status() != DeploymentStatus.ROLLING_OUT) {
        return GuardOutcome.of(Action.NONE, "ALREADY_" + now.status().name(),
            "deployment " + d.digest() + " is " + now.status()).about(target.service(), d.digest(), d.newTaskDefinitionArn());
      }
      if (now.failureCount() < guard.failureThreshold() || !now.failedTasks().contains(e.taskArn())) {
        return GuardOutcome.of(Action.NONE, "DUPLICATE", "task " + e.taskArn() + " was already counted")
            .about(target.service(), d.digest(), d.newTaskDefinitionArn()).withFailures(now.failureCount());
      }
    } else {
      int count = counted.getAsInt();
      metrics.count("TaskFailuresCounted", coldStart, Map.of("Kind", verdict.kind().name()));
      l.warn("task failure counted", "failures", count, "threshold", guard.failureThreshold(), "reason", verdict.reason());
      if (count < guard.failureThreshold()) {
        return GuardOutcome.of(Action.COUNTED, verdict.kind().name(), count + " of " + guard.failureThreshold()
            + " failures: " + verdict.detail()).about(target.service(), d.digest(), d.newTaskDefinitionArn())
            .withFailures(count);
      }
      if (guard.isCanary(target.service())) {
        return canaryThreshold(target, d, count);
      }
      List<String> reasons = new ArrayList<>(d.reasons());
      reasons.add(verdict.reason());
      now = d;
      Instant first = view.current().flatMap(GuardLedger.Current::firstFailureAt).orElse(clock.instant());
      return rollback.perform(l, target, view, d.withReasons(reasons), "THRESHOLD_REACHED",
          count + " failed tasks (threshold " + guard.failureThreshold() + ")", first, coldStart).withFailures(count);
    }
    if (guard.isCanary(target.service())) {
      return canaryThreshold(target, now, now.failureCount());
    }
    Instant first = view.current().flatMap(GuardLedger.Current::firstFailureAt).orElse(clock.instant());
    return rollback.perform(l, target, view, now, "THRESHOLD_REACHED", now.failureCount() + " failed tasks (threshold "
        + guard.failureThreshold() + ")", first, coldStart).withFailures(now.failureCount());
  }

  /**
   * One rollback, never two: for a canary service ECS is mid-deployment, and an UpdateService from here would
   * start a second deployment against ECS's own rollback. The count is in the ledger; the hook's task-failures
   * check reads it and answers FAILED, and ECS rolls back.
   */
  private GuardOutcome canaryThreshold(ServiceTarget target, Deployment d, int count) {
    return GuardOutcome.of(Action.COUNTED, "CANARY_THRESHOLD", count + " failed tasks (threshold "
        + guard.failureThreshold() + "): the canary hook aborts the deployment and ECS rolls back")
        .about(target.service(), d.digest(), d.newTaskDefinitionArn()).withFailures(count);
  }

  private GuardOutcome countRestoredFailure(Log l, ServiceTarget target, GuardLedger.View view, String restoredArn,
      TaskStateChange e, StopClassifier.Verdict verdict, boolean coldStart) {
    String current = view.state().currentDigest().orElseThrow();
    OptionalInt counted = guardLedger.recordRestoredFailure(target.service(), restoredArn, e.taskArn());
    int count;
    if (counted.isPresent()) {
      count = counted.getAsInt();
      l.warn("failure of the restored revision counted", "failures", count, "reason", verdict.reason());
      if (count != guard.failureThreshold()) {
        return GuardOutcome.of(count < guard.failureThreshold() ? Action.COUNTED : Action.NONE,
            "RESTORED_REVISION_" + verdict.kind().name(), count + " of " + guard.failureThreshold()
                + " failures of the restored revision: " + verdict.detail())
            .about(target.service(), current, restoredArn).withFailures(count);
      }
    } else {
      count = view.state().restoredFailureCount();
      if (count < guard.failureThreshold()) {
        return GuardOutcome.of(Action.NONE, "DUPLICATE", "task " + e.taskArn() + " was already counted")
            .about(target.service(), current, restoredArn);
      }
    }
    // The restored revision is failing too: alert once and stop acting until a new push.
    String reason = "restored revision " + restoredArn + " failed too (" + count + " failed tasks; last: "
        + verdict.reason() + ")";
    notifier.publish("Deployment guard halted: " + target.service(), Json.obj().put("event", "GUARD_HALTED")
        .put("service", target.service()).put("cluster", target.cluster()).put("badDigest", current)
        .put("restoredRevision", restoredArn).put("reason", reason).put("environment", config.environmentName())
        .put("action", "the guard stops acting on this service until a new image is pushed"));
    AfterPublish.write(log, () -> guardLedger.halt(target.service(), current, reason));
    metrics.count("GuardHalted", coldStart);
    l.error("guard halted on the service: the restored revision fails too", "reason", reason);
    return GuardOutcome.of(Action.FAILED, "HALTED", reason).about(target.service(), current, restoredArn)
        .withFailures(count);
  }

  /** A RUNNING task of the rolling-out revision: past the grace period, steady state may be reached. */
  private GuardOutcome maybeSteady(Log l, ServiceTarget target, GuardLedger.View view, Deployment d, boolean coldStart) {
    Instant since = d.createdAt() == null ? d.pushTime() : d.createdAt();
    if (clock.instant().isBefore(since.plus(guard.gracePeriod()))) {
      return GuardOutcome.of(Action.NONE, "RUNNING", "task of the new revision running; within the grace period")
          .about(target.service(), d.digest(), d.newTaskDefinitionArn());
    }
    return evaluate(l, target, view, d, false, coldStart);
  }

  // ------------------------------------------------------------------------------------------------
  // Deployment state changes

  public GuardOutcome onDeployment(DeploymentStateChange e, boolean coldStart) {
    Optional<ServiceTarget> mapped = config.targetForService(e.serviceName());
    if (mapped.isEmpty()) {
      return ignored("UNKNOWN_SERVICE", "service '" + e.serviceName() + "' is not in SERVICE_MAP");
    }
    ServiceTarget target = mapped.get();
    if (!lastSegment(target.cluster()).equals(e.clusterName())) {
      return ignored("OTHER_CLUSTER", "service " + e.serviceArn() + " is not in cluster " + target.cluster());
    }
    Log l = log.with("service", target.service()).with("deploymentId", e.deploymentId()).with("eventId", e.eventId());
    GuardLedger.View view = guardLedger.view(target.service());
    Optional<Deployment> rolling = view.rollingOut().filter(d -> d.newTaskDefinitionArn() != null);
    if (view.state().halted()) {
      // Halted, the guard does not act, but ECS's breaker may still roll back: the release must follow.
      return rolling.isEmpty() && e.kind() == DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_FAILED
          ? repairAfterBreaker(l, target, view, e, coldStart)
          : ignored("HALTED", "the guard halted on " + target.service() + "; it resumes with the next push");
    }
    Optional<String> rolloutId = view.current().flatMap(GuardLedger.Current::ecsDeploymentId);
    if (rolling.isPresent() && rolloutId.isPresent() && !rolloutId.get().equals(e.deploymentId())) {
      // Matched by identity, not by time: an event of another deployment never judges this rollout.
      Service svc = describe(target);
      if (rolling.get().newTaskDefinitionArn().equals(svc.taskDefinition())) {
        if (e.kind() != DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_IN_PROGRESS) {
          Optional<GuardOutcome> ended = endEarlierRollout(l, target, rolling.get(), e, coldStart);
          if (ended.isPresent()) return ended.get();
        }
        l.info("event of another deployment ignored", "eventName", e.kind().name(), "rolloutDeploymentId", rolloutId.get());
        return ignored("OTHER_DEPLOYMENT", e.kind() + " of " + e.deploymentId() + " is not the rollout of "
            + rolling.get().digest() + " (" + rolloutId.get() + ")");
      }
      // The service runs another revision. With the rollout's image (the release value): a pipeline deployment
      // replaced the rollout, and its events settle it. With another image: ECS's breaker rolled the service
      // back (its events can come in any order): end the rollout and make the release parameter name what runs.
      var running = ecs.describeTaskDefinition(b -> b.taskDefinition(svc.taskDefinition())
          .include(software.amazon.awssdk.services.ecs.model.TaskDefinitionField.TAGS));
      boolean sameImage = rolling.get().image() != null
          && rolling.get().image().equals(TaskDefinitions.imageOf(running.taskDefinition(), target.container()));
      if (!sameImage) {
        // A newer push's own revision (the deployer tags it with its digest) is that push's UpdateService landing
        // before its completion reached the ledger: never ECS's breaker, which would fail this rollout for good.
        // The push's completion supersedes it.
        Optional<String> pushed = TaskDefinitions.tag(running, TaskDefinitions.DIGEST_TAG);
        Optional<String> newest = view.state().head().map(io.gitops.lambdas.core.ServiceHead::latestDigest);
        if (pushed.isPresent() && !pushed.get().equals(rolling.get().digest()) && pushed.equals(newest)) {
          l.info("a newer push's deployment replaced the rollout; not the breaker", "eventName", e.kind().name(),
              "running", svc.taskDefinition());
          return ignored("OTHER_DEPLOYMENT", e.kind() + " of " + e.deploymentId() + ": the service runs "
              + svc.taskDefinition() + ", the rollout of the newer push " + pushed.get()).about(target.service(),
              rolling.get().digest(), rolling.get().newTaskDefinitionArn());
        }
        return breakerRolledBack(l, target, rolling.get(), e, coldStart);
      }
      if (e.kind() == DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_FAILED) {
        // The rollout's image still runs (as a pipeline revision): this failure is another deployment's.
        return ignored("OTHER_DEPLOYMENT", "failed deployment " + e.deploymentId() + " is not the rollout of "
            + rolling.get().digest() + ", whose image still runs");
      }
      // Only the service's current (PRIMARY) deployment speaks for the revision it runs now: a late event of an
      // older deployment must not mark the release HEALTHY on it.
      Optional<String> primary = svc.deployments().stream().filter(x -> "PRIMARY".equals(x.status()))
          .map(software.amazon.awssdk.services.ecs.model.Deployment::id).findFirst();
      if (primary.isPresent() && !primary.get().equals(e.deploymentId())) {
        return ignored("OTHER_DEPLOYMENT", e.kind() + " of " + e.deploymentId() + " is neither the rollout of "
            + rolling.get().digest() + " nor the service's current deployment " + primary.get());
      }
      return recordPipeline(l, target, view, e, e.kind() == DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_COMPLETED,
          coldStart);
    }
    if (rolling.isEmpty() && e.kind() == DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_FAILED) {
      return repairAfterBreaker(l, target, view, e, coldStart);
    }
    if (rolling.isPresent() && rolloutId.isEmpty() && e.updatedAt().isBefore(rolling.get().createdAt())) {
      l.info("deployment event older than the rollout ignored", "eventName", e.kind().name());
      return ignored("STALE_EVENT", e.kind() + " of " + e.deploymentId() + " at " + e.updatedAt()
          + " predates the rollout of " + rolling.get().digest());
    }
    return switch (e.kind()) {
      case SERVICE_DEPLOYMENT_IN_PROGRESS -> rolling.isPresent()
          ? GuardOutcome.of(Action.NONE, "IN_PROGRESS", "rollout of " + rolling.get().digest() + " under way")
              .about(target.service(), rolling.get().digest(), rolling.get().newTaskDefinitionArn())
          : recordPipeline(l, target, view, e, false, coldStart);
      case SERVICE_DEPLOYMENT_COMPLETED -> rolling.isPresent()
          ? evaluate(l, target, view, rolling.get(), true, coldStart)
          : recordPipeline(l, target, view, e, true, coldStart);
      case SERVICE_DEPLOYMENT_FAILED -> breakerRolledBack(l, target, rolling.get(), e, coldStart);
    };
  }

  /**
   * The end of an earlier rollout's ECS deployment, after a newer push replaced it before the guard judged it
   * (e.g. ECS's breaker rolled it back, then the next push was cloned from the restored revision, so its
   * completion did not supersede it). It would stay ROLLING_OUT for good: FAILED (breaker, with a notification)
   * or SUPERSEDED (completed). The release parameter already names the newer rollout.
   */
  private Optional<GuardOutcome> endEarlierRollout(Log l, ServiceTarget target, Deployment current,
      DeploymentStateChange e, boolean coldStart) {
    Optional<Deployment> earlier = ledger.findByEcsDeploymentId(target.service(), e.deploymentId())
        .filter(d -> d.status() == DeploymentStatus.ROLLING_OUT && !d.digest().equals(current.digest()));
    if (earlier.isEmpty()) return Optional.empty();
    Deployment d = earlier.get();
    boolean failed = e.kind() == DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_FAILED;
    String reason = (failed ? "ECS deployment circuit breaker rolled back " : "ECS deployment completed: ")
        + e.deploymentId() + " (" + e.reason() + "); replaced meanwhile by " + current.digest();
    if (failed) {
      notifier.publish("ECS rolled back " + target.service(), Json.obj().put("event", "BREAKER_ROLLED_BACK")
          .put("service", target.service()).put("cluster", target.cluster()).put("badDigest", d.digest())
          .put("badRevision", d.newTaskDefinitionArn()).put("reasons", List.of(reason))
          .put("releaseParameter", target.releaseParameter()).put("supersededBy", current.digest())
          .put("environment", config.environmentName()));
      metrics.count("BreakerRollbacks", coldStart);
    }
    boolean done = AfterPublish.write(log, () -> ledger.transition(target.service(), d.digest(), DeploymentStatus.ROLLING_OUT,
        failed ? DeploymentStatus.FAILED : DeploymentStatus.SUPERSEDED, reason));
    l.with("digest", d.digest()).info("earlier rollout ended", "eventName", e.kind().name(), "written", done);
    return Optional.of(GuardOutcome.of(failed ? Action.FAILED : Action.NONE,
        failed ? "BREAKER_ROLLED_BACK" : "SUPERSEDED", reason).about(target.service(), d.digest(),
        d.newTaskDefinitionArn()));
  }

  /** Post-deploy health checks. {@code decisive}: steady state is certain (SERVICE_DEPLOYMENT_COMPLETED). */
  private GuardOutcome evaluate(Log l, ServiceTarget target, GuardLedger.View view, Deployment d, boolean decisive,
      boolean coldStart) {
    Service svc = describe(target);
    if (!d.newTaskDefinitionArn().equals(svc.taskDefinition())) {
      // A pipeline deployment (or ECS) replaced the revision since: checks of what no longer runs would judge the
      // wrong thing. The replacing deployment's own events settle the rollout (recordPipeline).
      return GuardOutcome.of(Action.NONE, "REPLACED", "the service runs " + svc.taskDefinition() + ", not "
          + d.newTaskDefinitionArn() + "; the deployment that replaced it settles " + d.digest())
          .about(target.service(), d.digest(), d.newTaskDefinitionArn());
    }
    List<GuardLedger.TrackedTask> running = guardLedger.runningTasks(target.service(), d.newTaskDefinitionArn());
    HealthCheck.Subject subject = new HealthCheck.Subject(target, d, svc, running, decisive);
    List<HealthCheck.Result> results = new ArrayList<>();
    for (HealthCheck c : checks) {
      HealthCheck.Result r = c.check(subject);
      results.add(r);
      if (!decisive && !r.passed() && c instanceof RunningCountCheck) {
        return GuardOutcome.of(Action.NONE, "NOT_STEADY", r.detail())
            .about(target.service(), d.digest(), d.newTaskDefinitionArn());
      }
    }
    List<String> lines = results.stream().map(HealthCheck.Result::toString).toList();
    List<HealthCheck.Result> failed = results.stream().filter(r -> !r.passed()).toList();
    for (HealthCheck.Result r : results) {
      if (!r.skipped()) {
        metrics.count("HealthChecks", coldStart, Map.of("Check", r.name(), "Result", r.passed() ? "PASS" : "FAIL"));
      }
    }
    Log ld = l.with("digest", d.digest()).with("revision", d.newTaskDefinitionArn());
    if (failed.isEmpty()) {
      if (!ledger.transition(target.service(), d.digest(), DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY,
          "post-deploy health checks passed: " + String.join("; ", lines))) {
        return GuardOutcome.of(Action.NONE, "ALREADY_JUDGED", "deployment " + d.digest() + " is no longer ROLLING_OUT")
            .about(target.service(), d.digest(), d.newTaskDefinitionArn());
      }
      long toHealthy = Math.max(0, Duration.between(d.pushTime(), clock.instant()).toMillis());
      metrics.millis("TimeToHealthy", toHealthy, coldStart);
      metrics.count("DeploymentsHealthy", coldStart);
      ld.info("deployment HEALTHY", "checks", lines, "pushToHealthyMs", toHealthy);
      return GuardOutcome.of(Action.HEALTHY, "CHECKS_PASSED", target.service() + " runs " + d.image())
          .about(target.service(), d.digest(), d.newTaskDefinitionArn()).withChecks(lines);
    }
    ld.warn("post-deploy health checks failed", "checks", lines);
    if (guard.isCanary(target.service())) {
      return canaryFailedAfterCompletion(ld, target, d, failed, lines, coldStart);
    }
    List<String> reasons = new ArrayList<>(d.reasons());
    failed.forEach(r -> reasons.add("health check " + r));
    return rollback.perform(ld, target, view, d.withReasons(reasons), "HEALTH_CHECK_FAILED",
        failed.size() + " health check(s) failed", clock.instant(), coldStart).withChecks(lines);
  }

  /**
   * A canary ECS completed (the hook answered SUCCEEDED at every stage) whose post-deploy checks fail: never an
   * UpdateService from here. On a canary service it would start a second deployment beside ECS's own (one rollback,
   * never two: the hook and ECS's deployment alarms own a canary's rollback). The release is marked FAILED with its
   * checks, and the notification asks for an operator's rollback ({@code bin/gitops release rollback}), which the
   * ledger allows onto the last HEALTHY release.
   */
  private GuardOutcome canaryFailedAfterCompletion(Log l, ServiceTarget target, Deployment d,
      List<HealthCheck.Result> failed, List<String> lines, boolean coldStart) {
    String reason = "post-deploy checks failed after ECS completed the canary: " + failed.stream()
        .map(HealthCheck.Result::toString).reduce((a, b) -> a + "; " + b).orElse("");
    notifier.publish("Canary completed but failed its checks: " + target.service(), Json.obj()
        .put("event", "CANARY_CHECKS_FAILED_AFTER_COMPLETION").put("service", target.service())
        .put("cluster", target.cluster()).put("digest", d.digest()).put("revision", d.newTaskDefinitionArn())
        .put("checks", lines).put("environment", config.environmentName())
        .put("action", "the service keeps running it; roll back with: bin/gitops release rollback "
            + config.environmentName() + " " + target.service()));
    boolean done = AfterPublish.write(log, () -> ledger.transition(target.service(), d.digest(),
        DeploymentStatus.ROLLING_OUT, DeploymentStatus.FAILED, reason));
    metrics.count("CanaryChecksFailedAfterCompletion", coldStart);
    l.error("canary completed by ECS failed the post-deploy checks; no rollback from the guard", "written", done);
    return GuardOutcome.of(Action.FAILED, "CANARY_CHECKS_FAILED", reason)
        .about(target.service(), d.digest(), d.newTaskDefinitionArn()).withChecks(lines);
  }

  /** ECS's circuit breaker rolled the service back: repair the release state, record, notify; no UpdateService. */
  private GuardOutcome breakerRolledBack(Log l, ServiceTarget target, Deployment d, DeploymentStateChange e,
      boolean coldStart) {
    Optional<String> token = guardLedger.claimRollbackAndLock(target.service(), d.digest(), config.lockLease());
    if (token.isEmpty()) {
      return rollback.alreadyHandled(target, d);
    }
    try {
      // What ECS rolled back to is what the service runs now (its last completed deployment); before it has
      // switched, that is the revision the rollout replaced.
      Service svc = describe(target);
      String restoredRevision = svc.taskDefinition().equals(d.newTaskDefinitionArn())
          ? d.previousTaskDefinitionArn() : svc.taskDefinition();
      String restoredImage = restoredRevision == null ? d.previousImage() : imageOf(target, restoredRevision);
      String reason = "ECS deployment circuit breaker rolled back " + e.deploymentId() + ": " + e.reason();
      if (restoredImage != null) {
        releases.put(target.releaseParameter(), restoredImage);
      }
      notifier.publish("ECS rolled back " + target.service(), Json.obj().put("event", "BREAKER_ROLLED_BACK")
          .put("service", target.service()).put("cluster", target.cluster()).put("badDigest", d.digest())
          .put("badRevision", d.newTaskDefinitionArn()).put("reasons", List.of(reason))
          .put("restoredRevision", restoredRevision).put("restoredImage", restoredImage)
          .put("releaseParameter", target.releaseParameter()).put("environment", config.environmentName()));
      AfterPublish.write(log, () -> guardLedger.finish(target.service(), d.digest(), token.get(), DeploymentStatus.FAILED,
          reason, ReleaseParameters.digestOf(restoredImage).orElse(null), restoredRevision, true));
      metrics.count("BreakerRollbacks", coldStart);
      l.with("digest", d.digest()).warn("ECS circuit breaker rolled back; release parameter restored",
          "restoredImage", restoredImage, "reason", e.reason());
      return GuardOutcome.of(Action.FAILED, "BREAKER_ROLLED_BACK", reason + "; release parameter restored to "
          + restoredImage).about(target.service(), d.digest(), d.newTaskDefinitionArn())
          .withRestored(restoredRevision);
    } catch (SdkException ex) {
      guardLedger.releaseRollbackAndLock(target.service(), d.digest(), token.get());
      throw ex;
    }
  }

  /** A deployment the guard did not start (a pipeline run): recorded for the deployment metrics. */
  private GuardOutcome recordPipeline(Log l, ServiceTarget target, GuardLedger.View view, DeploymentStateChange e,
      boolean completed, boolean coldStart) {
    Service svc = describe(target);
    String revision = svc.taskDefinition();
    var head = view.state().head();
    boolean known = head.map(h -> revision.equals(h.currentTaskDefinitionArn())).orElse(false)
        || view.state().activeRestoredRevision().filter(revision::equals).isPresent()
        || view.current().map(c -> revision.equals(c.deployment().previousTaskDefinitionArn())).orElse(false);
    if (known) {
      return GuardOutcome.of(Action.NONE, "KNOWN_REVISION", e.kind() + " for " + revision
          + ", a revision the deployer or the guard put in place").about(target.service(), null, revision);
    }
    // Matched by identity here too: only the service's PRIMARY deployment speaks for the revision it runs now. A
    // late or re-delivered event of an earlier deployment would otherwise record (or mark HEALTHY) whatever runs,
    // even a deployment still in progress. (moto reports no new deployment per UpdateService: a service that names
    // no PRIMARY id is taken at its word, docs/emulator-gaps.md.)
    Optional<String> primary = svc.deployments().stream().filter(x -> "PRIMARY".equals(x.status()))
        .map(software.amazon.awssdk.services.ecs.model.Deployment::id).filter(id -> id != null).findFirst();
    if (primary.isPresent() && !primary.get().equals(e.deploymentId())) {
      l.info("event of an earlier deployment ignored", "eventName", e.kind().name(), "primary", primary.get());
      return ignored("OTHER_DEPLOYMENT", e.kind() + " of " + e.deploymentId() + " is not the service's current"
          + " deployment " + primary.get()).about(target.service(), null, revision);
    }
    Optional<String> image = releases.get(target.releaseParameter());
    if (image.isEmpty()) {
      return GuardOutcome.of(Action.NONE, "NO_RELEASE", "release parameter " + target.releaseParameter() + " is missing");
    }
    if (!image.get().equals(imageOf(target, revision))) {
      // Not a pipeline deployment of the release (CloudFormation deploys the release value): ECS's breaker,
      // most likely, its FAILED event still to come. Make the release follow what runs, if it names a failure.
      return repairAfterBreaker(l, target, view, e, coldStart);
    }
    String key = ReleaseParameters.digestOf(image.get()).orElse(image.get());
    Deployment d = Deployment.builder().service(target.service()).cluster(target.cluster()).digest(key).tag("")
        .repository(target.repository()).image(image.get()).eventId(e.eventId()).pushTime(e.updatedAt())
        .status(DeploymentStatus.ROLLING_OUT).phase(Phase.RELEASED).owner(Owner.PIPELINE)
        .newTaskDefinitionArn(revision)
        .previousTaskDefinitionArn(head.map(h -> h.currentTaskDefinitionArn()).orElse(null))
        .build();
    boolean recorded = ledger.recordIfAbsent(d);
    boolean healthy = false;
    if (completed) {
      // ECS reached steady state on this revision: it becomes the rollback target, keyed by its revision, so
      // that a configuration-only pipeline deployment of an image already in the ledger is what a later
      // rollback restores (not the older revision CloudFormation may have deregistered).
      Optional<Deployment> existing = recorded ? Optional.of(d) : ledger.find(target.service(), key);
      String why = "pipeline deployment " + e.deploymentId() + " of " + revision + " completed (ECS steady state)";
      if (existing.filter(x -> x.status() == DeploymentStatus.ROLLING_OUT).isPresent()) {
        healthy = ledger.transition(target.service(), key, DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY,
            why, revision);
      } else if (existing.filter(x -> x.status() == DeploymentStatus.HEALTHY
          && !revision.equals(x.newTaskDefinitionArn())).isPresent()) {
        healthy = ledger.moveHealthyRevision(target.service(), key, revision, why);
      }
    }
    if (recorded) metrics.count("PipelineDeploymentsRecorded", coldStart);
    l.info("pipeline deployment recorded", "eventName", e.kind().name(), "image", image.get(), "recorded", recorded,
        "healthy", healthy);
    return GuardOutcome.of(Action.NONE, "PIPELINE_DEPLOYMENT", (recorded ? "recorded " : "already recorded ")
        + image.get() + (healthy ? " (completed)" : "")).about(target.service(), key, revision);
  }

  private String imageOf(ServiceTarget target, String revision) {
    return TaskDefinitions.imageOf(ecs.describeTaskDefinition(b -> b.taskDefinition(revision)).taskDefinition(),
        target.container());
  }

  /**
   * SERVICE_DEPLOYMENT_FAILED when no rollout is guarded any more (the guard gave up, or a rollback failed):
   * ECS's circuit breaker rolled the service back on its own. The release parameter must name what runs
   * again, or the next pipeline run and the next promotion carry the failed digest on.
   */
  private GuardOutcome repairAfterBreaker(Log l, ServiceTarget target, GuardLedger.View view, DeploymentStateChange e,
      boolean coldStart) {
    Service svc = describe(target);
    String running = imageOf(target, svc.taskDefinition());
    Optional<String> release = releases.get(target.releaseParameter());
    if (release.isEmpty() || release.get().equals(running)) {
      return GuardOutcome.of(Action.NONE, "NO_ROLLOUT", "no guarded rollout of " + target.service()
          + "; the release parameter already names what runs");
    }
    Optional<Deployment> named = ReleaseParameters.digestOf(release.get())
        .flatMap(digest -> ledger.find(target.service(), digest));
    boolean failedDigest = named.filter(n -> n.status() == DeploymentStatus.FAILED
        || n.status() == DeploymentStatus.ROLLED_BACK || n.status() == DeploymentStatus.SUPERSEDED).isPresent();
    if (!failedDigest) {
      return GuardOutcome.of(Action.NONE, "NO_ROLLOUT", "no guarded rollout of " + target.service()
          + " (a pipeline deployment is protected by CloudFormation's rollback)");
    }
    Deployment bad = named.get();
    releases.put(target.releaseParameter(), running);
    String reason = "ECS deployment circuit breaker rolled back " + e.deploymentId() + " after the guard ended the "
        + "rollout of " + bad.digest() + " (" + bad.status() + "): " + e.reason();
    notifier.publish("ECS rolled back " + target.service(), Json.obj().put("event", "BREAKER_ROLLED_BACK")
        .put("service", target.service()).put("cluster", target.cluster()).put("badDigest", bad.digest())
        .put("badRevision", bad.newTaskDefinitionArn()).put("reasons", List.of(reason))
        .put("restoredRevision", svc.taskDefinition()).put("restoredImage", running)
        .put("releaseParameter", target.releaseParameter()).put("environment", config.environmentName()));
    metrics.count("BreakerRollbacks", coldStart);
    l.with("digest", bad.digest()).warn("ECS circuit breaker rolled back; release parameter repaired",
        "restoredImage", running);
    return GuardOutcome.of(Action.FAILED, "BREAKER_ROLLED_BACK", reason + "; release parameter restored to " + running)
        .about(target.service(), bad.digest(), bad.newTaskDefinitionArn()).withRestored(svc.taskDefinition());
  }

  // ------------------------------------------------------------------------------------------------

  private Service describe(ServiceTarget target) {
    return ecs.describeServices(b -> b.cluster(target.cluster()).services(target.service())).services().stream()
        .filter(s -> target.service().equals(s.serviceName()) && "ACTIVE".equals(s.status()))
        .findFirst()
        .orElseThrow(() -> new io.gitops.lambdas.core.PermanentFailureException("service '" + target.service()
            + "' not found (or not ACTIVE) in cluster '" + target.cluster() + "'"));
  }

  private GuardOutcome ignored(String code, String detail) {
    return GuardOutcome.of(Action.IGNORED, code, detail);
  }

  private Set<String> clusters() {
    Set<String> out = new java.util.LinkedHashSet<>();
    config.services().values().forEach(t -> out.add(lastSegment(t.cluster())));
    return out;
  }

  private static String lastSegment(String nameOrArn) {
    return nameOrArn.substring(nameOrArn.lastIndexOf('/') + 1);
  }

}
