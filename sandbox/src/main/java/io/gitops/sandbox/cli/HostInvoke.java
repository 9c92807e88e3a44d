package io.gitops.sandbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.lambdas.cli.Invoke;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.host.FunctionSpec;
import io.gitops.sandbox.host.HostOptions;
import io.gitops.sandbox.host.LambdaHost;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code bin/gitops invoke FUNCTION --event FILE}: one synchronous invocation of a function of the running
 * sandbox, through the local Lambda host: its own JVM, the runtime interface client, the environment and
 * credentials Lambda would give it (SnapStart: only a container credentials endpoint), its timeout.
 * Prints one JSON outcome on stdout (the function's response, or its error).
 *
 * <p>Exit codes: 0 handled; 1 the function failed (Lambda would retry an asynchronous event); 2 usage, an
 * invalid event, or a function that cannot start (bad handler, missing variable), one line on stderr.
 * {@code --in-process} keeps the former path: the handler called in this JVM with this shell's environment.
 */
public final class HostInvoke {
  static final String USAGE = "usage: gitops invoke FUNCTION --event FILE [--verbose] | --in-process FUNCTION --event FILE"
      + " [--endpoint URL] [--verbose]";

  /** The runtime's error types for a handler it cannot load (the runtime interface client reports them). */
  static final java.util.Set<String> BAD_FUNCTION_CODE = java.util.Set.of("Runtime.BadFunctionCode",
      "Runtime.HandlerNotFound", "Runtime.InvalidEntrypoint", "Runtime.ImportModuleError");

  private HostInvoke() {}

  public static void main(String[] args) {
    System.exit(run(args, Path.of(System.getProperty("gitops.sandbox.dir", ".sandbox")), System.out, System.err));
  }

  public static int run(String[] args, Path stateDir, PrintStream out, PrintStream err) {
    List<String> rest = new ArrayList<>(List.of(args));
    if (rest.remove("--in-process")) {
      return Invoke.run(rest.toArray(String[]::new), System.getenv(), out, err);
    }
    try {
      return invoke(rest, stateDir, out, err);
    } catch (SandboxException e) {
      err.println("gitops invoke: " + oneLine(e.getMessage()));
      return 2;
    } catch (RuntimeException e) {
      err.println("gitops invoke: unexpected " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()));
      return 1;
    }
  }

  private static int invoke(List<String> args, Path stateDir, PrintStream out, PrintStream err) {
    String name = null;
    String eventFile = null;
    boolean verbose = false;
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--event" -> {
          if (++i >= args.size()) throw new SandboxException("--event needs a value; " + USAGE);
          eventFile = args.get(i);
        }
        case "--verbose", "-v" -> verbose = true;
        case "-h", "--help" -> throw new SandboxException(USAGE);
        case "--endpoint" -> throw new SandboxException("--endpoint applies to --in-process only: through the host, the"
            + " function calls the sandbox's emulator; " + USAGE);
        default -> {
          if (args.get(i).startsWith("-") || name != null) {
            throw new SandboxException("unexpected argument '" + args.get(i) + "'; " + USAGE);
          }
          name = args.get(i);
        }
      }
    }
    if (name == null) throw new SandboxException("missing function name; " + USAGE);
    if (eventFile == null) throw new SandboxException("missing --event FILE");
    byte[] event;
    try {
      event = Files.readAllBytes(Path.of(eventFile));
    } catch (IOException | SecurityException e) {
      throw new SandboxException("cannot read event file '" + eventFile + "': " + e.getClass().getSimpleName());
    }
    Path stateFile = stateDir.resolve("state.json");
    if (!Files.isRegularFile(stateFile)) {
      throw new SandboxException("the local Lambda host runs the functions of the sandbox's dev stage, and the sandbox"
          + " is not up: run 'bin/gitops sandbox up' (or use --in-process with your own environment)");
    }
    SandboxState state = SandboxState.load(stateFile);
    Emulator.requireRunning(state.endpoint());
    Path log = stateDir.resolve("functions.log").toAbsolutePath();
    long logStart = log.toFile().length();
    HostOptions options = HostOptions.defaults(Optional.empty(), log);
    List<FunctionSpec> specs = state.functions();
    try (LambdaHost host = new LambdaHost(specs, options, Optional.of(state.endpoint()),
        (arn, body) -> { throw new IllegalStateException("a synchronous invocation has no destination"); },
        Clock.systemUTC())) {
      FunctionSpec spec = host.spec(name);
      LambdaHost.SyncOutcome r = host.invoke(name, event);
      if (verbose) {
        err.println("gitops invoke: " + name + " (" + spec.handler() + ", " + (spec.snapStart()
            ? "SnapStart: container credentials only, fetched " + host.credentialFetches(name) + " time(s) from the"
                + " endpoint" : "on-demand: environment keys") + "); " + host.proxy().orElseThrow().total()
            + " AWS API call(s); function log: " + log);
        printLogTail(log, logStart, err);
      }
      if (!r.ok()) {
        ObjectNode o = CloudAssembly.JSON.createObjectNode();
        o.put("action", "ERROR").put("errorType", r.errorType()).put("errorMessage", r.errorMessage());
        out.println(o);
        if (BAD_FUNCTION_CODE.contains(r.errorType())) {
          // The runtime could not load the handler: no retry can help, the template or the code is wrong.
          err.println("gitops invoke: " + name + ": the handler " + spec.handler() + " cannot run: " + r.errorType()
              + ": " + oneLine(r.errorMessage()));
          return 2;
        }
        err.println("gitops invoke: would be retried: " + r.errorType() + ": " + oneLine(r.errorMessage()));
        return 1;
      }
      String payload = r.payloadText();
      out.println(payload);
      JsonNode outcome = parse(payload);
      if ("FAILED".equals(outcome.path("action").asText()) && outcome.path("reason").asText().startsWith("INVALID_EVENT")) {
        err.println("gitops invoke: invalid event: " + oneLine(outcome.path("reason").asText()));
        return 2;
      }
      return 0;
    }
  }

  private static void printLogTail(Path log, long from, PrintStream err) {
    try {
      byte[] all = Files.readAllBytes(log);
      if (from < all.length) err.print(new String(all, (int) from, (int) (all.length - from), java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      err.println("gitops invoke: cannot read " + log + ": " + e.getMessage());
    }
  }

  private static JsonNode parse(String s) {
    try {
      return CloudAssembly.JSON.readTree(s);
    } catch (IOException e) {
      return CloudAssembly.JSON.createObjectNode();
    }
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
