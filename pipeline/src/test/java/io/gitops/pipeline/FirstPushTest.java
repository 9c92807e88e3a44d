package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.cli.HostInvoke;
import io.gitops.sandbox.cli.SandboxCli;
import io.gitops.sandbox.cli.Views;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 20's "Why", command for command: on a fresh environment the pipeline has created the services, ECS
 * reports the pipeline's first deployment COMPLETED to the guard, and only then does anyone push. Before the fix
 * the push ended {@code ERROR: BUSY: claim conflicted with a concurrent write on bff} (the guard's head had no
 * {@code latestOrderKey}) and was parked in the on-failure queue.
 */
@ExtendWith(MotoExtension.class)
@MotoExtension.OwnServer
@Execution(ExecutionMode.CONCURRENT) // its own moto_server; it touches CDK only through SynthesizedApp.get()
@ResourceLock("FirstPushTest")
class FirstPushTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final MotoServer moto;

  FirstPushTest(MotoServer moto) {
    this.moto = moto;
  }

  private PrintStream stream(ByteArrayOutputStream b) {
    return new PrintStream(b, true, StandardCharsets.UTF_8);
  }

  private String sandbox(String... args) {
    out.reset();
    int code = SandboxCli.run(args, dir.resolve(".sandbox"), RealStage.cdkOut(), stream(out), stream(err));
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as("sandbox " + String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8) + text)
        .isZero();
    return text;
  }

  @Test
  void theFirstPushAfterThePipelinesOwnDeploymentCompletedRunsAndIsJudgedHealthy() throws Exception {
    // bin/gitops sandbox up
    sandbox("up", "--endpoint", moto.endpoint().toString());
    SandboxState state = SandboxState.load(dir.resolve(".sandbox/state.json"));

    // ECS's SERVICE_DEPLOYMENT_COMPLETED for the deployment CloudFormation's CreateService started: the PRIMARY one.
    Path completed = dir.resolve("completed.json");
    try (Sandbox s = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      ServiceTarget bff = s.service("bff");
      var svc = s.emulator().clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service()))
          .services().get(0);
      String primary = svc.deployments().stream().filter(d -> "PRIMARY".equals(d.status())).findFirst().orElseThrow().id();
      ObjectMapper json = new ObjectMapper();
      ObjectNode e = (ObjectNode) json.readTree(getClass().getResourceAsStream("/events/guard/deployment-completed.json"));
      e.put("time", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
      e.putArray("resources").add(svc.serviceArn());
      ((ObjectNode) e.path("detail")).put("deploymentId", primary).put("updatedAt", Instant.now().toString())
          .put("reason", "ECS deployment " + primary + " completed.");
      Files.writeString(completed, e.toString());
    }

    // bin/gitops invoke guard --event completed.json
    ByteArrayOutputStream invoked = new ByteArrayOutputStream();
    assertThat(HostInvoke.run(new String[] {"guard", "--event", completed.toString()}, dir.resolve(".sandbox"),
        stream(invoked), stream(err))).as(err.toString(StandardCharsets.UTF_8)).isZero();
    var outcome = new ObjectMapper().readTree(invoked.toString(StandardCharsets.UTF_8));
    assertThat(outcome.path("code").asText() + " " + outcome.path("reason").asText()).as(outcome.toString())
        .contains("PIPELINE_DEPLOYMENT");

    // bin/gitops sandbox push bff 1.0.1
    String pushed = sandbox("push", "bff", "1.0.1");
    assertThat(pushed).contains("image-deployer: DEPLOYED").doesNotContain("BUSY").doesNotContain("on-failure queue");

    try (Sandbox s = new Sandbox(SandboxState.load(dir.resolve(".sandbox/state.json")),
        new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      ServiceTarget bff = s.service("bff");
      List<Deployment> history = Views.ledger(s).history(bff.service());
      Deployment pushedOne = history.stream().filter(d -> "1.0.1".equals(d.tag())).findFirst().orElseThrow();
      assertThat(pushedOne.status()).as(history.toString()).isEqualTo(DeploymentStatus.HEALTHY);
      assertThat(pushedOne.reasons()).anySatisfy(r -> assertThat(r).startsWith("post-deploy health checks passed"));
      assertThat(Views.release(s, bff)).contains(pushedOne.digest());
      String running = s.emulator().clients().ecs().describeServices(b -> b.cluster(bff.cluster())
          .services(bff.service())).services().get(0).taskDefinition();
      assertThat(running).isEqualTo(pushedOne.newTaskDefinitionArn());
    }
  }
}
