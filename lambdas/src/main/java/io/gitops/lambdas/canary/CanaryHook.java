package io.gitops.lambdas.canary;

import io.gitops.lambdas.canary.CanaryAnalysis.Decision;
import io.gitops.lambdas.canary.CanaryAnalysis.HookStatus;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.core.TaskDefinitions;
import io.gitops.lambdas.guard.GuardLedger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ecs.EcsClient;

/**
 * The analysis hook of a canary service, which ECS invokes at the lifecycle stages the stack registers:
 * <ul>
 *   <li>{@code POST_TEST_TRAFFIC_SHIFT}: smoke checks through the test listener rule, before any production
 *       traffic;
 *   <li>{@code PRODUCTION_TRAFFIC_SHIFT} at the canary step (the new revision holds its first share): the
 *       traffic checks, holding the shift with IN_PROGRESS until they pass; at the full shift, SUCCEEDED;
 *   <li>{@code POST_PRODUCTION_TRAFFIC_SHIFT}: the traffic checks again, all traffic on the new revision.
 * </ul>
 * FAILED makes ECS roll back to the last successful revision: the hook then records the abort in the ledger
 * (ROLLED_BACK, with the failing check and its values), restores the release parameter and notifies; ECS does
 * the rollback itself, so the hook never calls UpdateService. On success nothing is written: the guard marks
 * the release HEALTHY at SERVICE_DEPLOYMENT_COMPLETED, as for any rollout.
 *
 * <p>For a canary service the guard counts failed tasks but does not roll back on them: the hook's
 * {@code task-failures} check answers FAILED at the same threshold, so exactly one rollback happens (ECS's).
 */
public final class CanaryHook {
  private final LambdaConfig config;
  private final Map<String, CanaryPlan> plans;
  private final int failureThreshold;
  private final Duration lockLease;
  private final EcsClient ecs;
  private final GuardLedger guardLedger;
  private final ReleaseParameters releases;
  private final Notifier notifier;
  private final CanaryChecks checks;
  private final ServiceRevisions.Source revisions;
  private final io.gitops.lambdas.core.Ledger ledger;
  private final Log log;
  private final Metrics metrics;
  private final Clock clock;

  /** ECS's answer, plus what the analysis saw (logged, and kept in hookDetails). */
  public record Response(HookStatus status, long callBackDelay, Json.Obj hookDetails, String reason, List<String> lines) {
    /** The JSON ECS reads: {@code hookStatus}, {@code callBackDelay} (IN_PROGRESS only), {@code hookDetails}. */
    public String toJson() {
      Json.Obj o = Json.obj().put("hookStatus", status.name());
      if (status == HookStatus.IN_PROGRESS) o.put("callBackDelay", callBackDelay);
      return o.put("hookDetails", hookDetails).toString();
    }
  }

  public CanaryHook(LambdaConfig config, Map<String, CanaryPlan> plans, int failureThreshold, EcsClient ecs,
      ServiceRevisions.Source revisions, io.gitops.lambdas.core.Ledger ledger, GuardLedger guardLedger,
      ReleaseParameters releases, Notifier notifier, CanaryChecks checks, Log log, Metrics metrics, Clock clock) {
    this.config = config;
    this.plans = Map.copyOf(plans);
    this.failureThreshold = failureThreshold;
    this.lockLease = config.lockLease();
    this.ecs = ecs;
    this.guardLedger = guardLedger;
    this.releases = releases;
    this.notifier = notifier;
    this.checks = checks;
    this.revisions = revisions;
    this.ledger = ledger;
    this.log = log;
    this.metrics = metrics;
    this.clock = clock;
  }

  public Response handle(HookInvocation inv, boolean coldStart) {
    Log l = log.with("service", inv.serviceName()).with("lifecycleStage", inv.lifecycleStage())
        .with("executionId", inv.executionId());
    CanaryPlan plan = plans.get(inv.serviceName());
    Optional<ServiceTarget> target = config.targetForService(inv.serviceName());
    if (plan == null || target.isEmpty()) {
      // A hook on a service this environment does not analyse: never block its deployment on our account.
      l.warn("hook invoked for a service without a canary plan; letting the deployment continue");
      return done(HookStatus.SUCCEEDED, AnalysisState.fresh(inv.lifecycleStage()), inv,
          "NO_PLAN: " + inv.serviceName() + " has no canary analysis here", List.of());
    }
    List<Check> stageChecks = switch (inv.lifecycleStage()) {
      case "POST_TEST_TRAFFIC_SHIFT" -> plan.smokeChecks();
      case "PRODUCTION_TRAFFIC_SHIFT" -> {
        double w = inv.targetProductionWeight();
        // Judged at the canary step; the full shift (and a shift back on rollback) passes at once.
        yield w > 0 && w < 100 ? plan.trafficChecks(plan.canaryCount(), failureThreshold) : List.of();
      }
      case "POST_PRODUCTION_TRAFFIC_SHIFT" -> plan.trafficChecks(plan.bakeCount(), failureThreshold);
      default -> List.of();
    };
    AnalysisState state = AnalysisState.from(inv.hookDetails(), inv.lifecycleStage());
    if (stageChecks.isEmpty()) {
      // The full shift, and the stages the analysis does not judge: nothing to read, nothing to hold.
      return done(HookStatus.SUCCEEDED, state, inv, "PASSED: nothing to judge at this stage", List.of());
    }
    // The revision ECS deploys, from ECS itself: never from task events the guard may not have received yet.
    Optional<ServiceRevisions.Revision> revision = revisions.describe(inv.targetServiceRevisionArn(),
        target.get().container());
    if (revision.isEmpty()) {
      return wait(l, inv, state, "REVISION_UNKNOWN: ECS does not describe " + inv.targetServiceRevisionArn() + " (yet)");
    }
    Optional<Deployment> judged = revision.get().digest().flatMap(x -> ledger.find(target.get().service(), x));
    DeploymentStatus status = judged.map(Deployment::status).orElse(null);
    if (status == DeploymentStatus.ROLLED_BACK || status == DeploymentStatus.FAILED) {
      // ECS's rollback pass through the traffic-shift stages (or a revision already rejected): never held.
      l.info("the target revision's digest is already rejected; ECS's rollback continues", "digest",
          revision.get().digest().orElse(null), "status", status.name());
      return done(HookStatus.SUCCEEDED, state, inv, "ROLLBACK_PASS: " + revision.get().digest().orElse("?") + " is "
          + status + "; a rollback is never held", List.of());
    }
    if (status != DeploymentStatus.ROLLING_OUT || judged.get().owner() == io.gitops.lambdas.core.Owner.PIPELINE) {
      // No image push is rolling this digest out: the pipeline's deployment (CloudFormation's rollback and the
      // deployment alarms guard it), an operator's rollback to a release already judged HEALTHY, or ECS's
      // rollback pass towards the last good revision.
      l.info("no rollout of a push for the target revision; the deployment continues without analysis",
          "digest", revision.get().digest().orElse(null), "status", status == null ? null : status.name(),
          "owner", judged.map(Deployment::owner).map(Enum::name).orElse(null));
      return done(HookStatus.SUCCEEDED, state, inv, "NOT_A_PUSH: no image push is rolling out "
          + revision.get().digest().orElse(inv.targetServiceRevisionArn()), List.of());
    }
    if (judged.get().newTaskDefinitionArn() == null) {
      // The image deployer's UpdateService went through but its completion write did not (yet): Lambda retries
      // it. The push's canary waits for its ledger record instead of passing unjudged.
      return wait(l, inv, state, "LEDGER_LAG: the rollout of " + judged.get().digest()
          + " is not recorded yet (the image deployer's retry completes it)");
    }
    // Looked up only when a check is measured: the opening invocation of a stage measures nothing.
    CanaryChecks.Subject[] subject = new CanaryChecks.Subject[1];
    Instant now = clock.instant();
    Decision d = CanaryAnalysis.step(stageChecks, state, now, w -> {
      if (subject[0] == null) subject[0] = subject(plan, revision.get(), judged.get());
      return checks.measure(w.check(), subject[0], plan.testProbeUrl(), w.from(), w.to());
    });
    d.measurements().forEach((name, m) -> metrics.count("CanaryMeasurements", coldStart,
        Map.of("Check", name, "Result", m.verdict().name())));
    l.info("canary analysis", "hookStatus", d.status().name(), "measurements", d.lines(),
        "canaryTargetGroup", subject[0] == null ? null : subject[0].canaryTargetGroup().orElse(null),
        "weight", inv.targetProductionWeight());
    if (d.status() == HookStatus.FAILED) {
      return abort(l, inv, target.get(), judged, d, coldStart);
    }
    String reason = d.status() == HookStatus.SUCCEEDED
        ? "PASSED: " + (stageChecks.isEmpty() ? "nothing to judge at this stage" : "every check passed its count")
        : "MEASURING: next in " + d.callBackDelaySeconds() + " s";
    return new Response(d.status(), d.callBackDelaySeconds(), details(inv, d.state(), d.lines()), reason, d.lines());
  }

  /** FAILED: ECS rolls back; the ledger, the release parameter and the notification follow, once. */
  private Response abort(Log l, HookInvocation inv, ServiceTarget target, Optional<Deployment> rolling, Decision d,
      boolean coldStart) {
    CanaryAnalysis.Failure f = d.failing().orElseThrow();
    String reason = "canary aborted at " + inv.lifecycleStage() + ": " + f.describe();
    metrics.count("CanaryAborts", coldStart, Map.of("Check", f.check()));
    if (rolling.isEmpty()) {
      // A pipeline deployment (CloudFormation's own rollback guards it), or already judged: only tell people.
      notifier.publish("Canary aborted: " + target.service(), Json.obj().put("event", "CANARY_ABORTED")
          .put("service", target.service()).put("cluster", target.cluster()).put("check", f.check())
          .put("values", f.last().values()).put("reason", reason).put("stage", inv.lifecycleStage())
          .put("environment", config.environmentName()));
      return new Response(HookStatus.FAILED, 0, details(inv, d.state(), d.lines()), "ABORTED: " + reason, d.lines());
    }
    Deployment dep = rolling.get();
    Optional<String> token = guardLedger.claimRollback(target.service(), dep.digest(), lockLease);
    if (token.isEmpty()) {
      l.info("abort already recorded by another invocation", "digest", dep.digest());
      return new Response(HookStatus.FAILED, 0, details(inv, d.state(), d.lines()), "ABORTED (already recorded): "
          + reason, d.lines());
    }
    String restoredRevision = dep.previousTaskDefinitionArn();
    String restoredImage;
    try {
      // Inside the try: a transient error here releases the claim, and the next invocation records the abort.
      restoredImage = dep.previousImage() != null ? dep.previousImage()
          : restoredRevision == null ? null : TaskDefinitions.imageOf(
              ecs.describeTaskDefinition(b -> b.taskDefinition(restoredRevision)).taskDefinition(), target.container());
      if (restoredImage != null) releases.put(target.releaseParameter(), restoredImage);
      notifier.publish("Canary aborted: " + target.service(), Json.obj().put("event", "CANARY_ABORTED")
          .put("service", target.service()).put("cluster", target.cluster()).put("badDigest", dep.digest())
          .put("badRevision", dep.newTaskDefinitionArn()).put("check", f.check()).put("values", f.last().values())
          .put("reason", reason).put("stage", inv.lifecycleStage()).put("restoredRevision", restoredRevision)
          .put("restoredImage", restoredImage).put("releaseParameter", target.releaseParameter())
          .put("environment", config.environmentName()));
    } catch (RuntimeException e) {
      guardLedger.releaseRollback(target.service(), dep.digest(), token.get());
      throw e;
    }
    boolean written = guardLedger.finish(target.service(), dep.digest(), token.get(), DeploymentStatus.ROLLED_BACK,
        reason, ReleaseParameters.digestOf(restoredImage == null ? "" : restoredImage).orElse(null), restoredRevision);
    long toAbort = Math.max(0, Duration.between(dep.pushTime(), clock.instant()).toMillis());
    metrics.millis("TimeToCanaryAbort", toAbort, coldStart);
    l.with("digest", dep.digest()).warn("canary aborted; ECS rolls back; release parameter restored",
        "check", f.check(), "values", f.last().values(), "restoredImage", restoredImage, "written", written);
    return new Response(HookStatus.FAILED, 0, details(inv, d.state(), d.lines()), "ABORTED: " + reason, d.lines());
  }

  /**
   * The canary's target group is the one ECS associates with the target revision (ECS alternates the two groups
   * between deployments); the other one is stable. A revision naming neither leaves the group unknown, and the
   * checks that need it inconclusive.
   */
  private static CanaryChecks.Subject subject(CanaryPlan plan, ServiceRevisions.Revision revision, Deployment d) {
    Optional<String> canary = revision.targetGroups().stream().filter(plan.targetGroups()::contains).findFirst();
    Optional<String> stable = canary.flatMap(c -> plan.targetGroups().stream().filter(tg -> !tg.equals(c)).findFirst());
    return new CanaryChecks.Subject(plan.loadBalancer(), canary, stable, d.failureCount(), Optional.empty());
  }

  /** How long the hook waits for ECS or the ledger to catch up before it gives up on the deployment. */
  static final Duration WAIT_LIMIT = Duration.ofMinutes(15);
  static final long WAIT_CALLBACK_SECONDS = 15;
  private static final String WAIT_KEY = "canaryWait";

  /**
   * IN_PROGRESS until what the hook needs is there; past {@link #WAIT_LIMIT} FAILED, with a notification: a
   * push whose record never came is not promoted unjudged.
   */
  private Response wait(Log l, HookInvocation inv, AnalysisState state, String reason) {
    Instant now = clock.instant();
    long since = inv.hookDetails().filter(software.amazon.awssdk.protocols.jsoncore.JsonNode::isObject)
        .map(h -> h.asObject().get(WAIT_KEY)).filter(n -> n != null && n.isNumber())
        .map(n -> Long.parseLong(n.asNumber().split("\\.")[0])).orElse(now.toEpochMilli());
    Json.Obj details = details(inv, state, List.of(reason));
    if (Duration.between(Instant.ofEpochMilli(since), now).compareTo(WAIT_LIMIT) > 0) {
      l.warn("the hook waited past its limit; the deployment rolls back", "reason", reason);
      notifier.publish("Canary aborted: " + inv.serviceName(), Json.obj().put("event", "CANARY_ABORTED")
          .put("service", inv.serviceName()).put("reason", "waited " + WAIT_LIMIT.toMinutes() + " min: " + reason)
          .put("stage", inv.lifecycleStage()).put("environment", config.environmentName()));
      return new Response(HookStatus.FAILED, 0, details, "ABORTED: waited " + WAIT_LIMIT.toMinutes() + " min: " + reason,
          List.of(reason));
    }
    l.info("waiting before the analysis", "reason", reason);
    return new Response(HookStatus.IN_PROGRESS, WAIT_CALLBACK_SECONDS, details.put(WAIT_KEY, since), "WAITING: " + reason,
        List.of(reason));
  }

  private Response done(HookStatus status, AnalysisState state, HookInvocation inv, String reason, List<String> lines) {
    return new Response(status, 0, details(inv, state, lines), reason, lines);
  }

  /** hookDetails as received, with the analysis' counters (and its last measurements, for people) replaced. */
  private static Json.Obj details(HookInvocation inv, AnalysisState state, List<String> lines) {
    Json.Obj o = Json.obj();
    inv.hookDetails().filter(software.amazon.awssdk.protocols.jsoncore.JsonNode::isObject).ifPresent(h ->
        h.asObject().forEach((k, v) -> {
          if (!AnalysisState.KEY.equals(k) && !"lastMeasurements".equals(k) && !WAIT_KEY.equals(k)) o.put(k, new Json.Raw(v.toString()));
        }));
    return o.put(AnalysisState.KEY, state.toJson()).put("lastMeasurements", new ArrayList<>(lines));
  }
}
