package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.ApiCallCounter;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.deployer.Outcome;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The guard against the emulator: the fixture's environment, the real image deployer for pushes, a clock
 * tests move, an API call counter, and a target-health double (moto always reports targets healthy).
 */
final class GuardHarness {
  final AwsFixture fx;
  final MutableClock clock = MutableClock.ofSystem();
  final ApiCallCounter calls = new ApiCallCounter();
  final ByteArrayOutputStream logs = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(logs, true, StandardCharsets.UTF_8);
  /** Target health the double reports: target id (task IP) → state. */
  final Map<String, String> targetStates = new ConcurrentHashMap<>();
  final Map<String, String> env = new HashMap<>();
  private final AtomicInteger pushes = new AtomicInteger();
  private final AtomicInteger tasks = new AtomicInteger();
  private final AtomicInteger versions = new AtomicInteger(10);
  private final Instant base = Instant.now();

  GuardHarness(URI moto) {
    fx = AwsFixture.builder(moto).service("bff").service("graphql").provision();
    env.putAll(fx.env());
  }

  LambdaConfig config() {
    return LambdaConfig.from(env);
  }

  GuardHandler guard() {
    return guardVia(fx.endpoint());
  }

  /** The guard with its clients pointed at {@code endpoint} (e.g. a fault proxy), counting API calls. */
  GuardHandler guardVia(URI endpoint) {
    TargetHealth double_ = tg -> {
      List<TargetHealth.Target> out = new ArrayList<>();
      targetStates.forEach((ip, state) -> out.add(new TargetHealth.Target(ip, java.util.Optional.of(8080), state,
          "healthy".equals(state) ? "" : "Target.ResponseCodeMismatch")));
      return out;
    };
    return new GuardHandler(config(), GuardConfig.from(env),
        AwsFixture.functionClients(endpoint, AwsFixture.FAST_SDK, calls), double_, HttpProbeCheck.HTTP, out, clock);
  }

  /** Pushes an image through the real image deployer; returns the revision it rolled out. */
  String deploy(String service, String label) {
    int n = pushes.incrementAndGet();
    Outcome o = new ImageDeployerHandler(LambdaConfig.from(env), fx.clients(), out, Clock.systemUTC())
        .handle(Events.bytes(Events.ecrPush(service, Events.digest(label), "1.0." + n, base.plusSeconds(n))));
    assertThat(o.action()).as(o.reason()).isEqualTo(Outcome.Action.DEPLOYED);
    return o.revision();
  }

  /** A fresh task id. */
  String taskId() {
    return String.format("%032x", tasks.incrementAndGet());
  }

  long version() {
    return versions.incrementAndGet();
  }

  Instant now() {
    return clock.instant();
  }

  /** Two RUNNING tasks of the revision, then SERVICE_DEPLOYMENT_COMPLETED: the guard marks it HEALTHY. */
  GuardOutcome makeHealthy(GuardHandler g, String service, String revision) {
    g.handle(GuardEvents.running(service, taskId(), revision, version(), now()));
    g.handle(GuardEvents.running(service, taskId(), revision, version(), now()));
    GuardOutcome o = g.handle(GuardEvents.completed(service, now()));
    assertThat(o.action()).as(o.reason()).isEqualTo(GuardOutcome.Action.HEALTHY);
    return o;
  }

  /**
   * SERVICE_DEPLOYMENT_COMPLETED of the service's PRIMARY deployment as the emulator reports it: what ECS sends
   * when a deployment nobody in the ledger started (a pipeline run) completes.
   */
  byte[] pipelineCompleted(String service) {
    String id = fx.clients().ecs().describeServices(b -> b.cluster(fx.cluster()).services(service)).services().get(0)
        .deployments().stream().filter(d -> "PRIMARY".equals(d.status())).findFirst().orElseThrow().id();
    return GuardEvents.completed(service, now(), id);
  }

  GuardOutcome crash(GuardHandler g, String service, String revision) {
    return g.handle(GuardEvents.crashed(service, taskId(), revision, version(), now()));
  }

  Deployment deployment(String service, String label) {
    return ledger().find(service, Events.digest(label)).orElseThrow();
  }

  /** The ledger read straight from the emulator (not through the function's clients). */
  io.gitops.lambdas.core.Ledger ledger() {
    return new io.gitops.lambdas.core.Ledger(fx.clients().dynamo(), fx.ledgerTable(), Clock.systemUTC(),
        Duration.ofMinutes(2));
  }

  String serviceRevision(String service) {
    return fx.clients().ecs().describeServices(b -> b.cluster(fx.cluster()).services(service)).services().get(0)
        .taskDefinition();
  }

  String image(String service, String label) {
    return fx.target(service).repositoryUri() + "@" + Events.digest(label);
  }

  void advance(Duration d) {
    clock.advance(d);
  }

  String logText() {
    return logs.toString(StandardCharsets.UTF_8);
  }
}
