package io.gitops.sandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.testing.MotoServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code bin/gitops invoke} (the deployers' local runner, as the sandbox's users call it): a
 * fresh JVM per case, as the command runs; one line on stderr, a non-zero exit, never a stack trace.
 */
class InvokeBadInputTest {
  @TempDir Path dir;

  private record Run(int code, String err) {}

  private Run invoke(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.gitops.lambdas.cli.Invoke"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.equals("SERVICE_MAP") || k.equals("LEDGER_TABLE"));
    pb.environment().putAll(env);
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
        .lines().filter(l -> !l.startsWith("SLF4J")).reduce("", (a, b) -> a + b + "\n");
    return new Run(p.waitFor(), err);
  }

  private static Map<String, String> env(int port) {
    return Map.of("AWS_REGION", "us-east-1", "LEDGER_TABLE", "ledger", "ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:a",
        "SERVICE_MAP", "{\"bff\":{\"cluster\":\"c\",\"service\":\"bff\",\"container\":\"bff\",\"releaseParameter\":\"/p\","
            + "\"repositoryUri\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/bff\"}}",
        "AWS_ENDPOINT_URL", "http://127.0.0.1:" + port);
  }

  private static void oneLine(Run r) {
    assertThat(r.code()).isNotZero();
    assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).doesNotContain("\tat ");
  }

  @Test
  void anUnknownFunction() throws Exception {
    Run r = invoke(Map.of(), "nope", "--event", "x.json");
    oneLine(r);
    assertThat(r.err()).contains("unknown function 'nope'");
  }

  @Test
  void theEmulatorNotRunning() throws Exception {
    Path event = dir.resolve("e.json");
    Files.copy(Path.of("../lambdas/src/test/resources/events/ecr-push-bff.json"), event);
    Run r = invoke(env(MotoServer.freePort()), "image-deployer", "--event", event.toString());
    oneLine(r);
    assertThat(r.err()).contains("cannot reach endpoint");
  }

  @Test
  void aMalformedEvent() throws Exception {
    Path event = dir.resolve("e.json");
    Files.writeString(event, "{\"source\":\"aws.ecr\",\"detail\":");
    Run r = invoke(env(MotoServer.shared().reset().getPort()), "image-deployer", "--event", event.toString());
    oneLine(r);
  }

  @Test
  void aMissingEventFile() throws Exception {
    Run r = invoke(Map.of(), "image-deployer", "--event", dir.resolve("missing.json") + File.separator);
    oneLine(r);
    assertThat(r.err()).contains("cannot read event file");
  }
}
