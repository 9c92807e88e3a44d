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

/**
 * Sleeps 300 ms and echoes the event, recording "start pid millis" and "end pid millis" lines in ATTEMPTS_FILE,
 * and the Lambda variables it sees, so that a test can check overlap, reuse and the environment.
 */
public final class Sleeping implements RequestStreamHandler {
  @Override
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    byte[] event = in.readAllBytes();
    Path f = Path.of(System.getenv("ATTEMPTS_FILE"));
    long pid = ProcessHandle.current().pid();
    Files.writeString(f, "start " + pid + " " + System.currentTimeMillis() + "\n", StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    try {
      Thread.sleep(300);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.writeString(f, "end " + pid + " " + System.currentTimeMillis() + "\n", StandardOpenOption.APPEND);
    String seen = "{\"event\":" + new String(event, StandardCharsets.UTF_8)
        + ",\"functionName\":\"" + context.getFunctionName() + "\""
        + ",\"memory\":" + context.getMemoryLimitInMB()
        + ",\"arn\":\"" + context.getInvokedFunctionArn() + "\""
        + ",\"initType\":\"" + System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE") + "\""
        + ",\"handlerVar\":\"" + System.getenv("_HANDLER") + "\""
        + ",\"tz\":\"" + System.getenv("TZ") + "\""
        + ",\"maxHeapMb\":" + Runtime.getRuntime().maxMemory() / (1024 * 1024) + "}";
    out.write(seen.getBytes(StandardCharsets.UTF_8));
  }
}
