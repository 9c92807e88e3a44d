package io.gitops.pipeline;

import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.cli.Views;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's headline, as a new user meets it: in a fresh sandbox, the first push of agentcore is broken
 * ({@code bin/gitops sandbox up && bin/gitops sandbox push agentcore 1.0.0 --broken}). Before the fix the guard
 * ended FAILED (NO_HEALTHY_REVISION), the service stayed on the broken revision and the release parameter kept
 * the broken digest. Events go through the synthesized rules' patterns and the local Lambda host.
 */
class BrokenFirstPushTest {
  @Test
  void aNewEnvironmentsFirstBrokenPushEndsOnThePreviousRevisionWithTheReleaseRestored() {
    URI endpoint = MotoServer.shared().reset();
    SandboxState state = SandboxState.provision(RealStage.assembly(), endpoint, 0);
    try (Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      runs(sandbox);
    }
  }

  private static void runs(Sandbox sandbox) {
    ServiceTarget agentcore = sandbox.service("agentcore");
    String revisionBefore = sandbox.view(new String[] {agentcore.cluster(), agentcore.service()}).taskDefinitionArn();
    String releaseBefore = Views.release(sandbox, agentcore);
    sandbox.drainNotifications();

    Sandbox.Push push = sandbox.push("agentcore", "1.0.0", true);
    List<Sandbox.Delivery> deliveries = sandbox.deliver(push.event());

    assertThat(deliveries).anyMatch(d -> d.function().equals("guard") && d.action().equals("ROLLED_BACK"));
    assertThat(sandbox.view(new String[] {agentcore.cluster(), agentcore.service()}).taskDefinitionArn())
        .isEqualTo(revisionBefore);
    assertThat(Views.release(sandbox, agentcore)).isEqualTo(releaseBefore).doesNotContain(push.digest());
    List<JsonNode> notes = sandbox.drainNotifications();
    assertThat(notes).anyMatch(n -> n.path("Message").asText().contains("\"badDigest\":\"" + push.digest() + "\""));
  }
}
