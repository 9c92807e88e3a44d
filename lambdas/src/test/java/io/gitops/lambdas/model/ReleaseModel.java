package io.gitops.lambdas.model;

import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.canary.CanaryChecks;
import io.gitops.lambdas.canary.CanaryPlan;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.deployer.Outcome;
import io.gitops.lambdas.guard.GuardConfig;
import io.gitops.lambdas.guard.GuardHandler;
import io.gitops.lambdas.guard.GuardOutcome;
import io.gitops.lambdas.guard.HttpProbeCheck;
import io.gitops.lambdas.guard.TargetHealth;
import io.gitops.lambdas.testing.AsyncInvoker;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoServer;
import io.gitops.testing.MutableClock;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.ecs.model.Deployment;
import software.amazon.awssdk.services.ecs.model.InvalidParameterException;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;
import software.amazon.awssdk.services.ecs.model.UpdateServiceRequest;
import software.amazon.awssdk.services.ecs.model.UpdateServiceResponse;

/**
 * The model-based test's world: both functions in-process against moto over HTTP (through a {@link FaultProxy}
 * that plays planned faults), a small model of ECS playing the scheduler and the circuit breaker (moto launches
 * no tasks and keeps one deployment per service), CloudFormation's configuration-only pipeline deployments, and
 * Lambda's asynchronous retry ({@link AsyncInvoker}, every error retried). {@link #run} plays a sequence of
 * {@link Action}s and checks the invariants of docs/ledger.md after every step. For a canary service (half the
 * seeds) the ECS model has no circuit breaker and runs the lifecycle stages instead, invoking the guard as its
 * hook ({@link Hook}), and rolls back by itself when the hook answers FAILED.
 */
final class ReleaseModel {
  static final String SERVICE = "svc";
  static final String PLACEHOLDER = "public.ecr.aws/docker/library/nginx@" + Events.digest("placeholder");
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  /** ECS's circuit breaker threshold for a small service (at least 3 failed tasks). */
  static final int BREAKER_THRESHOLD = 3;

  // ---------------------------------------------------------------------------------------------------------
  // Actions

  /** How one invocation's first attempt goes wrong. {@code call}: the n-th AWS call of the attempt (1-based). */
  record Fault(String kind, int call, int repeats) {
    static final Fault NONE = new Fault("NONE", 0, 0);

    String code() {
      return kind.equals("NONE") ? "Fault.NONE" : "new Fault(\"" + kind + "\", " + call + ", " + repeats + ")";
    }
  }

  sealed interface Action {
    String code();
  }

  /** A push of {@code label}'s digest; {@code when}: NEW, OLDER, DUPLICATE (the last push event again), NEW_TAG. */
  record Push(String label, String when, Fault fault) implements Action {
    public String code() {
      return "new Push(\"" + label + "\", \"" + when + "\", " + fault.code() + ")";
    }
  }

  /** The ECS model takes one step: a wave of tasks of the current deployment, or the breaker. */
  record EcsTick() implements Action {
    public String code() {
      return "new EcsTick()";
    }
  }

  /** Delivers the {@code index}-th pending ECS event (mod the queue's size) to the guard; {@code keep}: duplicate it. */
  record Deliver(int index, boolean keep, Fault fault) implements Action {
    public String code() {
      return "new Deliver(" + index + ", " + keep + ", " + fault.code() + ")";
    }
  }

  /** A configuration-only pipeline deployment: new revision of the release parameter's image, old one deregistered. */
  record Pipeline() implements Action {
    public String code() {
      return "new Pipeline()";
    }
  }

  record Advance(int minutes) implements Action {
    public String code() {
      return "new Advance(" + minutes + ")";
    }
  }

  /** Events stop and faults stop: the scheduler and the guard run until nothing is pending; then (b) and (f). */
  record Drain() implements Action {
    public String code() {
      return "new Drain()";
    }
  }

  /** ECS invokes the canary hook at the current lifecycle stage (after waiting the last answer's callBackDelay). */
  record Hook(Fault fault) implements Action {
    public String code() {
      return "new Hook(" + fault.code() + ")";
    }
  }

  /**
   * EventBridge delivers at least once, late: an ECS deployment event delivered earlier is delivered again (the
   * {@code index}-th of those delivered, mod their count), possibly while another deployment is in progress.
   */
  record Redeliver(int index) implements Action {
    public String code() {
      return "new Redeliver(" + index + ")";
    }
  }

  /** The canary's share of 5xx answers from now on, in percent (what the error-rate check reads). */
  record ErrorRate(int percent) implements Action {
    public String code() {
      return "new ErrorRate(" + percent + ")";
    }
  }

  /** A lifecycle stage the stack registers the hook for, with the new revision's share of production traffic. */
  record Stage(String name, int weight) {}

  static final List<Stage> STAGES = List.of(new Stage("POST_TEST_TRAFFIC_SHIFT", 0),
      new Stage("PRODUCTION_TRAFFIC_SHIFT", 10), new Stage("PRODUCTION_TRAFFIC_SHIFT", 100),
      new Stage("POST_PRODUCTION_TRAFFIC_SHIFT", 100));

  static final List<String> GOOD = List.of("g1", "g2", "g3");
  static final List<String> BAD = List.of("b1", "b2");
  static final List<String> FAULT_KINDS = List.of("CRASH", "THROTTLE", "SERVER_ERROR", "TXN_CONFLICT",
      "TOO_MANY_UPDATES", "TIMEOUT");

  static Fault randomFault(Random r) {
    if (r.nextInt(100) < 55) return Fault.NONE;
    String kind = FAULT_KINDS.get(r.nextInt(FAULT_KINDS.size()));
    return new Fault(kind, 1 + r.nextInt(8), kind.equals("CRASH") ? 1 : (r.nextBoolean() ? 1 : 3));
  }

  static List<Action> randomSequence(Random r, int length) {
    return randomSequence(r, length, false);
  }

  /** Half the seeds deploy the service as a canary (ECS's native strategy, the guard as its hook). */
  static boolean canaryFor(long seed) {
    return Math.floorMod(seed, 2L) == 1;
  }

  /**
   * For a canary service, hook invocations take a share of the deliveries and 5xx-rate changes a share of the
   * time steps, so a sequence keeps its length.
   */
  static List<Action> randomSequence(Random r, int length, boolean canary) {
    List<Action> out = new ArrayList<>();
    if (EXTENDED && r.nextBoolean()) {
      // Every new environment: the pipeline deploys the service (its first deployment's events reach the guard)
      // before anyone pushes.
      out.add(new Pipeline());
      out.add(new Drain());
    }
    for (int i = out.size(); i < length; i++) {
      int p = r.nextInt(100);
      if (p < 22) {
        String label = r.nextInt(3) == 0 ? BAD.get(r.nextInt(BAD.size())) : GOOD.get(r.nextInt(GOOD.size()));
        String when = switch (r.nextInt(10)) {
          case 0 -> "OLDER";
          case 1 -> "DUPLICATE";
          case 2 -> "NEW_TAG";
          // The ledger lagging ECS for the hook: a canary's push whose completion write waits for Lambda's retry.
          case 3 -> canary ? "LAG" : "NEW";
          default -> "NEW";
        };
        out.add(new Push(label, when, randomFault(r)));
      } else if (p < 45) {
        out.add(new EcsTick());
      } else if (canary && p >= 66 && p < 80) {
        out.add(new Hook(randomFault(r)));
      } else if (p < 80) {
        int k = r.nextInt(8);
        out.add(EXTENDED && k == 1 ? new Redeliver(r.nextInt(6)) : new Deliver(r.nextInt(6), k == 0, randomFault(r)));
      } else if (p < 86) {
        out.add(new Pipeline());
      } else if (canary && p >= 90 && p < 94) {
        out.add(new ErrorRate(r.nextInt(3) == 0 ? 20 : r.nextBoolean() ? 2 : 0));
      } else if (p < 94) {
        out.add(new Advance(1 + r.nextInt(3)));
      } else {
        out.add(new Drain());
      }
    }
    out.add(new Drain());
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Running a sequence

  /** An invariant broken at a step. */
  record Violation(String invariant, int step, String detail) {
    @Override
    public String toString() {
      return "(" + invariant + ") at step " + step + ": " + detail;
    }
  }

  /** Figures of one run, summed by the soak. */
  static final class Stats {
    long sequences;
    long steps;
    long faults;
    long invariantChecks;
    long deliveries;
    long onFailure;
    long canarySequences;
    long hookInvocations;
    long promotions;
    long aborts;
    /** ECS's rollback passes through the traffic shift, and hook answers waiting for a lagging ledger. */
    long rollbackPasses;
    long ledgerLagWaits;
    /** Why the hook answered FAILED: the failing check, or a function error. */
    final Map<String, Long> abortsBy = new java.util.TreeMap<>();
    final Map<String, Long> faultsByKind = new java.util.TreeMap<>();
    /** On-failure entries by cause (the last error's first words), and those no injected fault forced there. */
    final Map<String, Long> onFailureBy = new java.util.TreeMap<>();
    long onFailureUnforced;
    /** Liveness (h) checks made and broken (reported; a violation only with -Dmodel.liveness=true). */
    long progressChecks;
    final Map<String, Long> progressBroken = new java.util.TreeMap<>();

    /** Adds {@code other}'s counts to these (the halves ReleaseModelTest runs side by side). */
    synchronized void add(Stats other) {
      sequences += other.sequences;
      steps += other.steps;
      faults += other.faults;
      invariantChecks += other.invariantChecks;
      deliveries += other.deliveries;
      onFailure += other.onFailure;
      canarySequences += other.canarySequences;
      hookInvocations += other.hookInvocations;
      promotions += other.promotions;
      aborts += other.aborts;
      rollbackPasses += other.rollbackPasses;
      ledgerLagWaits += other.ledgerLagWaits;
      other.abortsBy.forEach((k, v) -> abortsBy.merge(k, v, Long::sum));
      other.faultsByKind.forEach((k, v) -> faultsByKind.merge(k, v, Long::sum));
      other.onFailureBy.forEach((k, v) -> onFailureBy.merge(k, v, Long::sum));
      onFailureUnforced += other.onFailureUnforced;
      progressChecks += other.progressChecks;
      other.progressBroken.forEach((k, v) -> progressBroken.merge(k, v, Long::sum));
    }
  }

  private final MotoServer moto;
  private final Stats stats;
  private AwsFixture fx;
  private FaultProxy proxy;
  private final MutableClock clock = new MutableClock(T0);
  private AsyncInvoker<Outcome> deployer;
  private AsyncInvoker<GuardOutcome> guard;
  private final Planner planner = new Planner();
  private final EcsModel ecs = new EcsModel();
  private final List<byte[]> pending = new ArrayList<>();
  private final List<String> onFailure = new ArrayList<>();
  private final List<Violation> violations = new ArrayList<>();
  private final List<String> serviceChanges = new ArrayList<>();
  private final Map<String, String> tagsByRevision = new HashMap<>();
  private int step;
  private int pushes;
  private Instant lastPushTime = T0;
  private byte[] lastPushEvent;
  private int taskIds;
  private long version = 1;
  private String pipelineRevision;
  private int pipelineRuns;

  /**
   * The liveness invariants (h) and (i) break a run only with {@code -Dmodel.liveness=true}: today's functions
   * still park events that no fault forced (counted in {@link Stats#onFailureUnforced}; docs/ledger.md).
   */
  static final boolean LIVENESS_STRICT = Boolean.getBoolean("model.liveness");
  /**
   * The generator's issue-20 actions (the pipeline's first deployment before any push, late re-deliveries), with
   * {@code -Dmodel.extended=true}: they find a (b) violation on a canary seed not fixed yet
   * (ReleaseModelRegressionTest.aCanaryCompletedByEcsIsNotLeftFailedWhileItRuns), so CI's fixed seeds run without
   * them until it is.
   */
  static final boolean EXTENDED = Boolean.getBoolean("model.extended");
  /** The newest push sent (by push time), and what the deployer answered for it (null: in the on-failure queue). */
  private String newestPushDigest;
  private Instant newestPushTime;
  private Outcome newestPushOutcome;
  private boolean newestPushParked;

  /** The service deploys as a canary: ECS's traffic shifting, the guard answering its lifecycle hook. */
  private final boolean canary;
  /** The canary's 5xx share in percent, which the error-rate check reads. */
  private int errorPercent;
  /** Digests the service reached steady state on legitimately: the initial image, and canaries ECS promoted. */
  private final Set<String> promoted = new TreeSet<>();
  /** Digests whose rollout (ROLLING_OUT in the ledger) the hook aborted, and that ECS did not promote since. */
  private final Set<String> aborted = new TreeSet<>();
  static final String LB = "app/gitops-model/50dc6c495c0c9188";
  static final String TG_A = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/svc-a/73e2d6bc24d8a067";
  static final String TG_B = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/svc-b/6d0ecf831eec9f09";

  ReleaseModel(MotoServer moto, Stats stats) {
    this(moto, stats, false);
  }

  ReleaseModel(MotoServer moto, Stats stats, boolean canary) {
    this.moto = moto;
    this.stats = stats;
    this.canary = canary;
  }

  /** Plays {@code actions} from a fresh emulator; returns the first violation, if any. */
  java.util.Optional<Violation> run(List<Action> actions) {
    moto.reset();
    // The real stacks' placeholder is pinned by digest (Placeholders.IMAGE); release values always are.
    fx = AwsFixture.builder(moto.endpoint()).service(SERVICE).taskDefinition(b -> b.containerDefinitions(
        software.amazon.awssdk.services.ecs.model.ContainerDefinition.builder().name("app").image(PLACEHOLDER)
            .essential(true).memory(512).build())).provision();
    fx.clients().ssm().putParameter(b -> b.name(fx.target(SERVICE).releaseParameter()).value(PLACEHOLDER)
        .overwrite(true));
    proxy = revisions.on(new FaultProxy(moto.endpoint(), 0, 0, List.of(FaultProxy.Fault.SERVER_ERROR)).serialize(true));
    try {
      Map<String, String> env = new LinkedHashMap<>(fx.env(proxy.endpoint()));
      env.put("LOCK_LEASE_SECONDS", "120");
      env.put("FUNCTION_TIMEOUT_SECONDS", "60");
      env.put("FAILURE_THRESHOLD", "2");
      env.put("GRACE_PERIOD_SECONDS", "60");
      LambdaConfig config = LambdaConfig.from(env);
      PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
      var clients = AwsFixture.functionClients(proxy.endpoint(), AwsFixture.FAST_SDK, planner, ecs);
      ImageDeployerHandler d = new ImageDeployerHandler(config, clients, quiet, clock);
      GuardHandler g;
      if (canary) {
        // As the stack configures a canary service: CANARY_ANALYSIS names it (GuardConfig.isCanary), its plan is
        // dev's shape with two measurements per stage. The new revision's running tasks are healthy targets of
        // the second group; the metrics are 100 requests per window with the sequence's 5xx share.
        env.put(io.gitops.contract.EnvVar.CANARY_ANALYSIS, "{\"" + SERVICE + "\":{}}");
        CanaryPlan plan = new CanaryPlan(LB, List.of(TG_A, TG_B), java.util.Optional.empty(), Duration.ofSeconds(60),
            2, 2, CanaryPlan.DEFAULT_MAX_ERROR_RATE, CanaryPlan.DEFAULT_MAX_LATENCY_RATIO);
        TargetHealth targets = tg -> TG_B.equals(tg) ? ecs.runningIps.stream()
            .map(ip -> new TargetHealth.Target(ip, java.util.Optional.of(8080), "healthy", "")).toList() : List.of();
        CanaryChecks.MetricSource metrics = (series, from, to, period) -> series.stream().map(s ->
            new CloudWatchQuery.Values(s.metricName().equals("RequestCount") ? List.of(100.0)
                : s.metricName().equals("HTTPCode_Target_5XX_Count") ? List.of((double) errorPercent)
                : List.of())).toList();
        g = new GuardHandler(config, GuardConfig.from(env), clients, targets, HttpProbeCheck.HTTP, metrics,
            Map.of(SERVICE, plan), quiet, clock);
        stats.canarySequences++;
      } else {
        TargetHealth healthy = tg -> List.of();
        g = new GuardHandler(config, GuardConfig.from(env), clients, healthy, HttpProbeCheck.HTTP, quiet, clock);
      }
      hookHandler = g;
      deployer = new AsyncInvoker<>(d::handle, clock, 2, e -> true);
      guard = new AsyncInvoker<>(g::handle, clock, 2, e -> true);
      pipelineRevision = fx.currentTaskDefinition(SERVICE).taskDefinition().taskDefinitionArn();
      ecs.start(pipelineRevision, "ecs-svc/initial", true);
      promoted.add(Events.digest("placeholder"));
      stats.sequences++;
      for (step = 1; step <= actions.size(); step++) {
        apply(actions.get(step - 1));
        stats.steps++;
        checkEveryStep();
        if (!violations.isEmpty()) return java.util.Optional.of(violations.get(0));
      }
      return java.util.Optional.empty();
    } finally {
      stats.faults += proxy.plannedInjected().values().stream().mapToInt(Integer::intValue).sum() + planner.crashes;
      proxy.plannedInjected().forEach((k, v) -> stats.faultsByKind.merge(k, (long) v, Long::sum));
      stats.faultsByKind.merge("CRASH", (long) planner.crashes, Long::sum);
      proxy.close();
    }
  }

  private void apply(Action a) {
    if (a instanceof Push p) push(p);
    else if (a instanceof EcsTick) ecs.tick();
    else if (a instanceof Deliver d) deliver(d);
    else if (a instanceof Redeliver d) redeliver(d);
    else if (a instanceof Pipeline) pipeline();
    else if (a instanceof Advance adv) clock.advance(Duration.ofMinutes(adv.minutes()));
    else if (a instanceof Drain) drain();
    else if (a instanceof Hook h) ecs.hook(h.fault());
    else if (a instanceof ErrorRate e) errorPercent = e.percent();
  }

  private void push(Push p) {
    byte[] event;
    if (p.when().equals("DUPLICATE") && lastPushEvent != null) {
      event = lastPushEvent;
    } else {
      pushes++;
      Instant time = p.when().equals("OLDER") ? lastPushTime.minusSeconds(30) : clock.instant().plusSeconds(pushes);
      if (!p.when().equals("OLDER")) lastPushTime = time;
      String tag = "1." + pushes + ".0" + (p.when().equals("NEW_TAG") ? "-rc" : "");
      String id = UUID.nameUUIDFromBytes(("push-" + pushes).getBytes(StandardCharsets.UTF_8)).toString();
      event = Events.bytes(Events.ecrAction(id, SERVICE, Events.digest(p.label()), tag, time, "PUSH", "SUCCESS"));
      lastPushEvent = event;
    }
    if (p.when().equals("LAG")) {
      // The image deployer's attempt dies right after its UpdateService: ECS starts the canary and invokes the hook
      // while the ledger still says CLAIMED; Lambda's retry completes the rollout.
      lagging = true;
      Object lagged = invoke(deployer, event, new Fault("CRASH_UPDATE", 0, 1), "push " + p.label());
      lagging = false;
      newestPushDigest = Events.digest(p.label());
      newestPushTime = lastPushTime;
      newestPushOutcome = lagged instanceof Outcome o ? o : null;
      newestPushParked = lagged == null;
      return;
    }
    Object result = invoke(deployer, event, p.fault(), "push " + p.label());
    if (!p.when().equals("OLDER") && !p.when().equals("DUPLICATE")) {
      newestPushDigest = Events.digest(p.label());
      newestPushTime = lastPushTime;
      newestPushOutcome = result instanceof Outcome o ? o : null;
      newestPushParked = result == null;
    }
  }

  /** A LAG push's first attempt has died: ECS goes ahead of the ledger before Lambda's retry. */
  private boolean lagging;

  private void ecsAheadOfTheLedger() {
    ecs.tick();
    for (int i = 0; i < 3; i++) ecs.hook(Fault.NONE);
  }

  private void deliver(Deliver d) {
    if (pending.isEmpty()) return;
    int i = d.index() % pending.size();
    byte[] event = d.keep() ? pending.get(i) : pending.remove(i);
    remember(event);
    invoke(guard, event, d.fault(), "ecs event");
  }

  /** Deployment events delivered so far (what a late re-delivery repeats). */
  private final List<byte[]> deliveredDeploymentEvents = new ArrayList<>();

  private void remember(byte[] event) {
    if (new String(event, StandardCharsets.UTF_8).contains("ECS Deployment State Change")) {
      deliveredDeploymentEvents.add(event);
    }
  }

  private void redeliver(Redeliver d) {
    if (deliveredDeploymentEvents.isEmpty()) return;
    invoke(guard, deliveredDeploymentEvents.get(d.index() % deliveredDeploymentEvents.size()), Fault.NONE,
        "ecs event (late re-delivery)");
  }

  /** (g) for a canary service, the guard marks a digest HEALTHY only once ECS promoted it on the hook's SUCCEEDED. */
  private void checkHealthy(GuardOutcome o) {
    if (canary && o != null && o.action() == GuardOutcome.Action.HEALTHY && o.digest() != null
        && !promoted.contains(o.digest())) {
      violations.add(new Violation("g", step, "the guard marked " + o.digest() + " HEALTHY, but the hook never "
          + "answered SUCCEEDED at every stage for it (" + o.reason() + ")"));
    }
  }

  private <R> R invoke(AsyncInvoker<R> lambda, byte[] event, Fault fault, String what) {
    stats.deliveries++;
    lambda.beforeAttempt(attempt -> {
      if (attempt == 2 && lagging && lambda == deployer) {
        lagging = false;
        ecsAheadOfTheLedger();
      }
      planner.plan(attempt == 1 ? fault : Fault.NONE);
    });
    AsyncInvoker.Delivery<R> r;
    guardActive = lambda == guard;
    try {
      r = lambda.deliver(event);
    } finally {
      planner.plan(Fault.NONE);
      guardActive = false;
    }
    if (r.result() instanceof GuardOutcome o) checkHealthy(o);
    if (r.heldOnFailure()) {
      onFailure.add(what);
      stats.onFailure++;
      RuntimeException e = r.lastError();
      // (i) the on-failure queue holds only what faults forced there: every attempt met an injected fault. Faults
      // are planned on the first attempt only (Lambda's retries meet none), so an entry is forced only if the
      // last attempt's error is itself a planned fault's.
      String cause = String.valueOf(e == null ? "?" : e.getMessage()).replaceAll("^(\\S+: ?\\S*( \\S+)?).*$", "$1");
      stats.onFailureBy.merge(cause.length() > 60 ? cause.substring(0, 60) : cause, 1L, Long::sum);
      stats.onFailureUnforced++;
      stats.invariantChecks++;
      if (LIVENESS_STRICT) {
        violations.add(new Violation("i", step, what + " ended in the on-failure queue though Lambda's retries met no"
            + " fault: " + e));
      }
      if (!(e instanceof RetryableException) && !(e instanceof Crash) && !(e.getCause() instanceof Crash)) {
        violations.add(new Violation("e", step, what + " ended in the on-failure queue on an unexpected error: " + e));
      }
    } else if (r.lastError() != null && !(r.lastError() instanceof RetryableException)
        && !(r.lastError() instanceof Crash) && !(r.lastError().getCause() instanceof Crash)) {
      violations.add(new Violation("e", step, what + " failed with an unexpected error before succeeding: " + r.lastError()));
    }
    return r.result();
  }

  /** CloudFormation: a config-only change registers a new revision of the release image, deregisters its old one. */
  private void pipeline() {
    pipelineRuns++;
    String image = fx.releaseValue(SERVICE);
    var current = fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(pipelineRevision)).taskDefinition();
    var c = current.containerDefinitions().get(0).toBuilder().image(image)
        .environment(KeyValuePair.builder().name("CONFIG").value("v" + pipelineRuns).build()).build();
    String arn = fx.clients().ecs().registerTaskDefinition(RegisterTaskDefinitionRequest.builder()
        .family(current.family()).networkMode(current.networkMode()).cpu(current.cpu()).memory(current.memory())
        .requiresCompatibilitiesWithStrings(current.requiresCompatibilitiesAsStrings()).containerDefinitions(c).build())
        .taskDefinition().taskDefinitionArn();
    String old = pipelineRevision;
    fx.clients().ecs().updateService(b -> b.cluster(fx.cluster()).service(SERVICE).taskDefinition(arn));
    serviceChanges.add("pipeline " + arn);
    String id = ecs.start(arn, null, false);
    pending.add(deploymentEvent("SERVICE_DEPLOYMENT_IN_PROGRESS", id, "ECS deployment " + id + " in progress."));
    fx.clients().ecs().deregisterTaskDefinition(b -> b.taskDefinition(old));
    pipelineRevision = arn;
  }

  private void drain() {
    planner.plan(Fault.NONE);
    for (int round = 0; round < 80; round++) {
      ecs.tick();
      if (pending.isEmpty() && ecs.idle()) break;
      while (!pending.isEmpty()) {
        byte[] event = pending.remove(0);
        remember(event);
        invoke(guard, event, Fault.NONE, "ecs event");
      }
      ecs.hook(Fault.NONE);
      if (round == 30) clock.advance(Duration.ofMinutes(3));
    }
    clock.advance(Duration.ofMinutes(3));
    checkDrained();
  }

  // ---------------------------------------------------------------------------------------------------------
  // Invariants

  private void checkEveryStep() {
    stats.invariantChecks += 3;
    // (a) at most one registered (ACTIVE) revision per service and digest
    Map<String, List<String>> byDigest = new HashMap<>();
    for (String arn : fx.clients().ecs().listTaskDefinitions(b -> b.familyPrefix(SERVICE)
        .status(software.amazon.awssdk.services.ecs.model.TaskDefinitionStatus.ACTIVE)).taskDefinitionArns()) {
      String digest = tagsByRevision.computeIfAbsent(arn, k -> {
        var d = fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(k).include(TaskDefinitionField.TAGS));
        return d.tags().stream().filter(t -> t.key().equals("gitops:digest")).map(t -> t.value()).findFirst().orElse("");
      });
      if (!digest.isEmpty()) byDigest.computeIfAbsent(digest, k -> new ArrayList<>()).add(arn);
    }
    byDigest.forEach((digest, arns) -> {
      if (arns.size() > 1) violations.add(new Violation("a", step, "revisions " + arns + " both roll out " + digest));
    });
    // (c) for a canary service ECS rolls back, once: the functions never call UpdateService to roll it back
    if (canary) {
      for (String change : serviceChanges) {
        if (change.startsWith("guard ")) {
          violations.add(new Violation("c", step, "the guard moved a canary service (" + change + "), beside ECS's "
              + "own rollback: " + serviceChanges));
          serviceChanges.clear();
          break;
        }
      }
    }
    // (c) never two rollbacks for one rollout: two guard UpdateServices in a row to different revisions
    for (int i = 1; i < serviceChanges.size(); i++) {
      String prev = serviceChanges.get(i - 1);
      String cur = serviceChanges.get(i);
      if (prev.startsWith("guard ") && cur.startsWith("guard ") && !prev.equals(cur)) {
        violations.add(new Violation("c", step, "two rollbacks in a row: " + prev + ", then " + cur));
        serviceChanges.clear();
      }
    }
  }

  private void checkDrained() {
    stats.invariantChecks += 2;
    String running = fx.clients().ecs().describeServices(b -> b.cluster(fx.cluster()).services(SERVICE)).services()
        .get(0).taskDefinition();
    String image = fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(running)).taskDefinition()
        .containerDefinitions().get(0).image();
    String release = fx.releaseValue(SERVICE);
    Ledger ledger = ledger();
    // (b) the release parameter names the running image, which the ledger does not mark FAILED or ROLLED_BACK
    if (!release.equals(image)) {
      violations.add(new Violation("b", step, "release parameter " + label(release) + " but the service runs "
          + label(image) + " (" + running + ")"));
    } else {
      var digest = io.gitops.lambdas.core.ReleaseParameters.digestOf(release);
      var d = digest.flatMap(x -> ledger.find(SERVICE, x));
      if (d.filter(x -> x.status() == DeploymentStatus.FAILED || x.status() == DeploymentStatus.ROLLED_BACK).isPresent()) {
        violations.add(new Violation("b", step, "the service and the release parameter name " + label(release)
            + ", which the ledger marks " + d.get().status() + " (" + d.get().reasons() + ")"));
      }
    }
    // (g) a canary's digest is HEALTHY in the ledger only if ECS promoted it on the hook's SUCCEEDED
    if (canary) {
      stats.invariantChecks++;
      for (var d : ledger.history(SERVICE)) {
        if (d.status() == DeploymentStatus.HEALTHY && !promoted.contains(d.digest())) {
          violations.add(new Violation("g", step, label(d.image()) + " is HEALTHY in the ledger, but the hook never "
              + "answered SUCCEEDED at every stage for it"));
        }
        // An abort ends the rollout: ROLLED_BACK (or FAILED, when ECS's rollback event settled it first, or
        // SUPERSEDED by a later push), unless an event of it sits in the on-failure queue.
        if (aborted.contains(d.digest()) && onFailure.isEmpty() && !Set.of(DeploymentStatus.ROLLED_BACK,
            DeploymentStatus.FAILED, DeploymentStatus.SUPERSEDED).contains(d.status())) {
          violations.add(new Violation("g", step, "the hook aborted " + label(d.image()) + ", which the ledger marks "
              + d.status()));
        }
      }
    }
    checkProgress(ledger, image);
    // (f) once events stop, every ROLLING_OUT settles within the lease (unless its events sit in the queue)
    if (onFailure.isEmpty()) {
      for (var d : ledger.history(SERVICE)) {
        if (d.status() == DeploymentStatus.ROLLING_OUT) {
          violations.add(new Violation("f", step, label(d.image()) + " is still ROLLING_OUT in phase " + d.phase()
              + " after the events stopped"));
        }
      }
      var head = ledger.head(SERVICE);
      if (head.isPresent() && head.get().lockedAt(clock.instant())) {
        violations.add(new Violation("f", step, "the service lock is still held"));
      }
    }
  }

  /**
   * (h) progress, once faults stop and events drain: the newest push runs (HEALTHY, and the service runs it), or
   * it was refused with a recorded reason (OLDER_PUSH, DUPLICATE_DIGEST, FROZEN, tag policy; FAILED or ROLLED_BACK
   * with a notification, the service then on what its rollback restored, which (b) checks).
   */
  private void checkProgress(Ledger ledger, String runningImage) {
    if (newestPushDigest == null) return;
    stats.progressChecks++;
    stats.invariantChecks++;
    String broken = null;
    if (newestPushParked) {
      broken = "parked";
    } else if (newestPushOutcome != null && newestPushOutcome.action() == Outcome.Action.SKIPPED
        && Set.of("OLDER_PUSH", "DUPLICATE_DIGEST", "FROZEN", "TAG_POLICY", "UNTAGGED").contains(newestPushOutcome.code())) {
      return;
    } else {
      var d = ledger.find(SERVICE, newestPushDigest);
      if (d.isEmpty()) {
        broken = "no-record";
      } else {
        switch (d.get().status()) {
          case HEALTHY -> {
            if (!runningImage.endsWith(newestPushDigest)) broken = "healthy-not-running";
          }
          case FAILED, ROLLED_BACK -> { }
          case ROLLING_OUT -> broken = "rolling-out";
          default -> broken = d.get().status().name().toLowerCase(java.util.Locale.ROOT);
        }
      }
    }
    if (broken == null) return;
    stats.progressBroken.merge(broken, 1L, Long::sum);
    if (LIVENESS_STRICT) {
      violations.add(new Violation("h", step, "the newest push " + label(newestPushDigest) + " neither runs nor was"
          + " refused with a reason (" + broken + ", " + (newestPushOutcome == null ? "no outcome"
          : newestPushOutcome.code()) + ")"));
    }
  }

  /** The ledger read straight from the emulator (not through the functions' clients). */
  private Ledger ledger() {
    return new Ledger(fx.clients().dynamo(), fx.ledgerTable(), clock, Duration.ofMinutes(2));
  }

  private static String label(String image) {
    if (image == null) return "null";
    for (String l : List.of("g1", "g2", "g3", "b1", "b2")) {
      if (image.endsWith(Events.digest(l))) return l;
    }
    return image.equals(PLACEHOLDER) ? "placeholder" : image;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Faults and crashes

  /** Thrown by every call after a planned crash: the invocation is dead (process gone, or timed out). */
  static final class Crash extends RuntimeException {
    Crash(String m) {
      super(m);
    }
  }

  /** Counts the calls of the current attempt; plans a fault on the n-th or kills the attempt after it. */
  final class Planner implements ExecutionInterceptor {
    private Fault fault = Fault.NONE;
    private int calls;
    private boolean dead;
    int crashes;

    void plan(Fault f) {
      int max = guardActive ? io.gitops.lambdas.core.TimeBudget.GUARD_MAX_CALLS
          + io.gitops.lambdas.core.TimeBudget.GUARD_AFTER_PUBLISH_EXTRA
          : io.gitops.lambdas.core.TimeBudget.DEPLOYER_MAX_CALLS;
      if (calls > max) {
        violations.add(new Violation("budget", step, (guardActive ? "the guard" : "the image deployer") + " made "
            + calls + " AWS calls in one attempt; TimeBudget counts " + max));
      }
      fault = f;
      calls = 0;
      dead = false;
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      if (dead) throw new Crash("the invocation crashed earlier");
      calls++;
      attributes.putAttribute(CALL, calls);
    }

    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      Integer n = attributes.getAttribute(CALL);
      if (n == null || fault.kind().equals("NONE") || fault.kind().equals("CRASH") || n != fault.call()) {
        return context.httpRequest();
      }
      String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
      boolean applies = switch (fault.kind()) {
        case "TOO_MANY_UPDATES" -> "SSM".equalsIgnoreCase(service);
        case "TXN_CONFLICT" -> "DynamoDB".equalsIgnoreCase(service);
        default -> true;
      };
      if (!applies) return context.httpRequest();
      return context.httpRequest().toBuilder()
          .putHeader(FaultProxy.PLAN_HEADER, fault.kind() + ":" + step + "-" + n + "-" + UUID.randomUUID() + ":"
              + fault.repeats()).build();
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
      Integer n = attributes.getAttribute(CALL);
      if (fault.kind().equals("CRASH_UPDATE") && context.request() instanceof UpdateServiceRequest) {
        dead = true;
        crashes++;
        throw new Crash("crashed right after UpdateService");
      }
      if (fault.kind().equals("CRASH") && n != null && n == fault.call()) {
        dead = true;
        crashes++;
        throw new Crash("crashed after call " + n);
      }
    }
  }

  private static final software.amazon.awssdk.core.interceptor.ExecutionAttribute<Integer> CALL =
      new software.amazon.awssdk.core.interceptor.ExecutionAttribute<>("model-call");

  // ---------------------------------------------------------------------------------------------------------
  // The ECS model

  /**
   * What ECS does that moto does not: a new PRIMARY deployment (with its own id) per UpdateService, UpdateService
   * to an INACTIVE revision refused, tasks launched per deployment (RUNNING for a good image, crashing for a bad
   * one), SERVICE_DEPLOYMENT_COMPLETED at steady state, and the circuit breaker: after
   * {@link #BREAKER_THRESHOLD} failed tasks it rolls back to the last completed revision and sends
   * SERVICE_DEPLOYMENT_FAILED.
   */
  final class EcsModel implements ExecutionInterceptor {
    String deploymentId;
    String revision;
    String steadyRevision;
    int failures;
    boolean done;
    private int ids;

    /** For a canary service: this deployment runs the lifecycle stages (a rollback by ECS does not). */
    boolean hooked;
    /** Index into {@link #STAGES}; the hookDetails of the last IN_PROGRESS answer and its callBackDelay. */
    int stage;
    String hookDetails;
    long callBackDelay;
    boolean tasksStarted;
    /** The private IPs of the deployment's running tasks: the healthy targets of the canary's group. */
    final List<String> runningIps = new java.util.concurrent.CopyOnWriteArrayList<>();

    String start(String rev, String id, boolean completed) {
      deploymentId = id == null ? "ecs-svc/" + (1000 + ++ids) : id;
      revision = rev;
      failures = 0;
      done = completed;
      if (completed) steadyRevision = rev;
      hooked = canary && !completed;
      stage = 0;
      hookDetails = null;
      callBackDelay = 0;
      tasksStarted = false;
      runningIps.clear();
      return deploymentId;
    }

    private String imageOf(String rev) {
      return fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(rev)).taskDefinition()
          .containerDefinitions().get(0).image();
    }

    /**
     * ECS invokes the hook at the current stage once the new tasks started, after waiting the last answer's
     * callBackDelay, with that answer's hookDetails (Amazon ECS developer guide, "Lifecycle hooks for Amazon ECS
     * service deployments"). SUCCEEDED moves to the next stage, and after the last one ECS completes the
     * deployment; FAILED, or a function error, makes ECS roll back to the last completed revision itself.
     */
    void hook(Fault fault) {
      if (!hooked || done || !tasksStarted) return;
      if (hookDetails != null) clock.advance(Duration.ofSeconds(callBackDelay));
      Stage s = STAGES.get(stage);
      String green = "arn:aws:ecs:us-east-1:123456789012:service-revision/" + fx.cluster() + "/" + SERVICE + "/"
          + deploymentId.replaceAll("\\D", "");
      String blue = "arn:aws:ecs:us-east-1:123456789012:service-revision/" + fx.cluster() + "/" + SERVICE + "/0";
      // What DescribeServiceRevisions answers for them: the new revision in the second group, the stable one in
      // the first (the target health double's layout).
      revisions.put(green, new io.gitops.lambdas.testing.ServiceRevisionsDouble.Revision(revision, "app",
          imageOf(revision), TG_B));
      if (steadyRevision != null) {
        revisions.put(blue, new io.gitops.lambdas.testing.ServiceRevisionsDouble.Revision(steadyRevision, "app",
            imageOf(steadyRevision), TG_A));
      }
      String payload = payload(s, green, blue, hookDetails);
      stats.hookInvocations++;
      stats.deliveries++;
      io.gitops.lambdas.canary.CanaryAnalysis.HookStatus status;
      io.gitops.lambdas.canary.CanaryHook.Response r = null;
      RuntimeException hookError = null;
      guardActive = true;
      planner.plan(fault);
      try {
        r = hookHandler.hook(Json.parse(payload));
        status = r.status();
      } catch (RuntimeException e) {
        // A function error: ECS fails the hook and rolls back (the sandbox's CanaryLifecycle does the same).
        status = io.gitops.lambdas.canary.CanaryAnalysis.HookStatus.FAILED;
        hookError = e;
        if (!(e instanceof Crash) && !(e.getCause() instanceof Crash) && !(e instanceof RetryableException)
            && !(e instanceof software.amazon.awssdk.core.exception.SdkException)) {
          violations.add(new Violation("e", step, "the hook failed with an unexpected error: " + e));
        }
      } finally {
        planner.plan(Fault.NONE);
        guardActive = false;
      }
      if (r != null) checkJudged(r);
      switch (status) {
        case IN_PROGRESS -> {
          hookDetails = r.hookDetails().toString();
          callBackDelay = r.callBackDelay();
        }
        case SUCCEEDED -> {
          hookDetails = null;
          callBackDelay = 0;
          if (++stage == STAGES.size()) {
            stats.promotions++;
            ReleaseParameters.digestOf(imageOf(revision)).ifPresent(x -> {
              promoted.add(x);
              aborted.remove(x);
            });
            pending.add(deploymentEvent("SERVICE_DEPLOYMENT_COMPLETED", deploymentId, "ECS deployment "
                + deploymentId + " completed."));
            steadyRevision = revision;
            done = true;
          }
        }
        case FAILED -> {
          stats.aborts++;
          ReleaseParameters.digestOf(imageOf(revision)).filter(x -> ledger().find(SERVICE, x)
              .filter(d -> d.status() == DeploymentStatus.ROLLING_OUT).isPresent()).ifPresent(aborted::add);
          String why = r == null ? "function-error" : r.reason().replaceAll("^.*?((smoke-probe|canary-targets|"
              + "error-rate|latency-p95|task-failures)).*$", "$1");
          boolean badImage = BAD.stream().anyMatch(l -> imageOf(revision).endsWith(Events.digest(l)));
          boolean crashed = hookError != null && (hookError instanceof Crash || hookError.getCause() instanceof Crash);
          if (crashed) why = "hook-crash";
          // The image: bad (crashes), 5xx (a good image answering a 5xx share above the limit), good (healthy).
          String canaryWas = badImage ? "/bad" : errorPercent > CanaryPlan.DEFAULT_MAX_ERROR_RATE * 100 ? "/5xx" : "/good";
          stats.abortsBy.merge((why.length() > 30 ? why.substring(0, 30) : why) + canaryWas, 1L, Long::sum);
          checkAbort(badImage, crashed, why, r == null ? String.valueOf(hookError) : r.reason());
          String failedId = deploymentId;
          pending.add(deploymentEvent("SERVICE_DEPLOYMENT_FAILED", failedId, "ECS deployment rolled back: lifecycle "
              + "hook returned FAILED"));
          if (steadyRevision != null && !steadyRevision.equals(revision)) {
            rollbackPass(green, blue);
            // ECS's own rollback: production traffic back on the last completed revision, whose tasks still run.
            String back = steadyRevision;
            fx.clients().ecs().updateService(b -> b.cluster(fx.cluster()).service(SERVICE).taskDefinition(back));
            serviceChanges.add("ecs-rollback " + back);
            start(back, null, false);
            hooked = false;
          } else {
            done = true;
          }
        }
      }
    }

    /** ECS's payload (lifecycle payloads: executionDetails, executionId, lifecycleStage, resourceArn). */
    private String payload(Stage s, String target, String other, String details) {
      Json.Obj production = s.weight() == 0 ? Json.obj().put(other, 100)
          : s.weight() == 100 ? Json.obj().put(target, 100) : Json.obj().put(other, 100 - s.weight()).put(target, s.weight());
      Json.Obj test = s.weight() == 0 ? Json.obj().put(target, 100) : Json.obj();
      return Json.obj().put("executionDetails", Json.obj().put("testTrafficWeights", test)
              .put("productionTrafficWeights", production)
              .put("serviceArn", "arn:aws:ecs:us-east-1:123456789012:service/" + fx.cluster() + "/" + SERVICE)
              .put("targetServiceRevisionArn", target))
          .put("executionId", UUID.nameUUIDFromBytes((deploymentId + s + target).getBytes(StandardCharsets.UTF_8)).toString())
          .put("lifecycleStage", s.name())
          .put("resourceArn", "arn:aws:ecs:us-east-1:123456789012:service-deployment/" + fx.cluster() + "/" + SERVICE
              + "/" + deploymentId.replace('/', '-'))
          .putIfPresent("hookDetails", details == null ? null : new Json.Raw(details)).toString();
    }

    /**
     * (j) a push's canary is judged: the hook never passes a revision whose digest the ledger has ROLLING_OUT
     * as "not a push" (the ledger lagging ECS: the image deployer's completion write is still retried).
     */
    private void checkJudged(io.gitops.lambdas.canary.CanaryHook.Response r) {
      if (r.reason().startsWith("WAITING: LEDGER_LAG")) stats.ledgerLagWaits++;
      if (r.status() == io.gitops.lambdas.canary.CanaryAnalysis.HookStatus.SUCCEEDED
          && r.reason().startsWith("NOT_A_PUSH")) {
        ReleaseParameters.digestOf(imageOf(revision)).flatMap(x -> ledger().find(SERVICE, x))
            .filter(d -> d.status() == DeploymentStatus.ROLLING_OUT && d.owner() != io.gitops.lambdas.core.Owner.PIPELINE)
            .ifPresent(d -> violations.add(new Violation("j",
                step, "the hook passed the canary of " + label(d.image()) + " unjudged (" + r.reason() + ") while the "
                + "ledger has its push ROLLING_OUT in phase " + d.phase())));
      }
    }

    /**
     * (j) no healthy canary is aborted, except by the hook's own crash or timeout: late events, throttles and 5xx
     * answers from AWS are never a cause. Healthy: a good image, with a 5xx share within the error-rate check's
     * limit.
     */
    private void checkAbort(boolean badImage, boolean crashed, String cause, String reason) {
      boolean healthy = !badImage && errorPercent <= CanaryPlan.DEFAULT_MAX_ERROR_RATE * 100;
      if (healthy && !crashed) {
        violations.add(new Violation("j", step, "a healthy canary (" + label(imageOf(revision)) + ", " + errorPercent
            + "% 5xx) was aborted by " + cause + ": " + reason));
      }
    }

    /**
     * (j) ECS's rollback passes through the traffic-shift stages again (developer guide: on a rollback ECS runs
     * the PRODUCTION_TRAFFIC_SHIFT and TEST_TRAFFIC_SHIFT hooks), production traffic moving back to the revision
     * it restores: the hook answers SUCCEEDED at once, whatever the ledger says of the aborted push.
     */
    private void rollbackPass(String aborted, String restored) {
      stats.rollbackPasses++;
      stats.hookInvocations++;
      String payload = payload(new Stage("PRODUCTION_TRAFFIC_SHIFT", 50), restored, aborted, null);
      guardActive = true;
      planner.plan(Fault.NONE);
      try {
        var r = hookHandler.hook(Json.parse(payload));
        if (r.status() != io.gitops.lambdas.canary.CanaryAnalysis.HookStatus.SUCCEEDED) {
          violations.add(new Violation("j", step, "the hook held ECS's rollback pass: " + r.status() + " "
              + r.reason()));
        }
      } catch (RuntimeException e) {
        violations.add(new Violation("j", step, "the hook failed on ECS's rollback pass: " + e));
      } finally {
        planner.plan(Fault.NONE);
        guardActive = false;
      }
    }

    boolean idle() {
      return done;
    }

    void tick() {
      if (done) return;
      String image = imageOf(revision);
      boolean bad = BAD.stream().anyMatch(l -> image.endsWith(Events.digest(l)));
      if (hooked) {
        // A canary: no circuit breaker (it applies to rolling updates only); crashing tasks are replaced (the model
        // stops at the breaker's count, past the guard's threshold), and the hook's task-failures check ends it.
        tasksStarted = true;
        if (bad && failures < BREAKER_THRESHOLD) {
          failures++;
          pending.add(taskEvent(revision, "STOPPED"));
        } else if (bad && steadyRevision != null && !steadyRevision.equals(revision)) {
          // The hook did not stop it (a deployment no push started passes without analysis): ECS's deployment
          // alarm on unhealthy targets (Rollback: true) rolls it back, as the stack configures it.
          String failedId = deploymentId;
          fx.clients().ecs().updateService(b -> b.cluster(fx.cluster()).service(SERVICE).taskDefinition(steadyRevision));
          serviceChanges.add("alarm " + steadyRevision);
          pending.add(deploymentEvent("SERVICE_DEPLOYMENT_FAILED", failedId, "ECS deployment alarm "
              + "UnhealthyHosts in ALARM: rolled back."));
          start(steadyRevision, null, false);
        } else if (bad) {
          done = true; // nothing to roll back to: ECS keeps trying; the model stops emitting
        } else if (runningIps.isEmpty()) {
          pending.add(taskEvent(revision, "RUNNING"));
          pending.add(taskEvent(revision, "RUNNING"));
        }
        return;
      }
      if (bad) {
        pending.add(taskEvent(revision, "STOPPED"));
        if (++failures >= BREAKER_THRESHOLD && steadyRevision != null && !steadyRevision.equals(revision)) {
          String failedId = deploymentId;
          fx.clients().ecs().updateService(b -> b.cluster(fx.cluster()).service(SERVICE).taskDefinition(steadyRevision));
          serviceChanges.add("breaker " + steadyRevision);
          pending.add(deploymentEvent("SERVICE_DEPLOYMENT_FAILED", failedId, "ECS deployment circuit breaker: "
              + "tasks failed to start."));
          start(steadyRevision, null, false);
        } else if (failures >= BREAKER_THRESHOLD) {
          done = true; // nothing to roll back to: ECS keeps trying; the model stops emitting
        }
      } else {
        pending.add(taskEvent(revision, "RUNNING"));
        pending.add(taskEvent(revision, "RUNNING"));
        pending.add(deploymentEvent("SERVICE_DEPLOYMENT_COMPLETED", deploymentId, "ECS deployment " + deploymentId
            + " completed."));
        steadyRevision = revision;
        done = true;
      }
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      if (context.request() instanceof UpdateServiceRequest u && u.taskDefinition() != null) {
        var td = fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(u.taskDefinition())).taskDefinition();
        boolean fromGuard = isGuardCall();
        if ("INACTIVE".equals(td.statusAsString())) {
          if (fromGuard) violations.add(new Violation("d", step, "rollback to INACTIVE revision " + u.taskDefinition()));
          throw InvalidParameterException.builder().message("TaskDefinition is inactive").statusCode(400)
              .awsErrorDetails(software.amazon.awssdk.awscore.exception.AwsErrorDetails.builder()
                  .errorCode("InvalidParameterException").errorMessage("TaskDefinition is inactive")
                  .serviceName("Ecs").build()).build();
        }
        if (fromGuard) {
          String image = td.containerDefinitions().get(0).image();
          var digest = io.gitops.lambdas.core.ReleaseParameters.digestOf(image);
          Ledger ledger = new Ledger(fx.clients().dynamo(), fx.ledgerTable(), clock, Duration.ofMinutes(2));
          var d = digest.flatMap(x -> ledger.find(SERVICE, x));
          if (d.filter(x -> x.status() == DeploymentStatus.FAILED || x.status() == DeploymentStatus.ROLLED_BACK)
              .isPresent()) {
            violations.add(new Violation("d", step, "rollback to " + label(image) + ", which is " + d.get().status()));
          }
        }
      }
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
      if (context.response() instanceof software.amazon.awssdk.services.ecs.model.DescribeServicesResponse ds
          && ds.hasServices() && !ds.services().isEmpty()) {
        // ECS counts the running tasks of the service; moto reports 0. At steady state of a good revision
        // (the model's deployment done and not crashing) every desired task runs.
        var svc = ds.services().get(0);
        boolean steady = done && svc.taskDefinition().equals(revision) && svc.taskDefinition().equals(steadyRevision);
        return ds.toBuilder().services(svc.toBuilder().runningCount(steady ? svc.desiredCount() : 0)
            .deployments(Deployment.builder().id(deploymentId).status("PRIMARY").taskDefinition(revision).build())
            .build()).build();
      }
      if (!(context.response() instanceof UpdateServiceResponse res) || res.service() == null) return context.response();
      if (!(context.request() instanceof UpdateServiceRequest req) || req.taskDefinition() == null) {
        return context.response();
      }
      serviceChanges.add((isGuardCall() ? "guard " : "deployer ") + req.taskDefinition());
      String id = req.taskDefinition().equals(revision) && !done ? deploymentId : start(req.taskDefinition(), null, false);
      return res.toBuilder().service(res.service().toBuilder().deployments(
          Deployment.builder().id(id).status("PRIMARY").taskDefinition(req.taskDefinition()).build()).build()).build();
    }
  }

  private boolean guardActive;
  private GuardHandler hookHandler;
  /** ECS's DescribeServiceRevisions (moto lacks it), answered at the fault proxy. */
  private final io.gitops.lambdas.testing.ServiceRevisionsDouble revisions =
      new io.gitops.lambdas.testing.ServiceRevisionsDouble();

  private boolean isGuardCall() {
    return guardActive;
  }

  // ---------------------------------------------------------------------------------------------------------
  // ECS events (AWS's documented shapes)

  private byte[] taskEvent(String revision, String lastStatus) {
    String id = String.format("%032x", ++taskIds);
    String arn = "arn:aws:ecs:us-east-1:123456789012:task/" + fx.cluster() + "/" + id;
    Instant at = clock.instant();
    Json.Obj container = Json.obj().put("lastStatus", lastStatus).put("name", "app").put("taskArn", arn);
    Json.Obj detail = Json.obj()
        .put("clusterArn", "arn:aws:ecs:us-east-1:123456789012:cluster/" + fx.cluster())
        .put("group", "service:" + SERVICE).put("launchType", "FARGATE").put("lastStatus", lastStatus)
        .put("desiredStatus", lastStatus.equals("STOPPED") ? "STOPPED" : "RUNNING")
        .put("taskArn", arn).put("taskDefinitionArn", revision).put("updatedAt", at.toString())
        .put("createdAt", at.minusSeconds(30).toString()).put("version", ++version);
    if (lastStatus.equals("STOPPED")) {
      container.put("exitCode", 1);
      detail.put("stopCode", "EssentialContainerExited").put("stoppedReason", "Essential container in task exited")
          .put("stoppedAt", at.toString());
    }
    detail.put("containers", List.of(container));
    if (canary && lastStatus.equals("RUNNING")) {
      // The task's ENI address: the canary hook finds the new revision's target group by it.
      String ip = "10.0." + (taskIds / 250) + "." + (1 + taskIds % 250);
      ecs.runningIps.add(ip);
      detail.put("attachments", List.of(Json.obj().put("id", "att-" + id).put("type", "eni").put("status", "ATTACHED")
          .put("details", List.of(Json.obj().put("name", "privateIPv4Address").put("value", ip)))));
    }
    return envelope("ECS Task State Change", arn, detail);
  }

  private byte[] deploymentEvent(String name, String id, String reason) {
    Json.Obj detail = Json.obj().put("eventType", name.endsWith("FAILED") ? "ERROR" : "INFO").put("eventName", name)
        .put("deploymentId", id).put("updatedAt", clock.instant().toString()).put("reason", reason);
    return envelope("ECS Deployment State Change",
        "arn:aws:ecs:us-east-1:123456789012:service/" + fx.cluster() + "/" + SERVICE, detail);
  }

  private byte[] envelope(String type, String resource, Json.Obj detail) {
    return Events.bytes(Json.obj().put("version", "0").put("id", UUID.randomUUID().toString())
        .put("detail-type", type).put("source", "aws.ecs").put("account", "123456789012")
        .put("time", clock.instant().toString().replaceAll("\\.\\d+Z$", "Z")).put("region", "us-east-1")
        .put("resources", List.of(resource)).put("detail", detail).toString());
  }

  // ---------------------------------------------------------------------------------------------------------
  // Shrinking

  /**
   * Removes actions one at a time (then pairs of neighbours) while the sequence still breaks the same
   * invariant, within {@code budget}. Returns the smallest failing sequence found.
   */
  static List<Action> shrink(MotoServer moto, List<Action> failing, String invariant, Duration budget) {
    return shrink(moto, false, failing, invariant, budget);
  }

  static List<Action> shrink(MotoServer moto, boolean canary, List<Action> failing, String invariant,
      Duration budget) {
    long deadline = System.nanoTime() + budget.toNanos();
    List<Action> best = new ArrayList<>(failing);
    boolean progress = true;
    while (progress && System.nanoTime() < deadline) {
      progress = false;
      for (int width = 2; width >= 1; width--) {
        for (int i = best.size() - width; i >= 0 && System.nanoTime() < deadline; i--) {
          if (i + width > best.size()) continue;
          List<Action> candidate = new ArrayList<>(best);
          for (int k = 0; k < width; k++) candidate.remove(i);
          if (candidate.isEmpty() || !(candidate.get(candidate.size() - 1) instanceof Drain)) candidate.add(new Drain());
          var v = new ReleaseModel(moto, new Stats(), canary).run(candidate);
          if (v.isPresent() && v.get().invariant().equals(invariant) && candidate.size() < best.size()) {
            best = candidate;
            progress = true;
          }
        }
      }
    }
    return best;
  }

  static String code(List<Action> actions) {
    StringBuilder b = new StringBuilder("List.of(\n");
    for (int i = 0; i < actions.size(); i++) {
      b.append("        ").append(actions.get(i).code()).append(i < actions.size() - 1 ? ",\n" : ")");
    }
    return b.toString();
  }

}
