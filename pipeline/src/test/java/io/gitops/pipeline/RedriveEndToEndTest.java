package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Issue 20, item 4, on the provisioned dev stage: two pushes of bff arrive during a DynamoDB outage, so the image
 * deployer fails every attempt and the local Lambda host parks both events in its on-failure queue (Lambda's
 * destination record, with the original event). The outage ends; {@code release redrive dev --dry-run} lists
 * them and changes nothing; {@code release redrive dev} delivers them in their original order through the image
 * deployer, and the rollouts they start end HEALTHY; a second redrive finds nothing.
 */
class RedriveEndToEndTest {
  private static Path dir;
  private static Sandbox sandbox;
  private static ServiceTarget bff;
  private static Sandbox.Push v101;
  private static Sandbox.Push v102;
  private static List<Sandbox.Delivery> parkedDeliveries;
  private static Run dryRun;
  private static int queuedAfterDryRun;
  private static Run redrive;
  private static Run again;

  @BeforeAll
  static void scenario() throws Exception {
    dir = Files.createTempDirectory("redrive-e2e");
    SandboxState state = SandboxState.provision(RealStage.assembly(), MotoServer.shared().reset(), 0);
    state.save(dir.resolve("state.json"));
    sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());
    bff = sandbox.service("bff");
    // A DynamoDB outage, as the functions see it: the connection drops on every call (a transient failure, so the
    // function fails and Lambda retries it, then parks the event), while the operator's own calls still work.
    java.util.concurrent.atomic.AtomicBoolean outage = new java.util.concurrent.atomic.AtomicBoolean(true);
    sandbox.host().proxy().orElseThrow().addExchange(new io.gitops.sandbox.host.AwsProxy.Exchange() {
      @Override
      public void beforeForward(String service, String operation, byte[] requestBody) {
        if (outage.get() && "dynamodb".equals(service)) throw new IllegalStateException("injected DynamoDB outage");
      }
    });

    v101 = sandbox.push("bff", "1.0.1", false);
    parkedDeliveries = new java.util.ArrayList<>(sandbox.deliver(v101.event()));
    v102 = sandbox.push("bff", "1.0.2", false);
    parkedDeliveries.addAll(sandbox.deliver(v102.event()));
    outage.set(false);

    dryRun = cli("release", "redrive", "dev", "--dry-run");
    queuedAfterDryRun = parked();
    redrive = cli("release", "redrive", "dev");
    again = cli("release", "redrive", "dev");
  }

  @AfterAll
  static void close() {
    if (sandbox != null) sandbox.close();
  }

  /** Messages in every on-failure queue of the sandbox's functions. */
  private static int parked() {
    var sqs = sandbox.emulator().sqs();
    int n = 0;
    for (String fn : sandbox.host().functions()) {
      var arn = sandbox.host().spec(fn).onFailureQueueArn();
      if (arn.isEmpty()) continue;
      String url = sqs.getQueueUrl(b -> b.queueName(arn.get().substring(arn.get().lastIndexOf(':') + 1))).queueUrl();
      n += sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNamesWithStrings(
          "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")).attributesAsStrings().values()
          .stream().mapToInt(Integer::parseInt).sum();
    }
    return n;
  }

  private record Run(int exit, String out, String err) {}

  private static Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // The CLI's own path to the sandbox (its state file), sharing this test's warm functions.
    OperatorCli cli = new OperatorCli(dir.resolve("none"), new PrintStream(out, true, StandardCharsets.UTF_8),
        Clock.systemUTC(), env -> new OperatorCli.Target(env, sandbox.deployersConfig(),
            sandbox.emulator().clients(), sandbox.services(), java.util.Optional.of(sandbox), false));
    int exit = OperatorCli.run(args, cli, new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void bothPushesWereParkedByTheHostAfterEveryAttemptFailed() {
    assertThat(parkedDeliveries).filteredOn(d -> "image-deployer".equals(d.function())).hasSize(2)
        .allSatisfy(d -> assertThat(d.error()).contains("recorded in the on-failure queue"));
  }

  @Test
  void aDryRunListsTheParkedEventsAndLeavesThemParked() {
    assertThat(dryRun.exit()).as(dryRun.err()).isZero();
    assertThat(dryRun.out()).contains("dev: 2 parked event(s)").contains("dry run")
        .contains("image-deployer ECR Image Action " + v101.event().path("id").asText())
        .contains("would be re-delivered");
    assertThat(queuedAfterDryRun).isEqualTo(2);
  }

  @Test
  void theRedriveDeliversThemInTheirOriginalOrderAndTheRolloutsEndHealthy() {
    assertThat(redrive.exit()).as(redrive.out() + redrive.err()).isZero();
    String first = "1. image-deployer ECR Image Action " + v101.event().path("id").asText();
    String second = "2. image-deployer ECR Image Action " + v102.event().path("id").asText();
    assertThat(redrive.out()).contains(first).contains(second).contains("Lambda's on-failure record (RetriesExhausted)")
        .contains("deleted from the queue").contains("dev: 2 re-delivered, 0 still parked");
    assertThat(redrive.out().indexOf(first)).isLessThan(redrive.out().indexOf(second));
    String running = sandbox.view(new String[] {bff.cluster(), bff.service()}).taskDefinitionArn();
    assertThat(Views.image(sandbox, running, bff)).endsWith("@" + v102.digest());
    assertThat(Views.release(sandbox, bff)).endsWith("@" + v102.digest());
    assertThat(Views.ledger(sandbox).find(bff.service(), v102.digest()).orElseThrow().status())
        .isEqualTo(DeploymentStatus.HEALTHY);
  }

  @Test
  void aSecondRedriveFindsNothingParked() {
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).contains("dev: 0 parked event(s)").contains("dev: 0 re-delivered, 0 still parked");
    assertThat(parked()).isZero();
  }

  @Test
  void badInputIsOneLineAndExitTwo() {
    for (String[] args : List.of(new String[] {"release", "redrive"}, new String[] {"release", "redrive", "dev", "--bogus"},
        new String[] {"release", "status", "dev", "--dry-run"}, new String[] {"release", "redrive", "Not_An_Env"})) {
      Run r = cli(args);
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err().lines()).as(String.join(" ", args)).singleElement();
    }
  }
}
