package io.gitops.sandbox.cli;

import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * {@code bin/gitops sandbox up|push|status|down}: the sandbox by hand. State lives in {@code .sandbox/}.
 * Errors are one line on stderr with exit code 2 (usage, bad input, no emulator) or 1 (anything else);
 * never a stack trace.
 */
public final class SandboxCli {
  static final String USAGE = "usage: gitops sandbox up [--endpoint URL] | push SERVICE TAG [--broken | --error-rate R | --latency-ms N] | status | down";

  private final Path stateDir;
  private final Path cdkOut;
  private final PrintStream out;

  SandboxCli(Path stateDir, Path cdkOut, PrintStream out) {
    this.stateDir = stateDir;
    this.cdkOut = cdkOut;
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(run(args, Path.of(System.getProperty("gitops.sandbox.dir", ".sandbox")),
        Path.of(System.getProperty("gitops.cdk.out", "cdk.out")),
        System.out, System.err));
  }

  public static int run(String[] args, Path stateDir, Path cdkOut, PrintStream out, PrintStream err) {
    try {
      new SandboxCli(stateDir, cdkOut, out).dispatch(args);
      return 0;
    } catch (SandboxException | MotoServer.StartFailure e) {
      err.println("gitops sandbox: " + oneLine(e.getMessage()));
      return 2;
    } catch (RuntimeException e) {
      err.println("gitops sandbox: unexpected " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()));
      return 1;
    }
  }

  private void dispatch(String[] args) {
    if (args.length == 0) throw new SandboxException(USAGE);
    switch (args[0]) {
      case "up" -> {
        URI endpoint = null;
        for (int i = 1; i < args.length; i++) {
          if (args[i].equals("--endpoint") && i + 1 < args.length) {
            endpoint = parseEndpoint(args[++i]);
          } else {
            throw new SandboxException("unexpected argument '" + args[i] + "'; " + USAGE);
          }
        }
        up(endpoint);
      }
      case "push" -> {
        String service = null;
        String tag = null;
        boolean broken = false;
        Double errorRate = null;
        Integer latencyMs = null;
        for (int i = 1; i < args.length; i++) {
          if (args[i].equals("--broken")) broken = true;
          else if (args[i].equals("--latency-ms")) {
            if (i + 1 >= args.length) throw new SandboxException("--latency-ms needs a number of milliseconds; " + USAGE);
            try {
              latencyMs = Integer.parseInt(args[++i]);
            } catch (NumberFormatException e) {
              throw new SandboxException("--latency-ms '" + args[i] + "' is not a whole number of milliseconds");
            }
          }
          else if (args[i].equals("--error-rate")) {
            if (i + 1 >= args.length) throw new SandboxException("--error-rate needs a value between 0 and 1; " + USAGE);
            try {
              errorRate = Double.parseDouble(args[++i]);
            } catch (NumberFormatException e) {
              throw new SandboxException("--error-rate '" + args[i] + "' is not a number between 0 and 1");
            }
          } else if (args[i].startsWith("-")) throw new SandboxException("unexpected option '" + args[i] + "'; " + USAGE);
          else if (service == null) service = args[i];
          else if (tag == null) tag = args[i];
          else throw new SandboxException("unexpected argument '" + args[i] + "'; " + USAGE);
        }
        if (service == null || tag == null) throw new SandboxException("push needs SERVICE and TAG; " + USAGE);
        if ((broken ? 1 : 0) + (errorRate != null ? 1 : 0) + (latencyMs != null ? 1 : 0) > 1) {
          throw new SandboxException("--broken, --error-rate and --latency-ms exclude each other");
        }
        push(service, tag, broken, errorRate, latencyMs);
      }
      case "status" -> status();
      case "down" -> down();
      case "-h", "--help", "help" -> out.println(USAGE);
      default -> throw new SandboxException("unknown subcommand '" + args[0] + "'; " + USAGE);
    }
  }

  static URI parseEndpoint(String s) {
    URI u;
    try {
      u = URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new SandboxException("not a URL: " + s);
    }
    if (!"http".equals(u.getScheme()) || u.getPort() <= 0 || !"127.0.0.1".equals(u.getHost())) {
      throw new SandboxException("the endpoint must be http://127.0.0.1:PORT (the sandbox never leaves this machine), not " + s);
    }
    return u;
  }

  private Path stateFile() {
    return stateDir.resolve("state.json");
  }

  void up(URI endpoint) {
    if (Files.exists(stateFile())) {
      SandboxState old = SandboxState.load(stateFile());
      if (MotoServer.isUp(old.endpoint())) {
        throw new SandboxException("the sandbox is already up at " + old.endpoint() + " (run 'bin/gitops sandbox down' first)");
      }
    }
    CloudAssembly assembly = CloudAssembly.load(cdkOut, "dev");
    long pid = 0;
    if (endpoint == null) {
      MotoServer moto = MotoServer.start(MotoServer.freePort(), true);
      endpoint = moto.endpoint();
      pid = moto.pid();
      out.println("started moto_server (pid " + pid + ") at " + endpoint + "; log: " + moto.log());
    } else {
      Emulator.requireRunning(endpoint);
    }
    SandboxState state;
    try {
      state = SandboxState.provision(assembly, endpoint, pid);
    } catch (RuntimeException e) {
      if (pid > 0) MotoServer.stop(pid);
      throw e;
    }
    state.save(stateFile());
    out.println("provisioned the dev stage: " + state.provisioned().size() + " resources");
    out.println();
    out.println("# 'bin/gitops invoke FUNCTION --event FILE' now runs a function of this sandbox through the local"
        + " Lambda host; for 'bin/gitops invoke --in-process ...' export these (the functions' variables, merged):");
    Map<String, String> merged = new java.util.LinkedHashMap<>();
    state.environments().values().forEach(merged::putAll);
    Map<String, String> env = Sandbox.functionEnv(merged, endpoint);
    env.forEach((k, v) -> out.println("export " + k + "='" + v.replace("'", "'\\''") + "'"));
  }

  void push(String service, String tag, boolean broken) {
    push(service, tag, broken, null);
  }

  /** {@code errorRate}: the 5xx share the image answers with, seen by a canary's analysis (null: none set). */
  void push(String service, String tag, boolean broken, Double errorRate) {
    push(service, tag, broken, errorRate, null);
  }

  /** {@code latencyMs}: the response time the image answers in, seen by the canary's latency check (null: none). */
  void push(String service, String tag, boolean broken, Double errorRate, Integer latencyMs) {
    SandboxState state = SandboxState.load(stateFile());
    Emulator.requireRunning(state.endpoint());
    try (Sandbox sandbox = new Sandbox(state, functionLog(), Clock.systemUTC())) {
      long t0 = System.nanoTime();
      Sandbox.Push p = latencyMs != null ? sandbox.pushWithLatency(service, tag, latencyMs)
          : errorRate == null ? sandbox.push(service, tag, broken) : sandbox.push(service, tag, errorRate);
      out.printf("pushed %s:%s → %s%s%n", service, tag, p.digest(), broken ? " (marked broken)"
          : errorRate != null ? " (answers " + errorRate + " of its requests with 5xx)"
          : latencyMs != null ? " (answers in " + latencyMs + " ms)" : "");
      int runs = sandbox.canary().map(c -> c.runs().size()).orElse(0);
      Views.fold(sandbox.deliver(p.event())).forEach(l -> out.println("  " + l));
      sandbox.canary().ifPresent(c -> c.runs().subList(runs, c.runs().size())
          .forEach(r -> r.lines().forEach(l -> out.println("  " + l))));
      state.save(stateFile());
      out.printf("done in %.2f s through the local Lambda host (%d function JVM(s) started); %d AWS API calls by the"
          + " functions; their logs: %s%n", (System.nanoTime() - t0) / 1e9,
          sandbox.host().functions().stream().mapToInt(sandbox.host()::environmentsStarted).sum(),
          sandbox.apiCalls().total(), stateDir.resolve("functions.log"));
    }
  }

  void status() {
    SandboxState state = SandboxState.load(stateFile());
    Emulator.requireRunning(state.endpoint());
    try (Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      status(state, sandbox);
    }
  }

  private void status(SandboxState state, Sandbox sandbox) {
    out.println("emulator: " + state.endpoint() + (state.pid() > 0 ? " (pid " + state.pid() + ")" : ""));
    out.println();
    Views.summary(sandbox).forEach(out::println);
    out.println();
    out.println("release parameters:");
    for (ServiceTarget t : sandbox.services().values()) {
      out.println("  " + t.releaseParameter() + " = " + Views.release(sandbox, t));
    }
    out.println();
    out.println("ledger:");
    for (Map.Entry<String, ServiceTarget> e : sandbox.services().entrySet()) {
      for (Deployment d : Views.ledger(sandbox).history(e.getValue().service())) {
        out.printf("  %-10s %-10s %-22s %-12s %s%n", e.getKey(), d.tag(), Views.shortDigest(d.digest()), d.status(),
            d.reasons().isEmpty() ? "" : Views.trim(d.reasons().get(d.reasons().size() - 1)));
      }
    }
  }

  void down() {
    if (!Files.exists(stateFile())) {
      out.println("the sandbox is not up");
      return;
    }
    SandboxState state = SandboxState.load(stateFile());
    if (state.pid() > 0) {
      out.println(MotoServer.stop(state.pid()) ? "stopped moto_server (pid " + state.pid() + ")"
          : "moto_server (pid " + state.pid() + ") was not running");
    } else {
      out.println("left the emulator at " + state.endpoint() + " running (the sandbox did not start it)");
    }
    try {
      Files.deleteIfExists(stateFile());
      Files.deleteIfExists(stateDir.resolve("functions.log"));
    } catch (java.io.IOException e) {
      throw new SandboxException("cannot remove " + stateFile() + ": " + e.getMessage());
    }
  }

  private Path functionLog() {
    try {
      Files.createDirectories(stateDir);
      return stateDir.resolve("functions.log").toAbsolutePath();
    } catch (java.io.IOException e) {
      throw new SandboxException("cannot create " + stateDir + ": " + e.getMessage());
    }
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
