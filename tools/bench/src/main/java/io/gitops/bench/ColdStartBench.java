package io.gitops.bench;

import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Cold start and warm latency of the Lambda functions, against moto on 127.0.0.1, in fresh JVMs: the
 * production jar and its optimisation steps beside the BASELINE build, in the same run, interleaved round by
 * round so that drift hits every variant alike. Also counts classes loaded to the first event and AWS API
 * calls per image push. Writes a markdown fragment (the Lambda part of docs/performance.md).
 *
 * <pre>ColdStartBench LAMBDAS_JAR BASELINE_JAR RUNNER_JAR OUT.md [runs] [warm]</pre>
 */
public final class ColdStartBench {
  /** Kills a measured JVM that overruns its time (daemon: never keeps the bench alive). */
  private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-watchdog");
        t.setDaemon(true);
        return t;
      });

  static final String C1 = "-XX:+TieredCompilation -XX:TieredStopAtLevel=1";
  static final String OPT_HANDLER = "io.gitops.lambdas.deployer.ImageDeployerHandler";
  static final String BASE_HANDLER = "io.gitops.bench.baseline.BaselineImageDeployerHandler";
  /** The overlay jar (tools/bench/powertools) that swaps core/Log and core/Metrics for Powertools; adds its row. */
  static final String POWERTOOLS_JAR = System.getProperty("gitops.bench.powertools", "");
  /** Only rows C and C-with-Powertools, plus their class counts (bin/gitops bench --powertools). */
  static final boolean POWERTOOLS_ONLY = Boolean.getBoolean("gitops.bench.powertoolsOnly");

  record Variant(String name, String jar, String handler, String toolOptions, List<String> jvmArgs, boolean prime) {}

  /** One function under test: its two handler classes and a generator of fresh events (n → JSON). */
  record Function(String title, String optHandler, String baseHandler, java.util.function.IntFunction<String> events,
      String eventDescription) {}

  record Run(double wallMs, double initMs, double firstHandleMs, double primeMs, String outcome,
      double warmP50, double warmP99, int warmN, List<String> stdout) {}

  private final Map<String, String> env;
  private final Path work;
  private final String runnerJar;
  private int eventCounter;
  private java.util.function.IntFunction<String> events;
  private final Instant base = Instant.now().minusSeconds(86_400);

  ColdStartBench(Map<String, String> env, Path work, String runnerJar) {
    this.env = env;
    this.work = work;
    this.runnerJar = runnerJar;
  }

  public static void main(String[] args) throws Exception {
    String lambdasJar = args[0];
    String baselineJar = args[1];
    String runnerJar = args[2];
    Path out = Path.of(args[3]);
    int runs = args.length > 4 ? Integer.parseInt(args[4]) : 5;
    int warm = args.length > 5 ? Integer.parseInt(args[5]) : 200;
    long started = System.nanoTime();

    int budgetSeconds = args.length > 6 ? Integer.parseInt(args[6]) : 240;
    try (MotoServer moto = MotoServer.start()) {
      // bin/gitops bench checks that this pid is gone afterwards
      System.err.println("bench: moto_server pid " + moto.pid() + " on " + moto.endpoint().getAuthority());
      bench(moto.endpoint(), lambdasJar, baselineJar, runnerJar, out, runs, warm, budgetSeconds, started);
    }
  }

  static void bench(java.net.URI endpoint, String lambdasJar, String baselineJar, String runnerJar, Path out,
      int runs, int warm, int budgetSeconds, long started) throws Exception {
    AwsFixture fixture = AwsFixture.builder(endpoint).service("bff").service("graphql").service("agentcore")
        .provision();
    Map<String, String> env = new LinkedHashMap<>(fixture.env());
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    // Lambda sets it in every execution environment; the EMF library under Powertools metrics picks its
    // stdout sink by it (without it, it waits on a CloudWatch agent that is not there).
    env.put("AWS_LAMBDA_FUNCTION_NAME", "gitops-bench");
    Path work = Files.createTempDirectory("gitops-bench");
    ColdStartBench b = new ColdStartBench(env, work, runnerJar);
    Instant base = b.base;

    // The guard's events: task RUNNING changes of graphql's rolling-out revision (the most frequent event).
    String graphqlRevision = deployInProcess(fixture, env, "graphql", "guard-bench", base);
    java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong(100);
    List<Function> functions = List.of(
        new Function("image deployer", OPT_HANDLER, BASE_HANDLER,
            n -> Events.ecrPush("bff", Events.digest("bench-" + n), "1.0." + n, base.plusSeconds(n)),
            "an ECR push, handled as a full rollout"),
        new Function("guard", "io.gitops.lambdas.guard.GuardHandler", "io.gitops.bench.baseline.BaselineGuardHandler",
            n -> new String(io.gitops.lambdas.guard.GuardEvents.running("graphql", String.format("%032x", n),
                graphqlRevision, version.incrementAndGet(), Instant.now()), StandardCharsets.UTF_8),
            "an ECS task state change (RUNNING) of the rolling-out revision"));

    StringBuilder md = new StringBuilder();
    int perFunctionBudget = budgetSeconds / functions.size();
    if (POWERTOOLS_ONLY) {
      for (Function f : functions) {
        md.append(b.benchPowertools(f, lambdasJar, runs));
      }
      Files.writeString(out, md.toString());
      System.out.print(md);
      return;
    }
    for (Function f : functions) {
      md.append(b.benchFunction(f, lambdasJar, baselineJar, runs, warm, perFunctionBudget));
    }
    Map<String, Object> calls = b.apiCallsPerPush(lambdasJar);
    String rollback = apiCallsPerRollback(fixture, env, base);
    md.append("\n### AWS API calls (ApiCallCounter execution interceptor)\n\n");
    md.append("| flow | calls | by operation |\n| --- | ---: | --- |\n");
    md.append(String.format(Locale.ROOT, "| image push, new digest, steady state (`bin/gitops invoke --in-process image-deployer`) | %s | %s |\n",
        calls.get("pushTotal"), calls.get("push")));
    md.append(String.format(Locale.ROOT, "| the same push delivered again | %s | %s |\n",
        calls.get("dupTotal"), calls.get("dup")));
    md.append(rollback);
    md.append(String.format(Locale.ROOT, "\n_Lambda bench: %.0f s._\n", (System.nanoTime() - started) / 1e9));
    Files.writeString(out, md.toString());
    System.out.print(md);
  }


  /** Cold start (fresh JVMs, interleaved variants), warm latency and size for one function. */
  String benchFunction(Function f, String lambdasJar, String baselineJar, int runs, int warm, int budgetSeconds)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
    this.events = f.events();
    // AppCDS archive trained on the exact jar (a local stand-in for what a SnapStart snapshot gives).
    Path jsa = work.resolve(f.optHandler().replaceAll(".*\\.", "") + ".jsa");
    run(new Variant("train", lambdasJar, f.optHandler(), C1, List.of("-XX:ArchiveClassesAtExit=" + jsa), false), 0);
    List<Variant> variants = new ArrayList<>(List.of(
        new Variant("A. baseline: SDK defaults, lazy clients", baselineJar, f.baseHandler(), "", List.of(), false),
        new Variant("A + tiered C1", baselineJar, f.baseHandler(), C1, List.of(), false),
        new Variant("B. optimised jar, no JVM flags", lambdasJar, f.optHandler(), "", List.of(), false),
        new Variant("C. optimised + tiered C1 (as deployed)", lambdasJar, f.optHandler(), C1, List.of(), false),
        new Variant("C + priming before the first event", lambdasJar, f.optHandler(), C1, List.of(), true),
        new Variant("C + AppCDS archive (SnapStart stand-in)", lambdasJar, f.optHandler(), C1,
            List.of("-XX:SharedArchiveFile=" + jsa), false)));
    if (!POWERTOOLS_JAR.isEmpty()) {
      variants.add(powertools(lambdasJar, f));
    }
    Map<Variant, List<Run>> results = new LinkedHashMap<>();
    variants.forEach(v -> results.put(v, new ArrayList<>()));
    // Rounds stop early (never below 3) when the next one would pass the time budget; the table says so.
    int done = 0;
    long roundNanos = 0;
    for (int round = 0; round < runs; round++) {
      long elapsed = System.nanoTime() - started;
      if (round >= 3 && elapsed + 2 * roundNanos > budgetSeconds * 1_000_000_000L) break;
      long r0 = System.nanoTime();
      for (Variant v : variants) {
        results.get(v).add(run(v, 0));
      }
      roundNanos = System.nanoTime() - r0;
      done++;
    }
    Run warmBase = run(variants.get(0), warm);
    Run warmOpt = run(variants.get(3), warm);
    int classesOpt = classesLoaded(new Variant("classes", lambdasJar, f.optHandler(), C1, List.of(), false));
    int classesBase = classesLoaded(new Variant("classes", baselineJar, f.baseHandler(), C1, List.of(), false));

    StringBuilder md = new StringBuilder();
    md.append("\n### Lambda: ").append(f.title()).append("\n\n");
    md.append(String.format(Locale.ROOT,
        "Fresh JVM on the jar → first event handled (%s; first outcome: `%s`), median of %d JVMs per row%s, "
            + "rows interleaved round by round. `wall` is measured by the parent from process start to the "
            + "runner's first-event line; `init` is the handler's constructor; `first handle` is the first "
            + "`handleRequest`.\n\n", f.eventDescription(), results.get(variants.get(3)).get(0).outcome().trim(),
        done, done < runs ? " (of " + runs + " planned: stopped at the time budget)" : ""));
    md.append("| variant | wall to first event (ms) | vs A | init (ms) | first handle (ms) | runs (ms) |\n");
    md.append("| --- | ---: | ---: | ---: | ---: | --- |\n");
    double baseline = median(results.get(variants.get(0)).stream().mapToDouble(Run::wallMs).toArray());
    for (Variant v : variants) {
      List<Run> rs = results.get(v);
      double wall = median(rs.stream().mapToDouble(Run::wallMs).toArray());
      md.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f | %.0f | %.0f | %s |\n", v.name(), wall,
          wall / baseline, median(rs.stream().mapToDouble(Run::initMs).toArray()),
          median(rs.stream().mapToDouble(Run::firstHandleMs).toArray()),
          String.join(", ", rs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.wallMs())).toList())));
    }
    List<Run> primed = results.get(variants.get(4));
    md.append(String.format(Locale.ROOT, "\nPriming (the CRaC `beforeCheckpoint` body, run here directly): %.0f ms "
            + "of work moved before the snapshot; the first `handleRequest` after it took %.0f ms vs %.0f ms "
            + "unprimed (C). On Lambda with SnapStart that difference is what leaves the restored first invocation.\n",
        median(primed.stream().mapToDouble(Run::primeMs).toArray()),
        median(primed.stream().mapToDouble(Run::firstHandleMs).toArray()),
        median(results.get(variants.get(3)).stream().mapToDouble(Run::firstHandleMs).toArray())));
    md.append("\n| warm, same JVM after the first event | events | p50 (ms) | p99 (ms) |\n| --- | ---: | ---: | ---: |\n");
    md.append(String.format(Locale.ROOT, "| A. baseline | %d | %.1f | %.1f |\n", warmBase.warmN(), warmBase.warmP50(),
        warmBase.warmP99()));
    md.append(String.format(Locale.ROOT, "| C. optimised + tiered C1 | %d | %.1f | %.1f |\n", warmOpt.warmN(),
        warmOpt.warmP50(), warmOpt.warmP99()));
    md.append(String.format(Locale.ROOT,
        "\n| size | optimised | baseline |\n| --- | ---: | ---: |\n| jar (MB) | %.1f | %.1f |\n"
            + "| classes loaded to the first event (`-Xlog:class+load`, with C1) | %d | %d |\n",
        new File(lambdasJar).length() / 1e6, new File(baselineJar).length() / 1e6, classesOpt, classesBase));
    md.append(String.format(Locale.ROOT, "\n_%s: %d JVMs measured + 2 warm runs + 1 AppCDS training run + 2 "
        + "class-count runs, %.0f s._\n", f.title(), done * variants.size(), (System.nanoTime() - started) / 1e9));
    return md.toString();
  }

  /** Row C with core/Log and core/Metrics swapped for Powertools (the overlay jar first on the class path). */
  static Variant powertools(String lambdasJar, Function f) {
    return new Variant("C with Powertools logging + metrics instead of core/Log, core/Metrics",
        POWERTOOLS_JAR + File.pathSeparator + lambdasJar, f.optHandler(), C1, List.of(), false);
  }

  /**
   * Rows C and C-with-Powertools only, interleaved round by round: the cost of adopting Powertools for
   * the functions' logging and metrics, fresh JVM to the first event.
   */
  String benchPowertools(Function f, String lambdasJar, int runs) throws IOException, InterruptedException {
    this.events = f.events();
    Variant c = new Variant("C. optimised + tiered C1 (as deployed): core/Log, core/Metrics", lambdasJar,
        f.optHandler(), C1, List.of(), false);
    Variant p = powertools(lambdasJar, f);
    List<Run> cr = new ArrayList<>();
    List<Run> pr = new ArrayList<>();
    run(c, 0);
    run(p, 0);
    for (int round = 0; round < runs; round++) {
      cr.add(run(c, 0));
      pr.add(run(p, 0));
    }
    double cw = median(cr.stream().mapToDouble(Run::wallMs).toArray());
    double pw = median(pr.stream().mapToDouble(Run::wallMs).toArray());
    StringBuilder md = new StringBuilder("\n### Powertools vs core/Log + core/Metrics: ").append(f.title()).append("\n\n");
    md.append(String.format(Locale.ROOT, "Fresh JVM → first event handled (%s), median of %d JVMs per row after one"
        + " unmeasured JVM each, rows interleaved.\n\n", f.eventDescription(), runs));
    md.append("| variant | wall to first event (ms) | vs C | init (ms) | first handle (ms) | classes loaded | runs (ms) |\n");
    md.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for (var e : List.of(Map.entry(c, cr), Map.entry(p, pr))) {
      List<Run> rs = e.getValue();
      double wall = median(rs.stream().mapToDouble(Run::wallMs).toArray());
      md.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f | %.0f | %.0f | %d | %s |\n", e.getKey().name(), wall,
          wall / cw, median(rs.stream().mapToDouble(Run::initMs).toArray()),
          median(rs.stream().mapToDouble(Run::firstHandleMs).toArray()), classesLoaded(e.getKey()),
          String.join(", ", rs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.wallMs())).toList())));
    }
    md.append(String.format(Locale.ROOT, "\nPowertools / hand-written: **%.2f×** (adopt if ≤ 1.10×).\n", pw / cw));
    return md.toString();
  }

  /** Rolls an image out in-process with the emulator's clients; returns the new revision. */
  static String deployInProcess(AwsFixture fixture, Map<String, String> env, String service, String label,
      Instant at) {
    var o = new io.gitops.lambdas.deployer.ImageDeployerHandler(io.gitops.lambdas.core.LambdaConfig.from(env),
        fixture.clients(), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
        java.time.Clock.systemUTC()).handle(Events.bytes(Events.ecrPush(service, Events.digest(label),
            "1.0." + Math.abs(label.hashCode() % 1000), at)));
    if (o.action() != io.gitops.lambdas.deployer.Outcome.Action.DEPLOYED) {
      throw new IllegalStateException("setup push of " + service + " not deployed: " + o.reason());
    }
    return o.revision();
  }

  /**
   * The event that makes the guard roll back, counted: v1 rolled out and made HEALTHY, v2 rolled out, one
   * crashed task of v2, then the second (the threshold) through the production guard wiring with a counter.
   */
  static String apiCallsPerRollback(AwsFixture fixture, Map<String, String> env, Instant base) {
    var counter = new io.gitops.lambdas.core.ApiCallCounter();
    var config = io.gitops.lambdas.core.LambdaConfig.from(env);
    var guard = new io.gitops.lambdas.guard.GuardHandler(config, io.gitops.lambdas.guard.GuardConfig.from(env),
        List.of(counter), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    String v1 = deployInProcess(fixture, env, "agentcore", "rollback-good", base.plusSeconds(1));
    Instant t = Instant.now();
    guard.handle(io.gitops.lambdas.guard.GuardEvents.running("agentcore", "a1", v1, 1, t));
    guard.handle(io.gitops.lambdas.guard.GuardEvents.running("agentcore", "a2", v1, 2, t));
    var healthy = guard.handle(io.gitops.lambdas.guard.GuardEvents.completed("agentcore", t.plusSeconds(1)));
    String v2 = deployInProcess(fixture, env, "agentcore", "rollback-bad", base.plusSeconds(2));
    guard.handle(io.gitops.lambdas.guard.GuardEvents.crashed("agentcore", "b1", v2, 3, t.plusSeconds(2)));
    counter.reset();
    var outcome = guard.handle(io.gitops.lambdas.guard.GuardEvents.crashed("agentcore", "b2", v2, 4,
        t.plusSeconds(3)));
    String byOp = counter.snapshot().toString();
    return String.format(Locale.ROOT, "| guard: the task stop that triggers the rollback (in-process, production "
        + "wiring; v1 marked %s first; outcome %s) | %d | %s |\n", healthy.action(), outcome.action(),
        counter.total(), byOp);
  }

  /** Writes 1 + warm fresh, newer pushes for the fixture's service and runs one JVM over them. */
  Run run(Variant v, int warm) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(work, "events");
    for (int i = 0; i <= warm; i++) {
      int n = ++eventCounter;
      Files.writeString(dir.resolve(String.format(Locale.ROOT, "%05d.json", i)), events.apply(n));
    }
    List<String> cmd = new ArrayList<>(List.of(javaBin()));
    cmd.addAll(v.jvmArgs());
    cmd.addAll(List.of("-cp", v.jar() + File.pathSeparator + runnerJar, "io.gitops.bench.runner.LambdaRunner",
        v.handler(), dir.toString()));
    if (v.prime()) cmd.add("--prime");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false)
        .redirectError(work.resolve("stderr-" + eventCounter + ".log").toFile());
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv("PATH"));
    pb.environment().putAll(env);
    if (!v.toolOptions().isEmpty()) pb.environment().put("JAVA_TOOL_OPTIONS", v.toolOptions());
    long start = System.nanoTime();
    Process p = pb.start();
    // The loop below reads until the JVM closes its output: a JVM that hangs is killed, not waited on forever.
    var deadline = WATCHDOG.schedule(p::destroyForcibly, 120, TimeUnit.SECONDS);
    double wall = -1;
    Map<String, String> bench = new LinkedHashMap<>();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("BENCH FIRST_DONE") && wall < 0) wall = (System.nanoTime() - start) / 1e6;
        if (line.startsWith("BENCH ")) {
          String[] parts = line.substring(6).split(" ", 2);
          bench.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
        lines.add(line);
      }
    }
    p.waitFor();
    if (!deadline.cancel(false)) {
      throw new IllegalStateException(v.name() + ": JVM did not finish in 120 s; killed (see " + work + ")");
    }
    String outcome = bench.getOrDefault("OUTCOME", "");
    if (p.exitValue() != 0 || outcome.isBlank() || outcome.contains("\"FAILED\"")) {
      throw new IllegalStateException(v.name() + ": expected a handled event, got exit " + p.exitValue()
          + " and " + outcome + "; see " + work);
    }
    double p50 = 0;
    double p99 = 0;
    int n = 0;
    if (bench.containsKey("WARM")) {
      String[] w = bench.get("WARM").split(" ");
      n = Integer.parseInt(w[0]);
      p50 = Double.parseDouble(w[1]);
      p99 = Double.parseDouble(w[2]);
    }
    return new Run(wall, d(bench.get("INIT_MS")), d(bench.get("FIRST_HANDLE_MS")), d(bench.get("PRIME_MS")),
        outcome, p50, p99, n, lines);
  }

  int classesLoaded(Variant v) throws IOException, InterruptedException {
    Variant logged = new Variant(v.name(), v.jar(), v.handler(), v.toolOptions(),
        List.of("-Xlog:class+load=info:stdout"), false);
    Run r = run(logged, 0);
    int count = 0;
    for (String line : r.stdout()) {
      if (line.startsWith("BENCH FIRST_DONE")) break;
      if (line.contains("class,load")) count++;
    }
    return count;
  }

  /** API calls of one push through the production invoke command, counted by its ApiCallCounter. */
  Map<String, Object> apiCallsPerPush(String lambdasJar) throws IOException, InterruptedException {
    int n = ++eventCounter;
    Path event = work.resolve("push-" + n + ".json");
    Files.writeString(event, Events.ecrPush("bff", Events.digest("bench-" + n), "1.0." + n, base.plusSeconds(n)));
    Map<String, Object> out = new LinkedHashMap<>();
    this.events = null;
    String[] push = invokeCounting(lambdasJar, event);
    String[] dup = invokeCounting(lambdasJar, event);
    out.put("push", push[1]);
    out.put("pushTotal", push[0]);
    out.put("dup", dup[1]);
    out.put("dupTotal", dup[0]);
    out.put("summary", push[1].replaceAll("[{}\"]", "").replace(",", ", "));
    return out;
  }

  private String[] invokeCounting(String jar, Path event) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(javaBin(), "-jar", jar, "image-deployer", "--event", event.toString());
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv("PATH"));
    pb.environment().putAll(env);
    pb.environment().put("GITOPS_COUNT_API_CALLS", "1");
    Path errors = Files.createTempFile(work, "invoke", ".err"); // a file: a full stderr pipe would block the JVM
    pb.redirectError(errors.toFile());
    Process p = pb.start();
    var deadline = WATCHDOG.schedule(p::destroyForcibly, 60, TimeUnit.SECONDS);
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    if (!deadline.cancel(false)) throw new IllegalStateException("invoke did not finish in 60 s; killed");
    String stderr = Files.readString(errors);
    String line = Arrays.stream(stderr.split("\n")).filter(l -> l.startsWith("{\"apiCalls\"")).findFirst()
        .orElseThrow(() -> new IllegalStateException("no API call count from invoke: " + stdout + stderr));
    String total = line.replaceAll(".*\"total\":(\\d+).*", "$1");
    String byOp = line.replaceAll("^\\{\"apiCalls\":(\\{[^}]*\\}).*", "$1");
    return new String[] {total, byOp};
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static double d(String s) {
    return s == null || s.isBlank() ? -1 : Double.parseDouble(s.trim());
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length == 0 ? -1 : (s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2);
  }
}
