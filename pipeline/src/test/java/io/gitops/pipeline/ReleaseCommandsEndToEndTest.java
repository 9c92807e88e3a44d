package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.cli.OperatorCli;
import io.gitops.sandbox.cli.Views;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's operator path on the provisioned dev stage (the synthesized templates, the rules' patterns, the
 * functions in the local Lambda host), as a user runs it: push 1.0.1 and 1.0.2 (both HEALTHY), {@code release freeze
 * dev bff}, push 1.0.3 (SKIPPED (FROZEN)), {@code release rollback dev bff}, {@code dora dev}. The scenario runs once;
 * each test checks one outcome of it.
 */
class ReleaseCommandsEndToEndTest {
  private static Path dir;
  private static Sandbox sandbox;
  private static ServiceTarget bff;
  private static Sandbox.Push v101;
  private static Sandbox.Push v102;
  private static List<Sandbox.Delivery> frozenPush;
  private static int rollbackExit;
  private static String rollbackOut;
  private static List<JsonNode> notifications;
  private static String doraOut;

  @BeforeAll
  static void scenario() throws Exception {
    dir = Files.createTempDirectory("release-e2e");
    SandboxState state = SandboxState.provision(RealStage.assembly(), MotoServer.shared().reset(), 0);
    state.save(dir.resolve("state.json"));
    sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());
    bff = sandbox.service("bff");
    v101 = sandbox.push("bff", "1.0.1", false);
    sandbox.deliver(v101.event());
    v102 = sandbox.push("bff", "1.0.2", false);
    sandbox.deliver(v102.event());
    sandbox.drainNotifications();

    assertThat(cli("release", "freeze", "dev", "bff", "--reason", "incident 42").exit()).isZero();
    frozenPush = sandbox.deliver(sandbox.push("bff", "1.0.3", false).event());
    // The rollback acts on this test's sandbox (its functions' JVMs already warm), not on a second one.
    Run rollback = cli(new OperatorCli(dir.resolve("none"), out(), Clock.systemUTC(), env -> new OperatorCli.Target(env,
        sandbox.deployersConfig(), sandbox.emulator().clients(), sandbox.services(), java.util.Optional.of(sandbox), false)),
        "release", "rollback", "dev", "bff");
    rollbackExit = rollback.exit();
    rollbackOut = rollback.out() + rollback.err();
    notifications = sandbox.drainNotifications();
    doraOut = cli("dora", "dev").out();
  }

  @AfterAll
  static void close() {
    if (sandbox != null) sandbox.close();
  }

  private record Run(int exit, String out, String err) {}

  private static final ByteArrayOutputStream OUT = new ByteArrayOutputStream();

  private static PrintStream out() {
    OUT.reset();
    return new PrintStream(OUT, true, StandardCharsets.UTF_8);
  }

  /** Through the CLI's own path: the sandbox found by its state file. */
  private static Run cli(String... args) {
    return cli(new OperatorCli(dir, out(), Clock.systemUTC(), env -> {
      throw new AssertionError("the sandbox runs dev: no AWS account is asked");
    }), args);
  }

  private static Run cli(OperatorCli cli, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = OperatorCli.run(args, cli, new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, OUT.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void thePushAfterAFreezeEndsSkippedFrozenAndChangesNothing() {
    assertThat(Views.fold(frozenPush)).singleElement().asString()
        .contains("image-deployer: SKIPPED (FROZEN: " + bff.service() + " is frozen since").contains("incident 42");
  }

  @Test
  void rollbackRestoresThePreviousHealthyRelease() {
    assertThat(rollbackExit).as(rollbackOut).isZero();
    assertThat(Views.release(sandbox, bff)).endsWith("@" + v101.digest());
    String running = sandbox.view(new String[] {bff.cluster(), bff.service()}).taskDefinitionArn();
    assertThat(Views.image(sandbox, running, bff)).endsWith("@" + v101.digest());
  }

  @Test
  void rollbackIsRecordedInTheLedger() {
    assertThat(Views.ledger(sandbox).find(bff.service(), v102.digest()).orElseThrow().status())
        .isEqualTo(DeploymentStatus.ROLLED_BACK);
    assertThat(Views.ledger(sandbox).head(bff.service()).orElseThrow().lastHealthyDigest()).isEqualTo(v101.digest());
  }

  @Test
  void rollbackNotifiesTheAlarmTopic() {
    assertThat(notifications).anyMatch(n -> n.path("Message").asText().contains("\"event\":\"MANUAL_ROLLBACK\"")
        && n.path("Message").asText().contains("\"restoredDigest\":\"" + v101.digest() + "\""));
  }

  @Test
  void doraPrintsTheFiveMeasuresPerServiceAndInTotal() {
    assertThat(doraOut).contains("DEPLOYMENT FREQUENCY", "CHANGE LEAD TIME", "CHANGE FAIL RATE",
        "FAILED DEPLOY RECOVERY", "DEPLOYMENT REWORK RATE");
    assertThat(doraOut.lines().filter(l -> l.startsWith("bff ") || l.startsWith("total ")))
        .hasSize(2).allMatch(l -> l.contains("(3)")); // 2 rollouts + the operator's rollback; 1.0.3 never went out
  }

  @Test
  void aMalformedDigestIsOneLineAndExitTwo() {
    Run r = cli("release", "rollback", "dev", "bff", "--to", "sha256:nope");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().lines()).singleElement().asString().contains("malformed digest");
  }
}
