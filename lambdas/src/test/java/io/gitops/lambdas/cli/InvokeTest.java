package io.gitops.lambdas.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(MotoExtension.class)
class InvokeTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) {
    return Invoke.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static String fixturePath() {
    return Path.of("src/test/resources/events/ecr-push-bff.json").toAbsolutePath().toString();
  }

  @Test
  void printsOneJsonOutcomeAndExitsZeroWhenHandled(MotoServer moto) {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    Map<String, String> env = new HashMap<>(fx.env());
    env.remove("AWS_ENDPOINT_URL");

    int code = run(env, "image-deployer", "--event", fixturePath(), "--endpoint", moto.endpoint().toString());

    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(code).isZero();
    assertThat(lines).hasSize(1);
    var outcome = Json.object(Json.parse(lines.get(0)), "$");
    assertThat(outcome.keySet()).containsExactly("action", "reason", "revision");
    assertThat(outcome.get("action").asString()).isEqualTo("DEPLOYED");
    assertThat(outcome.get("revision").asString()).contains("task-definition/bff:2");
  }

  @Test
  void exitsNonZeroWhenTheEventWouldBeRetried(MotoServer moto) {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    try (FaultProxy allFail = new FaultProxy(moto.endpoint(), 1.0, 1, List.of(FaultProxy.Fault.SERVER_ERROR))) {
      Map<String, String> env = new HashMap<>(fx.env(allFail.endpoint()));
      env.put("SDK_MAX_ATTEMPTS", "2");
      env.put("SDK_BASE_DELAY_MS", "5");

      int code = run(env, "image-deployer", "--event", fixturePath());

      assertThat(code).isEqualTo(1);
      assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
      assertThat(stderr()).contains("gitops invoke: would be retried: TRANSIENT");
    }
  }

  @Test
  void anUnknownFunctionIsAOneLineError() {
    int code = run(Map.of(), "nope", "--event", fixturePath());

    assertThat(code).isEqualTo(2);
    assertThat(stderr().trim()).isEqualTo("gitops invoke: unknown function 'nope' (known: guard, image-deployer)");
  }

  @Test
  void aMissingEventFileIsAOneLineError() {
    int code = run(Map.of(), "image-deployer", "--event", "/nonexistent/event.json");

    assertThat(code).isEqualTo(2);
    assertThat(stderr().lines()).hasSize(1).first().asString().startsWith("gitops invoke: cannot read event file");
  }

  @Test
  void aMalformedEventFileIsAOneLineError(@TempDir Path dir, MotoServer moto) throws Exception {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"source\": \"aws.ecr\", ");

    int code = run(fx.env(), "image-deployer", "--event", bad.toString());

    assertThat(code).isEqualTo(2);
    assertThat(stderr().lines()).hasSize(1);
    assertThat(stderr().trim()).startsWith("gitops invoke: malformed JSON: Unexpected end-of-input");
  }

  @Test
  void anUnreachableEndpointIsAOneLineError(MotoServer moto) throws Exception {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }

    int code = run(fx.env(), "image-deployer", "--event", fixturePath(), "--endpoint", "http://127.0.0.1:" + closedPort);

    assertThat(code).isEqualTo(2);
    assertThat(stderr().trim()).startsWith("gitops invoke: cannot reach endpoint http://127.0.0.1:" + closedPort);
  }

  @Test
  void missingConfigurationIsAOneLineError() {
    int code = run(Map.of(), "image-deployer", "--event", fixturePath());

    assertThat(code).isEqualTo(2);
    assertThat(stderr().trim()).startsWith("gitops invoke: bad configuration: AWS_REGION: missing");
  }
}
