package io.gitops.bench;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The bench's own moto_server on a free port of 127.0.0.1, stopped explicitly (moto can take seconds to
 * honour SIGTERM, so a kill follows), and by a shutdown hook as a backstop. Its pid is printed for bin/gitops
 * bench, which checks that it is gone.
 */
final class Moto {
  private final Process process;
  private final URI endpoint;

  private Moto(Process process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  URI endpoint() {
    return endpoint;
  }

  static Moto start() throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    File log = File.createTempFile("bench-moto-", ".log");
    Process p = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(log).start();
    Moto moto = new Moto(p, URI.create("http://127.0.0.1:" + port));
    Runtime.getRuntime().addShutdownHook(new Thread(moto::stop));
    System.err.println("bench: moto_server pid " + p.pid() + " on 127.0.0.1:" + port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new IllegalStateException("moto_server exited early; see " + log);
      try {
        HttpURLConnection c = (HttpURLConnection) moto.endpoint.resolve("/moto-api/").toURL().openConnection();
        c.setConnectTimeout(200);
        c.setReadTimeout(2000);
        if (c.getResponseCode() == 200) return moto;
      } catch (IOException notYet) {
        // polling
      }
      Thread.sleep(100);
    }
    moto.stop();
    throw new IllegalStateException("moto_server not ready in 60 s; see " + log);
  }

  void stop() {
    if (!process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(2, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
