package io.gitops.testing;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The project's one {@code moto_server} launcher: a child process on a free port of 127.0.0.1 (never another
 * address), ready when {@code /moto-api/} answers. Tests share one per JVM ({@link #shared()}, reset between
 * tests by {@link MotoExtension}); the sandbox, the demo and the bench start their own ({@link #start()}) and
 * close it; {@code sandbox up} starts a detached one that outlives its JVM ({@link #start(int, boolean)}).
 * A server that is not closed (or detached) is stopped by a shutdown hook on JVM exit or Ctrl-C.
 */
public final class MotoServer implements AutoCloseable {
  /** How long moto may take to answer after its start; seconds under a loaded 2-core machine. */
  private static final long READY_SECONDS = 60;

  private static MotoServer shared;

  private final Process process;
  private final URI endpoint;
  private final File log;
  private final Thread hook;

  private MotoServer(Process process, URI endpoint, File log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
    this.hook = new Thread(this::destroy, "moto-server-stop");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Why moto could not start, in one line (where its log is). */
  public static final class StartFailure extends IllegalStateException {
    StartFailure(String message) {
      super(message);
    }
  }

  /** One server for the whole JVM, started on first use and stopped when the JVM exits. */
  public static synchronized MotoServer shared() {
    if (shared == null || !shared.process.isAlive()) shared = start();
    return shared;
  }

  /** Starts moto on a free port and waits until it answers; the caller closes it. */
  public static MotoServer start() {
    return start(freePort(), false);
  }

  /**
   * @param detached keep running after this JVM exits (the {@code sandbox up} command): no shutdown hook;
   *     stop it later with {@link #stop(long)}
   */
  public static MotoServer start(int port, boolean detached) {
    return start(port, detached, null);
  }

  /**
   * A moto_server whose every request without an account of its own lands in {@code account} (moto's
   * {@code MOTO_ACCOUNT_ID}): the sandbox run inside an environment's emulated account, not moto's default.
   */
  public static MotoServer startInAccount(String account) {
    if (!account.matches("[0-9]{12}")) throw new IllegalArgumentException("not an account id: " + account);
    return start(freePort(), false, account);
  }

  private static MotoServer start(int port, boolean detached, String account) {
    File log = new File(System.getProperty("java.io.tmpdir"), "gitops-moto-" + port + ".log");
    ProcessBuilder pb = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true)
        .redirectOutput(log);
    pb.environment().remove("AWS_PROFILE");
    if (account != null) pb.environment().put("MOTO_ACCOUNT_ID", account);
    else pb.environment().remove("MOTO_ACCOUNT_ID");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new StartFailure("cannot start moto_server (bin/gitops installs moto[server]): " + e.getMessage());
    }
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new StartFailure("moto_server exited at start; see " + log);
      if (isUp(endpoint)) {
        MotoServer server = new MotoServer(p, endpoint, log);
        if (detached) Runtime.getRuntime().removeShutdownHook(server.hook);
        return server;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    p.destroyForcibly();
    throw new StartFailure("moto_server did not answer within " + READY_SECONDS + " s; see " + log);
  }

  /** True when an emulator answers on {@code endpoint}. */
  public static boolean isUp(URI endpoint) {
    try {
      HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
      c.setConnectTimeout(300);
      c.setReadTimeout(2000);
      int code = c.getResponseCode();
      c.getInputStream().close();
      return code == 200;
    } catch (IOException e) {
      return false;
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  public long pid() {
    return process.pid();
  }

  public File log() {
    return log;
  }

  /** Clears every service's state ({@code POST /moto-api/reset}); returns the endpoint. */
  public URI reset() {
    try {
      HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/reset").toURL().openConnection();
      c.setRequestMethod("POST");
      c.setDoOutput(true);
      c.getOutputStream().close();
      int code = c.getResponseCode();
      c.getInputStream().readAllBytes();
      if (code != 200) throw new IllegalStateException("moto reset answered " + code);
    } catch (IOException e) {
      throw new IllegalStateException("moto reset failed: " + e.getMessage(), e);
    }
    return endpoint;
  }

  /** Stops the process (SIGTERM, then a kill: moto can take seconds to honour SIGTERM). */
  @Override
  public void close() {
    destroy();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException shuttingDownOrDetached) {
      // the hook is running, has run, or was never registered (detached)
    }
  }

  private void destroy() {
    if (!process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(3, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Stops a detached server started by an earlier JVM, by its pid; only a moto_server process. */
  public static boolean stop(long pid) {
    return ProcessHandle.of(pid)
        .filter(h -> h.info().commandLine().map(c -> c.contains("moto_server")).orElse(false))
        .map(h -> {
          h.destroy();
          try {
            h.onExit().get(3, TimeUnit.SECONDS);
          } catch (Exception e) {
            h.destroyForcibly();
          }
          return true;
        })
        .orElse(false);
  }

  /** A port of 127.0.0.1 free right now. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port on 127.0.0.1: " + e.getMessage());
    }
  }
}
