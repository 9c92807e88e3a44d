package io.gitops.lambdas.cli;

import io.gitops.lambdas.core.ApiCallCounter;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.PermanentFailureException;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.guard.GuardConfig;
import io.gitops.lambdas.guard.GuardHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code bin/gitops invoke --in-process FUNCTION --event FILE [--endpoint URL]}: runs one function's handler
 * once, in this JVM, with the environment of the calling shell (by default {@code bin/gitops invoke} runs the
 * function through the sandbox's local Lambda host instead: {@code io.gitops.sandbox.cli.HostInvoke}). Prints one JSON outcome on stdout;
 * with {@code --verbose}, the function's JSON logs and EMF metrics go to stderr.
 *
 * <p>Exit codes: 0 handled (deployed, skipped, or a recorded permanent failure); 1 the event would be
 * retried by Lambda; 2 usage, configuration or event errors (one line on stderr, never a stack trace).
 */
public final class Invoke {
  /** One locally runnable function. Throws InvalidInputException or RetryableException like the handler. */
  @FunctionalInterface
  public interface LocalFunction {
    Json.Obj handle(byte[] event);
  }

  /**
   * Builds a function from its configuration, its raw environment (a function with settings of its own, the
   * guard's) and the client settings (a client of its own, the guard's ELBv2 client, which must get the same
   * endpoint and interceptors, e.g. the API call counter).
   */
  @FunctionalInterface
  public interface Factory {
    LocalFunction create(LambdaConfig config, Map<String, String> env, AwsClients clients,
        AwsClients.Settings settings, PrintStream logs);
  }

  /** The registry of function names. */
  static final Map<String, Factory> FUNCTIONS = new TreeMap<>(Map.of(
      ImageDeployerHandler.FUNCTION,
      (config, env, clients, settings, logs) -> {
        ImageDeployerHandler h = new ImageDeployerHandler(config, clients, logs, Clock.systemUTC());
        return event -> h.handle(event).toJson();
      },
      GuardHandler.FUNCTION,
      (config, env, clients, settings, logs) -> {
        GuardHandler h = new GuardHandler(config, GuardConfig.from(env), settings.interceptors(), logs);
        return event -> h.handle(event).toJson();
      }));

  private Invoke() {}

  /** The locally runnable functions by name (the sandbox runs them in-process, as this command does). */
  public static Map<String, Factory> functions() {
    return java.util.Collections.unmodifiableMap(FUNCTIONS);
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  public static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    try {
      return runOrThrow(args, environment, out, err);
    } catch (UsageException | InvalidInputException e) {
      err.println("gitops invoke: " + e.getMessage());
      return 2;
    } catch (RetryableException e) {
      err.println("gitops invoke: would be retried: " + oneLine(e.getMessage()));
      return 1;
    } catch (RuntimeException e) {
      err.println("gitops invoke: unexpected " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()));
      return 1;
    }
  }

  private static int runOrThrow(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    String name = null;
    String eventFile = null;
    String endpoint = null;
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--event" -> eventFile = value(args, ++i, "--event");
        case "--endpoint" -> endpoint = value(args, ++i, "--endpoint");
        case "--verbose", "-v" -> verbose = true;
        case "-h", "--help" -> throw new UsageException(usage());
        default -> {
          if (args[i].startsWith("-") || name != null) throw new UsageException("unexpected argument '" + args[i] + "'; " + usage());
          name = args[i];
        }
      }
    }
    if (name == null) throw new UsageException("missing function name; " + usage());
    Factory factory = FUNCTIONS.get(name);
    if (factory == null) {
      throw new UsageException("unknown function '" + name + "' (known: " + String.join(", ", FUNCTIONS.keySet()) + ")");
    }
    if (eventFile == null) throw new UsageException("missing --event FILE");
    Path path = Path.of(eventFile);
    byte[] event;
    try {
      event = Files.readAllBytes(path);
    } catch (IOException | SecurityException e) {
      throw new UsageException("cannot read event file '" + eventFile + "': " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
    Map<String, String> env = new HashMap<>(environment);
    if (endpoint != null) {
      env.put("AWS_ENDPOINT_URL", endpoint);
      env.putIfAbsent("AWS_REGION", "us-east-1");
    }
    LambdaConfig config = LambdaConfig.from(env);
    config.endpoint().ifPresent(Invoke::checkReachable);
    ApiCallCounter counter = new ApiCallCounter();
    AwsClients.Settings settings = AwsClients.Settings.from(config, List.of(counter));
    AwsClients clients = AwsClients.create(settings);
    PrintStream logs = verbose ? err : new PrintStream(java.io.OutputStream.nullOutputStream());
    LocalFunction function = factory.create(config, env, clients, settings, logs);
    Json.Obj result;
    try {
      result = function.handle(event);
    } catch (PermanentFailureException e) {
      result = Json.obj().put("action", "FAILED").put("reason", "PERMANENT_FAILURE: " + e.getMessage())
          .put("revision", null);
    } finally {
      if ("1".equals(env.get("GITOPS_COUNT_API_CALLS"))) {
        err.println(Json.obj().put("apiCalls", counter.snapshot()).put("total", counter.total()));
      }
    }
    out.println(result);
    return 0;
  }

  /** Fails fast, with one line, when a local emulator is not running. */
  private static void checkReachable(URI endpoint) {
    int port = endpoint.getPort() > 0 ? endpoint.getPort() : ("https".equals(endpoint.getScheme()) ? 443 : 80);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.getHost(), port), 2000);
    } catch (IOException e) {
      throw new UsageException("cannot reach endpoint " + endpoint + ": " + e.getMessage());
    }
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) throw new UsageException(flag + " needs a value");
    return args[i];
  }

  private static String usage() {
    return "usage: gitops invoke --in-process FUNCTION --event FILE [--endpoint URL] [--verbose]";
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
