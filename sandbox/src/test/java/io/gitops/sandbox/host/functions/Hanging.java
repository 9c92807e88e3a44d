package io.gitops.sandbox.host.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A function that never answers: it records its attempt (request id and pid), then sleeps. */
public final class Hanging implements RequestStreamHandler {
  @Override
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    in.readAllBytes();
    Files.writeString(Path.of(System.getenv("ATTEMPTS_FILE")),
        context.getAwsRequestId() + " " + ProcessHandle.current().pid() + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    try {
      Thread.sleep(600_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
