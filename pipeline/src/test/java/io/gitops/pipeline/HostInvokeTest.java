package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.cli.HostInvoke;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * {@code bin/gitops invoke} through the local Lambda host, on the synthesized dev stage: a SnapStart function
 * whose only credentials are a container credentials URI and token deploys, and a template that names a
 * handler class that does not exist, or leaves out a variable the function requires, fails with one line.
 */
@ExtendWith(MotoExtension.class)
@MotoExtension.OwnServer
@Execution(ExecutionMode.CONCURRENT) // its own moto_server; it touches CDK only through SynthesizedApp.get()
@ResourceLock("HostInvokeTest") // its tests share that server: one at a time
class HostInvokeTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final MotoServer moto;

  HostInvokeTest(MotoServer moto) {
    this.moto = moto;
  }

  /** Provisions the stage, saves the sandbox state under dir, and writes a push event of bff:2.0.0. */
  private Path up(Path cdkOut) throws Exception {
    SandboxState state = SandboxState.provision(CloudAssembly.load(cdkOut, "dev"), moto.endpoint(), 0); // reset by MotoExtension
    state.save(dir.resolve(".sandbox/state.json"));
    Path event = dir.resolve("push.json");
    try (Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC())) {
      Files.writeString(event, sandbox.push("bff", "2.0.0", false).event().toString());
    }
    return event;
  }

  private int invoke(String... args) {
    return HostInvoke.run(args, dir.resolve(".sandbox"), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String errLine() {
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e.lines().count()).as(e).isEqualTo(1);
    assertThat(e).doesNotContain("\tat ");
    return e.strip();
  }

  @Test
  void theImageDeployerDeploysWithOnlyAContainerCredentialsUriAndTokenAndFetchesKeysFromIt() throws Exception {
    Path event = up(SynthesizedApp.get().outdir);

    int code = invoke("image-deployer", "--event", event.toString(), "--verbose");

    String stderr = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(stderr).isZero();
    var outcome = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    assertThat(outcome.path("action").asText()).as(stderr).isEqualTo("DEPLOYED");
    assertThat(stderr).containsPattern("SnapStart: container credentials only, fetched [1-9]\\d* time\\(s\\)");
  }

  @Test
  void aHandlerClassThatDoesNotExistOrAMissingVariableFailsWithOneLineNamingIt() throws Exception {
    Path cdkOut = StageCopy.of(Files.createDirectories(dir.resolve("copy")), SynthesizedApp.get().outdir, "dev", t -> StageCopy.functions(t).forEach(f -> {
      ObjectNode props = (ObjectNode) f.path("Properties");
      String handler = props.path("Handler").asText();
      if (handler.contains("ImageDeployerHandler")) {
        props.put("Handler", "io.gitops.lambdas.deployer.image.ImageDeployerHandler::handleRequest");
      } else if (handler.contains("GuardHandler")) {
        ((ObjectNode) props.path("Environment").path("Variables")).remove("LEDGER_TABLE");
      }
    }));
    Path event = up(cdkOut);

    assertThat(invoke("image-deployer", "--event", event.toString())).as(err.toString(StandardCharsets.UTF_8)
        + out.toString(StandardCharsets.UTF_8)).isEqualTo(2);
    // The runtime interface client loads the handler class at init but reports a missing one on the first
    // invocation, as Lambda does (Runtime.BadFunctionCode): no retry can help, so it is bad input here.
    assertThat(errLine()).startsWith("gitops invoke: image-deployer: the handler "
        + "io.gitops.lambdas.deployer.image.ImageDeployerHandler::handleRequest cannot run: Runtime.BadFunctionCode");
    assertThat(new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)).path("errorType").asText())
        .isEqualTo("Runtime.BadFunctionCode");

    err.reset();
    assertThat(invoke("guard", "--event", event.toString())).isEqualTo(2);
    assertThat(errLine()).startsWith("gitops invoke: guard: init failed").contains("LEDGER_TABLE: missing");
  }
}
