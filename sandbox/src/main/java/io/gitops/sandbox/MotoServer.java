package io.gitops.sandbox;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code moto_server} child process on a free port of 127.0.0.1 (never another address). Stopped by
 * {@link #close()}, and by a shutdown hook on JVM exit or Ctrl-C if nobody closed it.
 */
public final class MotoServer implements AutoCloseable {
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

  /** Starts moto on a free port and waits until it answers (at most 30 s). */
  public static MotoServer start() {
    return start(freePort(), false);
  }

  /**
   * @param detached keep running after this JVM exits (the {@code sandbox up} command); no shutdown hook
   */
  public static MotoServer start(int port, boolean detached) {
    File log = new File(System.getProperty("java.io.tmpdir"), "gitops-moto-" + port + ".log");
    ProcessBuilder pb = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true)
        .redirectOutput(log);
    Map<String, String> env = pb.environment();
    env.remove("AWS_PROFILE");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new SandboxException("cannot start moto_server (bin/gitops installs moto[server]): " + e.getMessage());
    }
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new SandboxException("moto_server exited at start; see " + log);
      if (isUp(endpoint)) {
        if (detached) return new MotoServer(p, endpoint, log).detach();
        return new MotoServer(p, endpoint, log);
      }
      sleep(100);
    }
    p.destroyForcibly();
    throw new SandboxException("moto_server did not answer within 30 s; see " + log);
  }

  private MotoServer detach() {
    Runtime.getRuntime().removeShutdownHook(hook);
    return this;
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

  @Override
  public void close() {
    destroy();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  private void destroy() {
    if (!process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(3, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
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

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new SandboxException("no free port on 127.0.0.1: " + e.getMessage());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted");
    }
  }
}
