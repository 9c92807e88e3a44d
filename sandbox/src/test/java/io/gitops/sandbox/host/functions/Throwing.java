package io.gitops.sandbox.host.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A function that always fails, recording each attempt (its request id) in the file named by ATTEMPTS_FILE. */
public final class Throwing implements RequestStreamHandler {
  @Override
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    in.readAllBytes();
    Files.writeString(Path.of(System.getenv("ATTEMPTS_FILE")), context.getAwsRequestId() + "\n",
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    throw new IllegalStateException("the downstream service is unavailable");
  }
}
