package io.gitops.sandbox;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/** One emulator per test JVM, reset before each use. */
final class Moto {
  private static MotoServer server;

  private Moto() {}

  static synchronized URI fresh() {
    if (server == null) server = MotoServer.start();
    try {
      HttpURLConnection c = (HttpURLConnection) server.endpoint().resolve("/moto-api/reset").toURL().openConnection();
      c.setRequestMethod("POST");
      c.setDoOutput(true);
      c.getOutputStream().close();
      if (c.getResponseCode() != 200) throw new IllegalStateException("moto reset answered " + c.getResponseCode());
      c.getInputStream().close();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return server.endpoint();
  }
}
