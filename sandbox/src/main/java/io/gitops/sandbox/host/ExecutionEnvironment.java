package io.gitops.sandbox.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One execution environment: a JVM running the official runtime interface client
 * ({@code com.amazonaws.services.lambda.runtime.api.client.AWSLambda}) with the function's handler, in a
 * task root holding the deployment package, against its own {@link RuntimeApi}. It stays warm between
 * invocations, as Lambda keeps an environment, until a timeout or a crash ends it.
 */
final class ExecutionEnvironment implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The result of one invocation attempt. */
  record Attempt(boolean ok, byte[] payload, String errorType, String errorMessage, boolean environmentLost) {
    static Attempt success(byte[] payload) {
      return new Attempt(true, payload, null, null, false);
    }

    static Attempt failure(String type, String message, byte[] payload, boolean lost) {
      return new Attempt(false, payload, type, message, lost);
    }
  }

  final FunctionSpec spec;
  final String id;
  private final HostOptions options;
  private final RuntimeApi api;
  private final Process process;
  private final RuntimeApi.Credentials credentials;
  private volatile boolean dead;

  private ExecutionEnvironment(FunctionSpec spec, HostOptions options, String id, RuntimeApi api, Process process,
      RuntimeApi.Credentials credentials) {
    this.spec = spec;
    this.options = options;
    this.id = id;
    this.api = api;
    this.process = process;
    this.credentials = credentials;
  }

  /**
   * Starts the JVM and waits for init: until the runtime asks for its first invocation, or, under SnapStart,
   * until {@code beforeCheckpoint} has run and the runtime asks to be restored. Fails with one line naming
   * the cause (the runtime's init error, e.g. a handler class that does not exist, or a missing variable).
   */
  static ExecutionEnvironment start(FunctionSpec spec, HostOptions options, CredentialRegistry registry) {
    String id = UUID.randomUUID().toString().substring(0, 8);
    RuntimeApi.Credentials creds = new RuntimeApi.Credentials("ASIA" + hex(8).toUpperCase(), hex(20), hex(32));
    registry.issue(creds);
    String token = spec.snapStart() ? hex(24) : null;
    RuntimeApi api;
    try {
      api = new RuntimeApi(token, spec.snapStart() ? creds : null);
    } catch (IOException e) {
      throw new HostException(spec.name() + ": cannot start the runtime API on 127.0.0.1: " + e.getMessage());
    }
    Map<String, String> env = environment(spec, options, api, creds, token);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The function's memory is the environment's memory: the JVM sizes its heap from it.
    cmd.add("-XX:MaxRAM=" + spec.memoryMb() + "m");
    cmd.add("-XX:MaxRAMPercentage=" + options.heapPercent());
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Xshare:auto");
    // org.crac (the function's CRaC API) delegates to the runtime client's CRaC context, which calls
    // beforeCheckpoint and afterRestore around /restore/next when AWS_LAMBDA_INITIALIZATION_TYPE=snap-start.
    cmd.add("-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac");
    RuntimeClientLibrary.jvmOption(options.runtimeClasspath()).ifPresent(cmd::add);
    options.extraJvmOptions().forEach(cmd::add);
    cmd.add("-cp");
    cmd.add(String.join(java.io.File.pathSeparator, options.runtimeClasspath().stream().map(Path::toString).toList()));
    cmd.add("com.amazonaws.services.lambda.runtime.api.client.AWSLambda");
    cmd.add(spec.handler());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(options.taskRoot(spec).toFile()).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(options.functionLog().toFile()));
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      api.close();
      throw new HostException(spec.name() + ": cannot start the function's JVM: " + e.getMessage());
    }
    ExecutionEnvironment ee = new ExecutionEnvironment(spec, options, id, api, p, creds);
    p.onExit().thenRun(() -> {
      ee.dead = true;
      api.failPending("the execution environment exited with code " + p.exitValue());
    });
    ee.awaitInit(options.initTimeout(spec));
    return ee;
  }

  private void awaitInit(Duration limit) {
    CompletableFuture<Object> any = CompletableFuture.anyOf(api.initDone, api.initError,
        process.onExit().thenApply(x -> "exit"));
    Object first;
    try {
      first = any.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      close();
      throw new HostException(spec.name() + ": init did not finish within " + limit.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new HostException(spec.name() + ": interrupted during init");
    } catch (ExecutionException e) {
      close();
      throw new HostException(spec.name() + ": init failed: " + e.getCause());
    }
    if (api.initError.isDone() || "exit".equals(first)) {
      String body = api.initError.getNow(null);
      close();
      throw new HostException(spec.name() + ": init failed (handler " + spec.handler() + "): "
          + (body == null ? "the runtime exited with code " + exitCode() + " before asking for an invocation"
              : ErrorBody.describe(body)));
    }
  }

  private int exitCode() {
    try {
      return process.waitFor(2, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The environment Lambda sets (developer guide, "Defined runtime environment variables"), then the template's. */
  static Map<String, String> environment(FunctionSpec spec, HostOptions options, RuntimeApi api,
      RuntimeApi.Credentials creds, String token) {
    Map<String, String> env = new LinkedHashMap<>(spec.environment());
    env.put("_HANDLER", spec.handler());
    env.put("AWS_EXECUTION_ENV", "AWS_Lambda_" + spec.runtime());
    env.put("AWS_LAMBDA_FUNCTION_NAME", spec.physicalName());
    env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(spec.memoryMb()));
    env.put("AWS_LAMBDA_FUNCTION_VERSION", spec.executedVersion());
    env.put("AWS_LAMBDA_INITIALIZATION_TYPE", spec.snapStart() ? "snap-start" : "on-demand");
    env.put("AWS_LAMBDA_LOG_GROUP_NAME", spec.logGroupName());
    env.put("AWS_LAMBDA_LOG_STREAM_NAME", java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString()
        .replace('-', '/') + "/[" + spec.executedVersion() + "]" + hex(16));
    env.put("AWS_LAMBDA_RUNTIME_API", api.address());
    env.put("AWS_REGION", options.region());
    env.put("AWS_DEFAULT_REGION", options.region());
    env.put("LAMBDA_TASK_ROOT", options.taskRoot(spec).toString());
    env.put("LAMBDA_RUNTIME_DIR", options.taskRoot(spec).toString());
    env.put("TZ", ":UTC");
    env.put("LANG", "en_US.UTF-8");
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    if (spec.snapStart()) {
      // SnapStart: no keys in the environment, only the container credentials endpoint and its token.
      env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", api.credentialsUri());
      env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN", token);
    } else {
      env.put("AWS_ACCESS_KEY_ID", creds.accessKeyId());
      env.put("AWS_SECRET_ACCESS_KEY", creds.secretAccessKey());
      env.put("AWS_SESSION_TOKEN", creds.sessionToken());
    }
    // Not Lambda's: the emulator, through the host's checking proxy.
    options.endpoint().ifPresent(e -> env.put("AWS_ENDPOINT_URL", e.toString()));
    return env;
  }

  /** Runs one invocation; past the timeout the JVM is killed and the environment is lost. */
  Attempt invoke(String requestId, byte[] payload) {
    long deadline = System.currentTimeMillis() + spec.timeout().toMillis();
    CompletableFuture<RuntimeApi.Answer> f = api.submit(new RuntimeApi.Invocation(requestId, payload, deadline,
        spec.arn(options.region(), HostOptions.ACCOUNT), "Root=1-" + hex(4) + "-" + hex(12)
        + ";Parent=" + hex(8) + ";Sampled=0"));
    try {
      RuntimeApi.Answer a = f.get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
      if (!a.error()) return Attempt.success(a.body());
      String body = new String(a.body(), StandardCharsets.UTF_8);
      return Attempt.failure(a.errorType() != null ? a.errorType() : ErrorBody.type(body), ErrorBody.message(body),
          a.body(), false);
    } catch (TimeoutException e) {
      close();
      String msg = String.format("Task timed out after %.2f seconds", spec.timeout().toMillis() / 1000.0);
      return Attempt.failure("Sandbox.Timedout", msg, ("{\"errorMessage\":\"" + msg + "\",\"errorType\":"
          + "\"Sandbox.Timedout\"}").getBytes(StandardCharsets.UTF_8), true);
    } catch (ExecutionException e) {
      close();
      String msg = "RequestId: " + requestId + " Error: Runtime exited with error: exit status " + exitCode();
      return Attempt.failure("Runtime.ExitError", msg, ("{\"errorMessage\":\"" + msg + "\",\"errorType\":"
          + "\"Runtime.ExitError\"}").getBytes(StandardCharsets.UTF_8), true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      return Attempt.failure("Sandbox.Interrupted", "interrupted", new byte[0], true);
    }
  }

  boolean alive() {
    return !dead && process.isAlive();
  }

  int credentialFetches() {
    return api.credentialFetches.get();
  }

  int rejectedCredentialFetches() {
    return api.rejectedCredentialFetches.get();
  }

  long pid() {
    return process.pid();
  }

  RuntimeApi.Credentials credentials() {
    return credentials;
  }

  /** Ends the JVM as a shutdown would (SIGTERM first), so that it can finish writing, e.g. a class-data archive. */
  void shutdown() {
    dead = true;
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    api.close();
  }

  @Override
  public void close() {
    dead = true;
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    api.close();
  }

  static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
