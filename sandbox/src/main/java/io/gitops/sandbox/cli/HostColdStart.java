package io.gitops.sandbox.cli;

import io.gitops.contract.FunctionHandler;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.host.FunctionSpec;
import io.gitops.sandbox.host.HostOptions;
import io.gitops.sandbox.host.LambdaHost;
import io.gitops.testing.MotoServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cold start through the local Lambda host (bin/gitops bench): a fresh execution environment (a JVM running
 * the runtime interface client) → the first event handled, for the image deployer of the synthesized dev
 * stage provisioned in moto, beside the SDK-defaults baseline run the same way. Writes a markdown fragment.
 *
 * <pre>HostColdStart CDK_OUT BASELINE_JAR OUT.md [rounds]</pre>
 */
public final class HostColdStart {
  record Variant(String name, boolean baseline, boolean snapStart, boolean archive) {}

  private HostColdStart() {}

  public static void main(String[] args) throws Exception {
    Path cdkOut = Path.of(args[0]);
    Path baselineJar = Path.of(args[1]).toAbsolutePath();
    Path out = Path.of(args[2]);
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    Path work = Files.createTempDirectory("gitops-host-bench");
    Path log = work.resolve("functions.log");
    Path archive = work.resolve("deployer.jsa");
    List<Variant> variants = List.of(
        new Variant("A. baseline: SDK defaults, on-demand, no JVM flags", true, false, false),
        new Variant("C. optimised jar, on-demand (template's JAVA_TOOL_OPTIONS)", false, false, false),
        new Variant("S. C + SnapStart path: priming in beforeCheckpoint", false, true, false),
        new Variant("S + AppCDS archive (class-data stand-in for the snapshot)", false, true, true));
    Map<Variant, List<long[]>> results = new LinkedHashMap<>();
    variants.forEach(v -> results.put(v, new ArrayList<>()));
    long t0 = System.nanoTime();
    try (MotoServer moto = MotoServer.start()) {
      SandboxState state = SandboxState.provision(CloudAssembly.load(cdkOut, "dev"), moto.endpoint(), 0);
      FunctionSpec deployer = state.functions().stream().filter(f -> f.name().equals(FunctionHandler.IMAGE_DEPLOYER.functionName())).findFirst()
          .orElseThrow(() -> new SandboxException("no image-deployer in " + cdkOut));
      try (Sandbox pushes = new Sandbox(state, log, Clock.systemUTC())) {
        // Training run for the class-data archive: the same path, the archive written when the JVM exits.
        run(pushes, spec(deployer, baselineJar, variants.get(3)), moto, log, List.of("-XX:ArchiveClassesAtExit=" + archive), 0);
        int n = 1;
        for (int r = 0; r < rounds; r++) {
          for (Variant v : variants) {
            List<String> jvm = v.archive() ? List.of("-XX:SharedArchiveFile=" + archive) : List.of();
            results.get(v).add(run(pushes, spec(deployer, baselineJar, v), moto, log, jvm, n++));
            System.err.printf("host bench: %s round %d: %d ms (%d ms after init)%n", v.name(), r + 1,
                results.get(v).get(r)[0], results.get(v).get(r)[1]);
          }
        }
      }
    }
    long base = median(results.get(variants.get(0)), 0);
    StringBuilder md = new StringBuilder();
    md.append("### Lambda through the local host (image deployer)\n\n")
        .append("Fresh execution environment → first event handled, through the local Lambda host: a JVM running the")
        .append(" runtime interface client against the host's Runtime API, the function's template settings (1024 MB,")
        .append(" heap from it, environment, credentials as Lambda gives them), an ECR push handled as a full rollout")
        .append(" against moto. `after init` starts when init is over: for the SnapStart rows, at the point where")
        .append(" Lambda would take the snapshot (`beforeCheckpoint` has run), so it is what a restored environment")
        .append(" still does (`afterRestore` and the first invocation), without the restore itself. Median of ")
        .append(rounds).append(" rounds, variants interleaved.\n\n")
        .append("| variant | fresh JVM → first event (ms) | vs A | after init (ms) | vs A | runs (ms) |\n")
        .append("| --- | ---: | ---: | ---: | ---: | --- |\n");
    for (Variant v : variants) {
      long wall = median(results.get(v), 0);
      long after = median(results.get(v), 1);
      StringBuilder runs = new StringBuilder();
      for (long[] x : results.get(v)) runs.append(runs.length() == 0 ? "" : ", ").append(x[0]);
      md.append(String.format("| %s | %d | %.2f | %d | %.2f | %s |%n", v.name(), wall, wall / (double) base, after,
          after / (double) base, runs));
    }
    md.append(String.format("%n_host bench: %d fresh environments + 1 archive training run, %.0f s._%n",
        rounds * variants.size(), (System.nanoTime() - t0) / 1e9));
    Files.writeString(out, md.toString());
    System.out.print(md);
  }

  private static FunctionSpec spec(FunctionSpec deployer, Path baselineJar, Variant v) {
    FunctionSpec s = deployer.withSnapStart(v.snapStart());
    if (!v.baseline()) return s;
    Map<String, String> env = new LinkedHashMap<>(s.environment());
    env.remove("JAVA_TOOL_OPTIONS"); // the baseline is the SDK defaults with no JVM flags
    return new FunctionSpec(s.name(), s.physicalName(), "io.gitops.bench.baseline.BaselineImageDeployerHandler::handleRequest",
        s.runtime(), s.memoryMb(), s.timeout(), env, false, s.reservedConcurrency(), s.qualifier(), s.executedVersion(),
        s.maximumRetryAttempts(), s.maximumEventAge(), s.onFailureQueueArn(), baselineJar, s.logGroupName());
  }

  /** One fresh environment: {wall ms, ms after init}. */
  private static long[] run(Sandbox pushes, FunctionSpec spec, MotoServer moto, Path log, List<String> jvm, int n) {
    HostOptions options = HostOptions.defaults(Optional.empty(), log).withJvmOptions(jvm);
    byte[] event = pushes.push("bff", "9." + n + ".0", false).event().toString().getBytes(StandardCharsets.UTF_8);
    AtomicLong initDone = new AtomicLong();
    try (LambdaHost host = new LambdaHost(List.of(spec), options, Optional.of(moto.endpoint()), (a, b) -> { },
        Clock.systemUTC())) {
      host.addListener(e -> {
        if (e.kind().equals("environment-started")) initDone.set(System.nanoTime());
      });
      long start = System.nanoTime();
      LambdaHost.SyncOutcome r = host.invoke(spec.name(), event);
      long end = System.nanoTime();
      if (!r.ok() || !r.payloadText().contains("\"DEPLOYED\"")) {
        throw new SandboxException("host bench: " + spec.handler() + " did not deploy: " + r.errorType() + " "
            + r.errorMessage() + " " + r.payloadText());
      }
      return new long[] {(end - start) / 1_000_000, (end - initDone.get()) / 1_000_000};
    }
  }

  private static long median(List<long[]> xs, int i) {
    List<Long> v = new ArrayList<>(xs.stream().map(x -> x[i]).sorted().toList());
    return v.isEmpty() ? 0 : v.get(v.size() / 2);
  }

}
