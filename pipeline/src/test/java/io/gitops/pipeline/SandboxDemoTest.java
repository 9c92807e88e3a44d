package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.cli.Demo;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The demo's scenario (bin/gitops demo) on the app synthesized in-process, in moto: the real dev templates,
 * the real rules, the real functions' environment, and the functions run by the local Lambda host.
 */
@ExtendWith(MotoExtension.class)
@MotoExtension.OwnServer
@Execution(ExecutionMode.CONCURRENT) // its own moto_server; it touches CDK only through SynthesizedApp.get()
@ResourceLock("SandboxDemoTest") // its tests share that server: one at a time
class SandboxDemoTest {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  @org.junit.jupiter.api.io.TempDir Path copies;
  private final MotoServer moto;

  SandboxDemoTest(MotoServer moto) {
    this.moto = moto;
  }

  private Demo.Result demo(Path cdkOut) throws Exception {
    return demo(cdkOut, sandbox -> { });
  }

  private Demo.Result demo(Path cdkOut, java.util.function.Consumer<Sandbox> after) throws Exception {
    return demo(cdkOut, after, true);
  }

  /** {@code canaries}: also the canary scenarios (4, 5), which need no second run per SnapStart setting. */
  private Demo.Result demo(Path cdkOut, java.util.function.Consumer<Sandbox> after, boolean canaries) throws Exception {
    SandboxState state = SandboxState.provision(CloudAssembly.load(cdkOut, "dev"), moto.endpoint(), 0); // reset by MotoExtension
    try (Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      Demo.Result r = new Demo(sandbox, new PrintStream(output, true, StandardCharsets.UTF_8))
          .canaryScenarios(canaries).run();
      after.accept(sandbox);
      return r;
    }
  }

  /**
   * Both functions roll out, roll back and ignore a duplicate, each in its own JVM through the runtime interface
   * client, with SnapStart as the template sets it (on, behind the live alias: container credentials only) and
   * with SnapStart removed from a copy of the template (on-demand: environment keys). The host's proxy refuses
   * any request not signed with the keys it handed to the function, so static emulator keys cannot pass.
   */
  @ParameterizedTest(name = "SnapStart {0}")
  @ValueSource(booleans = {true, false})
  void bothFunctionsRollOutAndRollBackThroughTheLambdaHost(boolean snapStart) throws Exception {
    Path cdkOut = snapStart ? SynthesizedApp.get().outdir : StageCopy.of(copies, SynthesizedApp.get().outdir, "dev", t ->
        StageCopy.functions(t).forEach(f -> ((ObjectNode) f.path("Properties")).remove("SnapStart")));
    List<String> checks = new ArrayList<>();
    Demo.Result r = demo(cdkOut, sandbox -> {
      for (String fn : List.of("image-deployer", "guard")) {
        var spec = sandbox.host().spec(fn);
        checks.add(fn + " snapStart=" + spec.snapStart() + " qualifier=" + spec.qualifier()
            + " environments=" + sandbox.host().environmentsStarted(fn)
            + " containerCredentialFetches=" + (sandbox.host().credentialFetches(fn) > 0));
      }
      checks.add("refused=" + sandbox.apiCalls().refused());
      // Issue 21, blocker 5: the smoke probes reached the new revision only through the test rule, with the header.
      if (snapStart) checks.add("testRouteRequests>0=" + (sandbox.testRouteRequests() > 0));
      // Issue 21, blocker 3 and issue 20, finding 8: ECS's calls went to the hook's own function and alias.
      if (snapStart) {
        var hook = sandbox.host().spec("canary-hook");
        checks.add("canary-hook qualifier=" + hook.qualifier() + " reserved=" + hook.reservedConcurrency().orElse(-1)
            + " environments=" + sandbox.host().environmentsStarted("canary-hook"));
      }
    }, snapStart);
    assertThat(r.failures()).as(output.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(output.toString(StandardCharsets.UTF_8)).contains("ECR push bff:1.0.1 → image-deployer: DEPLOYED");
    // With the canary scenarios, 1.0.3 was promoted (rev 4) and 1.0.4 aborted back onto it.
    assertThat(r.summary().get(1)).startsWith("bff").contains(snapStart ? "rev 4" : "rev 2").contains("HEALTHY");
    if (snapStart) {
      assertThat(output.toString(StandardCharsets.UTF_8)).contains("→ canary-hook (hook): FAILED error-rate: FAIL")
          .contains("exactly one rollback, ECS's");
    }
    assertThat(r.apiCalls()).isPositive();
    // one warm environment per function served the whole scenario; credentials came as Lambda provides them
    List<String> expected = new ArrayList<>(List.of(
        "image-deployer snapStart=" + snapStart + " qualifier=live environments=1 containerCredentialFetches=" + snapStart,
        "guard snapStart=" + snapStart + " qualifier=live environments=1 containerCredentialFetches=" + snapStart,
        "refused=0"));
    if (snapStart) {
      expected.add("testRouteRequests>0=true");
      expected.add("canary-hook qualifier=hook reserved=2 environments=1");
    }
    assertThat(checks).containsExactlyElementsOf(expected);
  }

  @Test
  void anImagePushRuleThatExcludesBffMeansNoRollout() throws Exception {
    // A copy of the stage whose push rule lists every repository but bff's.
    List<String> removed = new ArrayList<>();
    Path outdir = StageCopy.of(copies, SynthesizedApp.get().outdir, "dev", t -> t.path("Resources").fields().forEachRemaining(r -> {
      if (!"AWS::Events::Rule".equals(r.getValue().path("Type").asText()) || !r.getKey().startsWith("ImagePushRule")) return;
      var repositories = (com.fasterxml.jackson.databind.node.ArrayNode) r.getValue().at("/Properties/EventPattern/detail/repository-name");
      for (int i = repositories.size() - 1; i >= 0; i--) {
        if (repositories.get(i).toString().contains("bffRepository")) removed.add(repositories.remove(i).toString());
      }
    }));
    assertThat(removed).as("the push rule's reference to bff's repository").hasSize(1);

    Demo.Result r = demo(outdir);
    assertThat(r.failures()).singleElement().asString().startsWith("no rollout happened");
    assertThat(output.toString(StandardCharsets.UTF_8)).contains("no rule matched: nothing was delivered");
    assertThat(r.ok()).isFalse();
    assertThat(r.summary().get(1)).startsWith("bff").contains("rev 1");
  }
}
