package io.gitops.lambdas.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/gitops invoke guard --event FILE [--endpoint URL]}: one JSON outcome, exit codes 0/1/2. */
@ExtendWith(MotoExtension.class)
class InvokeGuardTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private Map<String, String> env;
  private String endpoint;

  @BeforeEach
  void provision(MotoServer moto) {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    env = new HashMap<>(fx.env());
    env.remove("AWS_ENDPOINT_URL");
    endpoint = moto.endpoint().toString();
  }

  private int run(String... args) {
    return Invoke.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static String fixture(String name) {
    return Path.of("src/test/resources/events/" + name + ".json").toAbsolutePath().toString();
  }

  private Map<String, software.amazon.awssdk.protocols.jsoncore.JsonNode> lastOutcome() {
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    return Json.object(Json.parse(lines.get(lines.size() - 1)), "$");
  }

  @Test
  void aFailedTaskOfTheRolloutIsCountedAndPrintedAsOneJsonOutcome() {
    assertThat(run("image-deployer", "--event", fixture("ecr-push-bff"), "--endpoint", endpoint)).isZero();

    int code = run("guard", "--event", fixture("guard/task-stopped-essential-exit"), "--endpoint", endpoint);

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8).lines()).hasSize(2);
    var o = lastOutcome();
    assertThat(o.get("action").asString()).isEqualTo("COUNTED");
    assertThat(o.get("reason").asString()).startsWith("ESSENTIAL_CONTAINER_EXITED: 1 of 2 failures");
    assertThat(o.get("failures").asNumber()).isEqualTo("1");
  }

  @Test
  void anEventForAnotherClusterIsIgnored() {
    int code = run("guard", "--event", fixture("guard/task-stopped-other-cluster"), "--endpoint", endpoint);

    assertThat(code).isZero();
    assertThat(lastOutcome().get("action").asString()).isEqualTo("IGNORED");
  }

  @Test
  void aMalformedEventIsAOneLineErrorWithExitTwo(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, Files.readString(Path.of(fixture("guard/deployment-completed")))
        .replace("SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_EXPLODED"));

    int code = run("guard", "--event", bad.toString(), "--endpoint", endpoint);

    assertThat(code).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8).trim())
        .isEqualTo("gitops invoke: $.detail.eventName: not a deployment state: \"SERVICE_DEPLOYMENT_EXPLODED\"");
  }

  @Test
  void aBadGuardSettingIsAOneLineErrorWithExitTwo() {
    env.put("FAILURE_THRESHOLD", "two");

    int code = run("guard", "--event", fixture("guard/task-running"), "--endpoint", endpoint);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8).trim())
        .isEqualTo("gitops invoke: bad configuration: FAILURE_THRESHOLD: expected a positive integer, got two");
  }
}
