package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.sandbox.CloudAssembly;
import io.gitops.sandbox.Demo;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import com.fasterxml.jackson.databind.node.ObjectNode;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.services.events.CfnRule;

/**
 * The demo's scenario (bin/gitops demo) on the app synthesized in-process, in moto: the real dev templates,
 * the real rules, the real functions' environment, and the functions run by the local Lambda host.
 */
class SandboxDemoTest {
  private static MotoServer moto;
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  @org.junit.jupiter.api.io.TempDir Path copies;

  /** A fresh emulator state. */
  static java.net.URI reset() throws Exception {
    var c = (java.net.HttpURLConnection) moto.endpoint().resolve("/moto-api/reset").toURL().openConnection();
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.getOutputStream().close();
    assertThat(c.getResponseCode()).isEqualTo(200);
    return moto.endpoint();
  }

  @BeforeAll
  static void emulator() {
    moto = MotoServer.start();
  }

  @AfterAll
  static void stop() {
    moto.close();
  }

  private Demo.Result demo(Path cdkOut) throws Exception {
    return demo(cdkOut, sandbox -> { });
  }

  private Demo.Result demo(Path cdkOut, java.util.function.Consumer<Sandbox> after) throws Exception {
    return demo(cdkOut, after, true);
  }

  /** {@code canaries}: also the canary scenarios (4, 5), which need no second run per SnapStart setting. */
  private Demo.Result demo(Path cdkOut, java.util.function.Consumer<Sandbox> after, boolean canaries) throws Exception {
    SandboxState state = SandboxState.provision(CloudAssembly.load(cdkOut, "dev"), reset(), 0);
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
    }, snapStart);
    assertThat(r.failures()).as(output.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(output.toString(StandardCharsets.UTF_8)).contains("ECR push bff:1.0.1 → image-deployer: DEPLOYED");
    // With the canary scenarios, 1.0.3 was promoted (rev 4) and 1.0.4 aborted back onto it.
    assertThat(r.summary().get(1)).startsWith("bff").contains(snapStart ? "rev 4" : "rev 2").contains("HEALTHY");
    if (snapStart) {
      assertThat(output.toString(StandardCharsets.UTF_8)).contains("→ guard (hook): FAILED error-rate: FAIL")
          .contains("exactly one rollback, ECS's");
    }
    assertThat(r.apiCalls()).isPositive();
    // one warm environment per function served the whole scenario; credentials came as Lambda provides them
    assertThat(checks).containsExactly(
        "image-deployer snapStart=" + snapStart + " qualifier=live environments=1 containerCredentialFetches=" + snapStart,
        "guard snapStart=" + snapStart + " qualifier=live environments=1 containerCredentialFetches=" + snapStart,
        "refused=0");
  }

  @Test
  void anImagePushRuleThatExcludesBffMeansNoRollout() throws Exception {
    Path outdir = Files.createTempDirectory("gitops-synth-no-bff");
    App app = new App(AppProps.builder().context(SynthesizedApp.cdkJsonContext()).outdir(outdir.toString()).build());
    PipelineStack pipeline = GitOpsApp.build(app, SynthesizedApp.ROOT.resolve("buildspecs"));
    AppStage dev = pipeline.stages().stream().filter(s -> s.config().name().equals("dev")).findFirst().orElseThrow();
    // The escape hatch on the rule's L1: its pattern lists every repository but bff's.
    List<String> others = new ArrayList<>();
    dev.stacks().storage().repositories().forEach((service, repo) -> {
      if (!service.equals("bff")) others.add(repo.getRepositoryName());
    });
    CfnRule rule = (CfnRule) dev.stacks().deployment().pushRule().orElseThrow().getNode().getDefaultChild();
    rule.addPropertyOverride("EventPattern.detail.repository-name", others);
    // CDK Pipelines synthesized the stage when the pipeline added it; synthesize it again with the change.
    dev.synth(software.amazon.awscdk.StageSynthesisOptions.builder().force(true).build());
    try {
      app.synth();
    } catch (RuntimeException e) {
      if (!String.valueOf(e.getMessage()).contains("ValidationFailed")) throw e;
    }

    Demo.Result r = demo(outdir);
    assertThat(r.failures()).singleElement().asString().startsWith("no rollout happened");
    assertThat(output.toString(StandardCharsets.UTF_8)).contains("no rule matched: nothing was delivered");
    assertThat(r.ok()).isFalse();
    assertThat(r.summary().get(1)).startsWith("bff").contains("rev 1");
  }
}
