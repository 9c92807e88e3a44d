package io.gitops.sandbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.sim.ecs.CanaryLifecycle;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ecs.model.Service;

/**
 * {@code bin/gitops demo}: the whole event-driven flow on a local emulator, checked in the emulator's state.
 * <ol>
 *   <li>push {@code bff:1.0.1}: it rolls out, its tasks run, the guard marks it HEALTHY;
 *   <li>push {@code bff:1.0.2}, marked broken: its tasks crash, the guard rolls back to 1.0.1, restores the
 *       release parameter and notifies;
 *   <li>re-deliver the 1.0.2 push: nothing changes.
 * </ol>
 * Exit code 0 only if every expectation held in the emulator (DescribeServices, the release parameter, the
 * ledger, the notification queue); 1 if one did not; 2 if the sandbox could not run.
 */
public final class Demo {
  static final String SERVICE = "bff";
  static final String GOOD_TAG = "1.0.1";
  static final String BAD_TAG = "1.0.2";
  static final String CANARY_TAG = "1.0.3";
  static final String SPIKE_TAG = "1.0.4";
  /** The 5xx share of the spiking canary's answers. */
  static final double SPIKE_ERROR_RATE = 0.2;
  static final String SLOW_TAG = "1.0.5";
  /** The slow canary's response time (the stable revision answers in about 180 ms). */
  static final int SLOW_LATENCY_MS = 600;

  /** What the scenario observed. */
  public record Result(List<String> failures, Map<String, Integer> apiCallsByStep, int apiCalls, List<String> summary) {
    public boolean ok() {
      return failures.isEmpty();
    }
  }

  private final Sandbox sandbox;
  private final PrintStream out;
  private final long started;
  private long stepStarted;
  private final List<String> failures = new ArrayList<>();
  private final Map<String, Integer> callsByStep = new LinkedHashMap<>();

  public Demo(Sandbox sandbox, PrintStream out) {
    this(sandbox, out, System.nanoTime());
  }

  /** @param started the timeline's zero ({@link System#nanoTime()}) */
  public Demo(Sandbox sandbox, PrintStream out, long started) {
    this.sandbox = sandbox;
    this.out = out;
    this.started = started;
  }

  private boolean canaryScenarios = true;

  /** Whether steps 4 and 5 (the canaries) run after the first three; on by default. */
  public Demo canaryScenarios(boolean on) {
    this.canaryScenarios = on;
    return this;
  }

  public static void main(String[] args) {
    Path cdkOut = Path.of("cdk.out");
    Path logFile = Path.of(".sandbox/demo-functions.log");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--cdk-out" -> cdkOut = Path.of(args[++i]);
        case "--function-log" -> logFile = Path.of(args[++i]);
        default -> {
          System.err.println("gitops demo: unexpected argument '" + args[i] + "'");
          System.exit(2);
        }
      }
    }
    System.exit(run(cdkOut, logFile, System.out, System.err));
  }

  /** The whole demo, emulator included; returns the exit code. */
  public static int run(Path cdkOut, Path functionLog, PrintStream out, PrintStream err) {
    long t0 = System.nanoTime();
    try {
      CloudAssembly assembly = CloudAssembly.load(cdkOut, "dev");
      out.printf("%s starting moto_server on 127.0.0.1%n", stamp(t0));
      try (MotoServer moto = MotoServer.start()) {
        out.printf("%s emulator up at %s%n", stamp(t0), moto.endpoint());
        SandboxState state = SandboxState.provision(assembly, moto.endpoint(), 0);
        out.printf("%s provisioned the dev stage from %d synthesized templates: %d resources%n", stamp(t0),
            assembly.stacks().size(), state.provisioned().size());
        Result r;
        try (Sandbox sandbox = new Sandbox(state, functionLog(functionLog), Clock.systemUTC())) {
          for (var f : sandbox.host().functions()) {
            var spec = sandbox.host().spec(f);
            out.printf("%s local Lambda host: %s (%s, %s, %d MB, timeout %d s, %s, retries %d%s), logs in %s%n",
                stamp(t0), f, spec.handler(), spec.runtime(), spec.memoryMb(), spec.timeout().toSeconds(),
                spec.snapStart() ? "SnapStart on " + spec.qualifier() : "on-demand " + spec.qualifier(),
                spec.maximumRetryAttempts(), spec.onFailureQueueArn().map(q -> ", on-failure queue").orElse(""),
                functionLog);
          }
          List<String> published = sandbox.publishSnapStartVersions();
          if (!published.isEmpty()) {
            out.printf("%s published the SnapStart versions of %s: each initialised once, beforeCheckpoint (priming)"
                + " run%n", stamp(t0), String.join(" and ", published));
          }
          r = new Demo(sandbox, out, t0).run();
        }
        out.printf("%s shutting the emulator down%n", stamp(t0));
        if (!r.ok()) {
          err.println("gitops demo: FAILED: " + r.failures().size() + " expectation(s) not met in the emulator:");
          r.failures().forEach(f -> err.println("  - " + f));
          return 1;
        }
        out.printf("%s demo passed: every expected outcome was observed in the emulator (total %.1f s)%n",
            stamp(t0), (System.nanoTime() - t0) / 1e9);
        return 0;
      }
    } catch (SandboxException | MotoServer.StartFailure e) {
      err.println("gitops demo: " + e.getMessage());
      return 2;
    } catch (RuntimeException e) {
      err.println("gitops demo: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return 2;
    }
  }

  /** A fresh log file for the functions' JVMs. */
  private static Path functionLog(Path file) {
    try {
      if (file.toAbsolutePath().getParent() != null) java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
      java.nio.file.Files.writeString(file, "");
      return file;
    } catch (java.io.IOException e) {
      throw new SandboxException("cannot write the functions' log " + file + ": " + e.getMessage());
    }
  }

  /** Runs the scenario on a provisioned sandbox. */
  public Result run() {
    ServiceTarget bff = sandbox.service(SERVICE);
    String initialRevision = currentService(bff).taskDefinition();
    String initialRelease = release(bff);

    // 1. A good image.
    step("push " + SERVICE + ":" + GOOD_TAG);
    Sandbox.Push good = sandbox.push(SERVICE, GOOD_TAG, false);
    List<Sandbox.Delivery> d1 = sandbox.deliver(good.event());
    report(d1);
    String goodRevision = currentService(bff).taskDefinition();
    if (routedTo(d1, "image-deployer") == 0) {
      fail("no rollout happened: no rule routed the push of " + SERVICE + ":" + GOOD_TAG + " to the image deployer");
      return finish(bff, good, null);
    }
    expect(!goodRevision.equals(initialRevision), "a new revision for " + SERVICE + " after " + GOOD_TAG
        + " (service still on " + shortArn(initialRevision) + ")");
    expect(imageOf(goodRevision, bff).endsWith("@" + good.digest()), "revision " + shortArn(goodRevision)
        + " runs " + GOOD_TAG + "'s digest");
    expect(release(bff).equals(bff.repositoryUri() + "@" + good.digest()), "release parameter holds " + GOOD_TAG
        + " (it holds " + release(bff) + ")");
    expect(status(bff, good.digest()).equals("HEALTHY"), "ledger marks " + GOOD_TAG + " HEALTHY (it is "
        + status(bff, good.digest()) + ")");
    endStep();

    // 2. A broken image.
    step("push " + SERVICE + ":" + BAD_TAG + " (marked broken: its containers exit 1)");
    Sandbox.Push bad = sandbox.push(SERVICE, BAD_TAG, true);
    sandbox.drainNotifications();
    List<Sandbox.Delivery> d2 = sandbox.deliver(bad.event());
    report(d2);
    expect(currentService(bff).taskDefinition().equals(goodRevision), "service rolled back to "
        + shortArn(goodRevision) + " (it runs " + shortArn(currentService(bff).taskDefinition()) + ")");
    expect(release(bff).equals(bff.repositoryUri() + "@" + good.digest()), "release parameter restored to "
        + GOOD_TAG + " (it holds " + release(bff) + ")");
    expect(status(bff, bad.digest()).equals("ROLLED_BACK"), "ledger marks " + BAD_TAG + " ROLLED_BACK (it is "
        + status(bff, bad.digest()) + ")");
    List<JsonNode> notes = sandbox.drainNotifications();
    Optional<JsonNode> note = notes.stream().filter(n -> n.toString().contains(bad.digest())).findFirst();
    expect(note.isPresent(), "a notification naming " + BAD_TAG + "'s digest in the queue (" + notes.size()
        + " message(s) arrived)");
    note.ifPresent(n -> line("notification: " + n.path("Subject").asText(n.path("Message").asText())));
    endStep();

    // 3. A duplicate delivery.
    step("re-deliver the " + BAD_TAG + " push event (EventBridge delivers at least once)");
    int revisionsBefore = revisions(bff);
    String serviceBefore = currentService(bff).taskDefinition();
    String releaseBefore = release(bff);
    List<Sandbox.Delivery> d3 = sandbox.deliver(bad.event());
    report(d3);
    expect(d3.stream().noneMatch(d -> d.action().equals("DEPLOYED")), "the duplicate is not deployed again");
    expect(revisions(bff) == revisionsBefore, "no new task definition revision (" + revisionsBefore + " → "
        + revisions(bff) + ")");
    expect(currentService(bff).taskDefinition().equals(serviceBefore), "service unchanged");
    expect(release(bff).equals(releaseBefore), "release parameter unchanged");
    expect(status(bff, bad.digest()).equals("ROLLED_BACK") && status(bff, good.digest()).equals("HEALTHY"),
        "ledger unchanged");
    expect(sandbox.drainNotifications().isEmpty(), "no new notification");
    endStep();
    if (canaryScenarios && sandbox.canary().isPresent() && sandbox.canary().get().handles(bff.service())) {
      canaryScenarios(bff, good, bad);
    }
    expect(!initialRelease.isEmpty(), "the release parameter existed from the start");
    return finish(bff, good, bad);
  }

  /**
   * 4. A healthy canary, promoted after its bake; 5. a canary whose 5xx rate spikes, aborted at its canary step
   * with production traffic back on the stable revision. Both played through ECS's lifecycle (CanaryLifecycle),
   * time compressed, checked in the emulator: the service, the target groups' targets, the release parameter,
   * the ledger, the notifications, and the functions' UpdateService calls (exactly one rollback: ECS's).
   */
  private void canaryScenarios(ServiceTarget bff, Sandbox.Push good, Sandbox.Push bad) {
    CanaryLifecycle canary = sandbox.canary().get();
    step("push " + SERVICE + ":" + CANARY_TAG + " (healthy): a canary, analysed at each step, promoted after its bake");
    String stableTg = canary.liveTargetGroup(bff.service());
    String canaryTg = canary.greenTargetGroup(bff.service());
    Sandbox.Push healthy = sandbox.push(SERVICE, CANARY_TAG, 0.0);
    int runsBeforeHealthy = canary.runs().size();
    List<Sandbox.Delivery> d4 = sandbox.deliver(healthy.event());
    report(d4);
    List<String> healthyLines = canary.runs().subList(runsBeforeHealthy, canary.runs().size()).stream()
        .flatMap(r -> r.lines().stream()).toList();
    expect(healthyLines.stream().anyMatch(l -> l.contains("latency-p95: PASS (p95 ")),
        "the latency check measured the canary's p95 against the stable one's, and passed");
    String healthyRevision = currentService(bff).taskDefinition();
    expect(imageOf(healthyRevision, bff).endsWith("@" + healthy.digest()), "the service runs " + CANARY_TAG
        + " (promoted)");
    expect(status(bff, healthy.digest()).equals("HEALTHY"), "ledger marks " + CANARY_TAG + " HEALTHY after ECS "
        + "completed (it is " + status(bff, healthy.digest()) + ")");
    expect(release(bff).equals(bff.repositoryUri() + "@" + healthy.digest()), "release parameter holds " + CANARY_TAG);
    expect(canary.weights(bff.service()).equals(Map.of(canaryTg, 100.0)), "production traffic 100% on "
        + CanaryLifecycle.tg(canaryTg) + " (weights " + canary.weights(bff.service()) + ")");
    expect(targets(canaryTg) > 0 && targets(stableTg) == 0, "in the emulator, " + CanaryLifecycle.tg(canaryTg)
        + " holds the new tasks (" + targets(canaryTg) + ") and " + CanaryLifecycle.tg(stableTg) + " was emptied ("
        + targets(stableTg) + ")");
    endStep();

    step("push " + SERVICE + ":" + SPIKE_TAG + " --error-rate " + SPIKE_ERROR_RATE
        + ": the canary's 5xx rate spikes during its step");
    String stable = canary.liveTargetGroup(bff.service());
    String green = canary.greenTargetGroup(bff.service());
    Sandbox.Push spike = sandbox.push(SERVICE, SPIKE_TAG, SPIKE_ERROR_RATE);
    sandbox.drainNotifications();
    int runsBefore = canary.runs().size();
    List<Sandbox.Delivery> d5 = sandbox.deliver(spike.event());
    report(d5);
    List<CanaryLifecycle.Run> runs = canary.runs().subList(runsBefore, canary.runs().size());
    int updates = sandbox.apiCalls().snapshot().entrySet().stream().filter(e -> e.getKey().endsWith("UpdateService"))
        .mapToInt(Map.Entry::getValue).sum();
    expect(currentService(bff).taskDefinition().equals(healthyRevision), "ECS rolled the service back to "
        + shortArn(healthyRevision) + " (it runs " + shortArn(currentService(bff).taskDefinition()) + ")");
    expect(canary.weights(bff.service()).equals(Map.of(stable, 100.0)), "production traffic back 100% on the stable "
        + CanaryLifecycle.tg(stable) + " (weights " + canary.weights(bff.service()) + ")");
    expect(targets(green) == 0 && targets(stable) > 0, "in the emulator, the canary's " + CanaryLifecycle.tg(green)
        + " was emptied, " + CanaryLifecycle.tg(stable) + " still serves (" + targets(stable) + " targets)");
    expect(release(bff).equals(bff.repositoryUri() + "@" + healthy.digest()), "release parameter still holds "
        + CANARY_TAG + " (it holds " + release(bff) + ")");
    String reasons = Views.reasons(sandbox, bff, spike.digest());
    expect(status(bff, spike.digest()).equals("ROLLED_BACK") && reasons.contains("error-rate"),
        "ledger marks " + SPIKE_TAG + " ROLLED_BACK with the failing check and its values (" + Views.trim(reasons) + ")");
    List<JsonNode> notes = sandbox.drainNotifications();
    expect(notes.size() == 1 && notes.get(0).toString().contains("CANARY_ABORTED")
        && notes.get(0).toString().contains(spike.digest()), "one notification, CANARY_ABORTED, naming " + SPIKE_TAG
        + "'s digest (" + notes.size() + " arrived)");
    expect(updates == 1, "exactly one rollback, ECS's: the functions called UpdateService once (the rollout), never "
        + "to roll back (" + updates + " call(s))");
    runs.stream().filter(r -> r.abortReason().isPresent()).findFirst().ifPresent(r -> line(String.format(
        "abort decided %.0f ms (wall, time compressed) and %d s of analysis time after the first bad window; the "
            + "canary served %.0f of %.0f requests (%.1f%%) before production went back to stable",
        r.signalToAbortMillis(), r.logicalSecondsToAbort(), r.newRevisionRequests(), r.totalRequests(),
        100 * r.newRevisionRequests() / Math.max(1, r.totalRequests()))));
    endStep();

    step("push " + SERVICE + ":" + SLOW_TAG + " --latency-ms " + SLOW_LATENCY_MS
        + ": the canary answers slower than the stable revision");
    Sandbox.Push slow = sandbox.pushWithLatency(SERVICE, SLOW_TAG, SLOW_LATENCY_MS);
    sandbox.drainNotifications();
    report(sandbox.deliver(slow.event()));
    expect(currentService(bff).taskDefinition().equals(healthyRevision), "ECS rolled the service back to "
        + shortArn(healthyRevision) + " (it runs " + shortArn(currentService(bff).taskDefinition()) + ")");
    String slowReasons = Views.reasons(sandbox, bff, slow.digest());
    expect(status(bff, slow.digest()).equals("ROLLED_BACK") && slowReasons.contains("latency-p95"),
        "ledger marks " + SLOW_TAG + " ROLLED_BACK by the latency check (" + Views.trim(slowReasons) + ")");
    expect(release(bff).equals(bff.repositoryUri() + "@" + healthy.digest()), "release parameter still holds "
        + CANARY_TAG + " (it holds " + release(bff) + ")");
    List<JsonNode> slowNotes = sandbox.drainNotifications();
    expect(slowNotes.size() == 1 && slowNotes.get(0).toString().contains("latency-p95"),
        "one notification, CANARY_ABORTED by latency-p95 (" + slowNotes.size() + " arrived)");
    endStep();
  }

  private int targets(String targetGroupArn) {
    return sandbox.emulator().elb().describeTargetHealth(b -> b.targetGroupArn(targetGroupArn))
        .targetHealthDescriptions().size();
  }

  private Result finish(ServiceTarget bff, Sandbox.Push good, Sandbox.Push bad) {
    List<String> table = summary();
    out.println();
    table.forEach(out::println);
    out.println();
    // The column fits the longest step name, so the counts line up.
    String row = "%-" + callsByStep.keySet().stream().mapToInt(String::length).max().orElse(5) + "s  %s";
    out.println(String.format(row, "STEP", "AWS API CALLS (by the functions)"));
    callsByStep.forEach((step, n) -> out.println(String.format(row, step, n)));
    out.println(String.format(row, "total", totalCalls));
    return new Result(List.copyOf(failures), java.util.Collections.unmodifiableMap(new LinkedHashMap<>(callsByStep)), totalCalls, table);
  }

  List<String> summary() {
    return Views.summary(sandbox);
  }

  // ---------------------------------------------------------------------------------------------

  private void step(String title) {
    sandbox.apiCalls().reset();
    stepStarted = System.nanoTime();
    out.printf("%s ▶ %s%n", stamp(started), title);
    currentStep = title;
  }

  private String currentStep = "";

  private void endStep() {
    int calls = sandbox.apiCalls().total();
    callsByStep.put(currentStep, calls);
    totalCalls += calls;
    out.printf("%s   done in %.2f s, %d AWS API calls by the functions%n", stamp(started),
        (System.nanoTime() - stepStarted) / 1e9, calls);
  }

  private int totalCalls;

  /** The deliveries, then what ECS's lifecycle did for canary services since the step began (hook answers). */
  private void report(List<Sandbox.Delivery> deliveries) {
    Views.fold(deliveries).forEach(this::line);
    sandbox.canary().ifPresent(c -> {
      List<CanaryLifecycle.Run> runs = c.runs();
      runs.subList(Math.min(runsReported, runs.size()), runs.size()).forEach(r -> r.lines().forEach(this::line));
      runsReported = runs.size();
    });
  }

  private int runsReported;

  private void line(String s) {
    out.printf("%s     %s%n", stamp(started), s);
  }

  private void expect(boolean condition, String what) {
    if (condition) {
      line("✔ " + what);
    } else {
      line("✘ " + what);
      failures.add(what);
    }
  }

  private void fail(String what) {
    line("✘ " + what);
    failures.add(what);
  }

  private static int routedTo(List<Sandbox.Delivery> ds, String function) {
    return (int) ds.stream().filter(d -> d.function().equals(function)).count();
  }

  private Service currentService(ServiceTarget t) {
    return Views.service(sandbox, t);
  }

  private String imageOf(String taskDefinitionArn, ServiceTarget t) {
    return Views.image(sandbox, taskDefinitionArn, t);
  }

  private int revisions(ServiceTarget t) {
    String family = currentService(t).taskDefinition().replaceAll("^.*task-definition/", "").replaceAll(":\\d+$", "");
    return sandbox.emulator().clients().ecs().listTaskDefinitions(b -> b.familyPrefix(family)).taskDefinitionArns().size();
  }

  private String release(ServiceTarget t) {
    return Views.release(sandbox, t);
  }

  private String status(ServiceTarget t, String digest) {
    return Views.status(sandbox, t, digest);
  }

  private static String shortArn(String arn) {
    return Views.shortArn(arn);
  }

  private static String stamp(long t0) {
    return String.format("[%6.2fs]", (System.nanoTime() - t0) / 1e9);
  }
}
