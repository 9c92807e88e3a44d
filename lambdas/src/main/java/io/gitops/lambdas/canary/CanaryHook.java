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
import io.gitops.lambdas.guard.TargetHealth;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
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
  private final TargetHealth targets;
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
      GuardLedger guardLedger, ReleaseParameters releases, Notifier notifier, CanaryChecks checks, TargetHealth targets,
      Log log, Metrics metrics, Clock clock) {
    this.config = config;
    this.plans = Map.copyOf(plans);
    this.failureThreshold = failureThreshold;
    this.lockLease = config.lockLease();
    this.ecs = ecs;
    this.guardLedger = guardLedger;
    this.releases = releases;
    this.notifier = notifier;
    this.checks = checks;
    this.targets = targets;
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
    // The ledger and the target groups are read only when a stage has checks: the full shift needs neither.
    java.util.function.Supplier<Optional<Deployment>> rolling = memo(() -> guardLedger.view(target.get().service())
        .rollingOut().filter(d -> d.newTaskDefinitionArn() != null));
    if (!stageChecks.isEmpty() && rolling.get().isEmpty()) {
      // No image push started this deployment: the pipeline's (CloudFormation's rollback and the deployment
      // alarms guard it) or an operator's rollback to a release already judged HEALTHY. The analysis finds the
      // new revision's target group through the push's tasks; without them every check would be inconclusive
      // and the hook would abort every deployment that is not a push.
      l.info("no rollout of a push in the ledger; the deployment continues without analysis");
      return done(HookStatus.SUCCEEDED, state, inv, "NOT_A_PUSH: no image push started this deployment", List.of());
    }
    // Looked up only when a check is measured: the opening invocation of a stage measures nothing.
    CanaryChecks.Subject[] subject = new CanaryChecks.Subject[1];
    Instant now = clock.instant();
    Decision d = CanaryAnalysis.step(stageChecks, state, now, w -> {
      if (subject[0] == null) subject[0] = subject(plan, target.get(), rolling.get());
      return checks.measure(w.check(), subject[0], plan.testProbeUrl(), w.from(), w.to());
    });
    d.measurements().forEach((name, m) -> metrics.count("CanaryMeasurements", coldStart,
        Map.of("Check", name, "Result", m.verdict().name())));
    l.info("canary analysis", "hookStatus", d.status().name(), "measurements", d.lines(),
        "canaryTargetGroup", subject[0] == null ? null : subject[0].canaryTargetGroup().orElse(null),
        "weight", inv.targetProductionWeight());
    if (d.status() == HookStatus.FAILED) {
      return abort(l, inv, target.get(), rolling.get(), d, coldStart);
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
    String restoredImage = dep.previousImage() != null ? dep.previousImage()
        : restoredRevision == null ? null : TaskDefinitions.imageOf(
            ecs.describeTaskDefinition(b -> b.taskDefinition(restoredRevision)).taskDefinition(), target.container());
    try {
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
   * The canary's target group is the one where the new revision's tasks are registered (ECS alternates the
   * two groups between deployments); the other one is stable.
   */
  private CanaryChecks.Subject subject(CanaryPlan plan, ServiceTarget target, Optional<Deployment> rolling) {
    int failed = rolling.map(Deployment::failureCount).orElse(0);
    Set<String> ips = rolling.map(d -> guardLedger.runningTasks(target.service(), d.newTaskDefinitionArn()).stream()
        .map(GuardLedger.TrackedTask::privateIp).flatMap(Optional::stream).collect(Collectors.toSet())).orElse(Set.of());
    Optional<String> canary = Optional.empty();
    Optional<List<TargetHealth.Target>> canaryTargets = Optional.empty();
    if (!ips.isEmpty()) {
      for (String tg : plan.targetGroups()) {
        List<TargetHealth.Target> registered = targets.describe(tg);
        if (registered.stream().anyMatch(t -> ips.contains(t.id()))) {
          canary = Optional.of(tg);
          canaryTargets = Optional.of(registered);
          break;
        }
      }
    }
    Optional<String> stable = canary.flatMap(c -> plan.targetGroups().stream().filter(tg -> !tg.equals(c)).findFirst());
    return new CanaryChecks.Subject(plan.loadBalancer(), canary, stable, failed, canaryTargets);
  }

  private static <T> java.util.function.Supplier<T> memo(java.util.function.Supplier<T> s) {
    Object[] value = new Object[1];
    return () -> {
      if (value[0] == null) value[0] = s.get();
      @SuppressWarnings("unchecked") T t = (T) value[0];
      return t;
    };
  }

  private Response done(HookStatus status, AnalysisState state, HookInvocation inv, String reason, List<String> lines) {
    return new Response(status, 0, details(inv, state, lines), reason, lines);
  }

  /** hookDetails as received, with the analysis' counters (and its last measurements, for people) replaced. */
  private static Json.Obj details(HookInvocation inv, AnalysisState state, List<String> lines) {
    Json.Obj o = Json.obj();
    inv.hookDetails().filter(software.amazon.awssdk.protocols.jsoncore.JsonNode::isObject).ifPresent(h ->
        h.asObject().forEach((k, v) -> {
          if (!AnalysisState.KEY.equals(k) && !"lastMeasurements".equals(k)) o.put(k, new Json.Raw(v.toString()));
        }));
    return o.put(AnalysisState.KEY, state.toJson()).put("lastMeasurements", new ArrayList<>(lines));
  }
}
