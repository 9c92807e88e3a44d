package io.gitops.sandbox.host.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.crac.Core;
import org.crac.Resource;

/**
 * Registers a CRaC resource at init, as the deployers' priming does, and records in ATTEMPTS_FILE when its
 * hooks run and when the handler runs; answers with the credential variables it sees.
 */
public final class Hooked implements RequestStreamHandler {
  private final Resource hook = new Resource() {
    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) throws IOException {
      record("beforeCheckpoint");
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) throws IOException {
      record("afterRestore");
    }
  };

  public Hooked() throws IOException {
    record("init");
    Core.getGlobalContext().register(hook);
  }

  private static void record(String what) throws IOException {
    Files.writeString(Path.of(System.getenv("ATTEMPTS_FILE")), what + "\n", StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  @Override
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    in.readAllBytes();
    record("invoke");
    String seen = "{\"accessKey\":" + (System.getenv("AWS_ACCESS_KEY_ID") != null)
        + ",\"containerUri\":\"" + System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") + "\""
        + ",\"token\":" + (System.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN") != null)
        + ",\"initType\":\"" + System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE") + "\"}";
    out.write(seen.getBytes(StandardCharsets.UTF_8));
  }
}
