package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.sandbox.CloudAssembly;
import io.gitops.sandbox.Demo;
import io.gitops.sandbox.MotoServer;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
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
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.services.events.CfnRule;

/**
 * The demo's scenario (bin/gitops demo) on the app synthesized in-process, in moto: the real dev templates,
 * the real rules and the real functions' environment.
 */
class SandboxDemoTest {
  private static MotoServer moto;
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  @BeforeAll
  static void emulator() {
    moto = MotoServer.start();
  }

  @AfterAll
  static void stop() {
    moto.close();
  }

  private Demo.Result demo(Path cdkOut) throws Exception {
    // a fresh emulator state per run
    var c = (java.net.HttpURLConnection) moto.endpoint().resolve("/moto-api/reset").toURL().openConnection();
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.getOutputStream().close();
    assertThat(c.getResponseCode()).isEqualTo(200);
    SandboxState state = SandboxState.provision(CloudAssembly.load(cdkOut, "dev"), moto.endpoint(), 0,
        SynthesizedApp.ROOT.resolve("lambdas/src/test/resources/patterns"));
    Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());
    return new Demo(sandbox, new PrintStream(output, true, StandardCharsets.UTF_8)).run();
  }

  @Test
  void theScenarioPassesOnTheSynthesizedDevStage() throws Exception {
    Demo.Result r = demo(SynthesizedApp.get().outdir);
    assertThat(r.failures()).as(output.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(output.toString(StandardCharsets.UTF_8)).doesNotContain("fallback");
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
  }
}
