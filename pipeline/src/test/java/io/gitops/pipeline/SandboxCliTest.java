package io.gitops.pipeline;

import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.cli.SandboxCli;
import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to {@code sandbox}: one line on stderr, a non-zero exit, never a stack trace. */
class SandboxCliTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return SandboxCli.run(args, dir.resolve(".sandbox"), RealStage.cdkOut(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String errLine() {
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e.lines().count()).as(e).isEqualTo(1);
    assertThat(e).doesNotContain("\tat ").doesNotContain("Exception:");
    return e.strip();
  }

  private void upOnFreshEmulator() {
    URI endpoint = MotoServer.shared().reset();
    assertThat(run("up", "--endpoint", endpoint.toString())).as(err.toString(StandardCharsets.UTF_8)).isZero();
    out.reset();
  }

  @Test
  void pushWithoutASandboxSaysItIsNotUp() {
    assertThat(run("push", "bff", "1.0.1")).isNotZero();
    assertThat(errLine()).contains("not up");
  }

  @Test
  void pushOfAnUnknownServiceNamesTheKnownOnes() {
    upOnFreshEmulator();
    assertThat(run("push", "nope", "1.0.1")).isNotZero();
    assertThat(errLine()).contains("unknown service 'nope'").contains("bff");
  }

  @Test
  void pushOfAMalformedTagIsRejectedBeforeAnyCall() {
    upOnFreshEmulator();
    assertThat(run("push", "bff", "bad tag!")).isNotZero();
    assertThat(errLine()).contains("malformed tag");
  }

  @Test
  void anErrorRateThatIsNotAShareIsRejectedBeforeAnyCall() {
    assertThat(run("push", "bff", "1.0.1", "--error-rate", "lots")).isEqualTo(2);
    assertThat(errLine()).contains("--error-rate 'lots' is not a number between 0 and 1");
  }

  @Test
  void aLatencyThatIsNotAWholeNumberIsRejectedBeforeAnyCall() {
    assertThat(run("push", "bff", "1.0.1", "--latency-ms", "slow")).isEqualTo(2);
    assertThat(errLine()).contains("--latency-ms 'slow' is not a whole number of milliseconds");
  }

  @Test
  void aLatencyWithAnotherKnobIsRejectedBeforeAnyCall() {
    assertThat(run("push", "bff", "1.0.1", "--latency-ms", "600", "--error-rate", "0.2")).isEqualTo(2);
    assertThat(errLine()).contains("--broken, --error-rate and --latency-ms exclude each other");
  }

  @Test
  void pushWhenTheEmulatorIsGoneSaysSo() throws Exception {
    upOnFreshEmulator();
    SandboxState s = SandboxState.load(dir.resolve(".sandbox/state.json"));
    new SandboxState(URI.create("http://127.0.0.1:" + MotoServer.freePort()), 0, s.stage(), s.environments(), s.rules(),
        s.notificationQueueUrl(), s.brokenDigests(), s.provisioned(), s.functions()).save(dir.resolve(".sandbox/state.json"));
    assertThat(run("push", "bff", "1.0.1")).isNotZero();
    assertThat(errLine()).contains("no emulator answers");
  }

  @Test
  void upRefusesAnEndpointOtherThanLocalhost() {
    assertThat(run("up", "--endpoint", "http://10.0.0.1:5000")).isNotZero();
    assertThat(errLine()).contains("127.0.0.1");
  }

  @Test
  void pushThenStatusShowTheRollout() {
    upOnFreshEmulator();
    assertThat(run("push", "bff", "1.0.1")).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("image-deployer: DEPLOYED");
    out.reset();
    assertThat(run("status")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("/gitops/dev/release/bff = 123456789012.dkr.ecr")
        .contains("1.0.1");
    assertThat(run("down")).isZero();
  }
}
