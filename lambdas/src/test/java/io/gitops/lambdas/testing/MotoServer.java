package io.gitops.lambdas.testing;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * One {@code moto_server} process per JVM, on a free port of 127.0.0.1, killed when the JVM exits.
 * Use it through {@link MotoExtension}.
 */
public final class MotoServer {
  private static MotoServer instance;

  private final Process process;
  private final URI endpoint;

  private MotoServer(Process process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  /** Starts the server on first use, then returns the same one. */
  public static synchronized MotoServer get() {
    if (instance == null) {
      instance = start();
    }
    return instance;
  }

  public URI endpoint() {
    return endpoint;
  }

  /** Clears every service's state ({@code POST /moto-api/reset}). */
  public void reset() {
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
  }

  private static MotoServer start() {
    int port = freePort();
    File log = new File(System.getProperty("java.io.tmpdir"), "moto-" + port + ".log");
    Process p;
    try {
      p = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port))
          .redirectErrorStream(true)
          .redirectOutput(log)
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start moto_server (is moto[server] installed? bin/gitops"
          + " installs it): " + e.getMessage(), e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      p.destroy();
      try {
        if (!p.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException ignored) {
        p.destroyForcibly();
      }
    }));
    URI endpoint = URI.create("http://127.0.0.1:" + port);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (Instant.now().isBefore(deadline)) {
      if (!p.isAlive()) throw new IllegalStateException("moto_server exited early; see " + log);
      try {
        HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/moto-api/").toURL().openConnection();
        c.setConnectTimeout(200);
        c.setReadTimeout(2000);
        if (c.getResponseCode() == 200) {
          c.getInputStream().readAllBytes();
          return new MotoServer(p, endpoint);
        }
      } catch (IOException notYet) {
        // keep polling
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("moto_server did not become ready within 30 s; see " + log);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
