package io.gitops.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gitops.lambdas.cli.Invoke;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The demo's scenario end to end against moto, on the CDK-synthesized fixture stage. */
class DemoTest {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  private Demo.Result runOn(String fixture) {
    URI endpoint = Moto.fresh();
    SandboxState state = SandboxState.provision(CloudAssembly.load(Fixtures.cdkOut(fixture), "dev"), endpoint, 0,
        Fixtures.patterns());
    try (Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      return new Demo(sandbox, new PrintStream(output, true, StandardCharsets.UTF_8)).run();
    }
  }

  @Test
  void theScenarioRollsOutRollsBackAndIgnoresTheDuplicate() {
    assumeTrue(Invoke.functions().containsKey("guard"), "the guard is not in this build yet");
    Demo.Result r = runOn("fixture-assembly");
    assertThat(r.failures()).as(output.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(r.summary().get(1)).startsWith("bff").contains("rev 2").contains("HEALTHY");
    assertThat(r.apiCalls()).isPositive();
  }

  @Test
  void theImageDeployerRollsOutTheFirstPush() {
    Demo.Result r = runOn("fixture-assembly");
    String text = output.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("ECR push bff:1.0.1 → image-deployer: DEPLOYED");
    assertThat(r.failures()).noneMatch(f -> f.startsWith("a new revision") || f.startsWith("release parameter holds"));
  }

  @Test
  void aRulePatternThatExcludesBffMeansNoRollout() {
    Demo.Result r = runOn("fixture-assembly-without-bff");
    assertThat(r.ok()).isFalse();
    assertThat(r.failures()).singleElement().asString().startsWith("no rollout happened");
    assertThat(output.toString(StandardCharsets.UTF_8)).contains("no rule matched: nothing was delivered");
    assertThat(r.summary().get(1)).startsWith("bff").contains("rev 1");
  }
}
