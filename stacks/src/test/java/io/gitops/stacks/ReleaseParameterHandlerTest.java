package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gitops.stacks.config.Environments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.assertions.Template;

/**
 * The release parameter's create-only behaviour, exercised on the very handler code CDK deploys
 * (run under node with the AWS SDK refused): a stack update, even one that changes every property,
 * makes no SDK call at all, so it cannot overwrite a release the deployers wrote. A create, by
 * contrast, does reach for the SDK (the control that proves the harness would see a write).
 */
class ReleaseParameterHandlerTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path handler;
  private static Path harness;
  private static Map<String, Object> properties;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void synth() throws IOException {
    assumeTrue(onPath("node"), "node is not on PATH");
    Path outdir = Files.createTempDirectory("release-parameter");
    App app = new App(AppProps.builder().outdir(outdir.toString()).build());
    PlatformStacks stacks = PlatformStacks.create(app, Environments.dev(TestEnvironments.TARGET, java.util.Optional.empty()));
    Template storage = Template.fromStack(stacks.storage());
    app.synth();
    properties = TestEnvironments.properties(storage.findResources("Custom::ReleaseParameter").values().stream()
        .filter(r -> String.valueOf(r).contains("/gitops/dev/release/bff"))
        .findFirst().orElseThrow());
    try (Stream<Path> files = Files.walk(outdir)) {
      handler = files.filter(p -> p.getFileName().toString().equals("index.js"))
          .filter(p -> read(p).contains("ResourceProperties.Create"))
          .findFirst().orElseThrow(() -> new AssertionError("AwsCustomResource handler asset not found"));
    }
    harness = Files.createTempFile("harness", ".js");
    try (var in = ReleaseParameterHandlerTest.class.getResourceAsStream("/custom-resource-harness.js")) {
      Files.write(harness, in.readAllBytes());
    }
  }

  @Test
  void anUpdateMakesNoSdkCallAndKeepsThePhysicalId() throws Exception {
    Map<String, Object> changed = new HashMap<>(properties);
    // Whatever changed in the template (here: a new placeholder and new tags), the update is a no-op.
    changed.put("Create", ((String) properties.get("Create")).replace("ealen/echo-server", "example/other"));
    Map<String, Object> result = run(event("Update", changed, properties));
    assertThat(sdkLoads(result)).isEmpty();
    assertThat(response(result)).containsEntry("Status", "SUCCESS")
        .containsEntry("PhysicalResourceId", "/gitops/dev/release/bff");
  }

  @Test
  void aCreateDoesCallTheSdkSoTheHarnessWouldSeeAWrite() throws Exception {
    Map<String, Object> result = run(event("Create", properties, null));
    assertThat(sdkLoads(result)).containsExactly("@aws-sdk/client-ssm");
  }

  private static Map<String, Object> event(String type, Map<String, Object> props, Map<String, Object> old) {
    Map<String, Object> event = new HashMap<>();
    event.put("RequestType", type);
    event.put("ResponseURL", "https://cloudformation-response.invalid/response");
    event.put("StackId", "arn:aws:cloudformation:us-east-1:111111111111:stack/dev-Storage/1");
    event.put("RequestId", "request-1");
    event.put("LogicalResourceId", "bffRelease6DD5449D");
    event.put("ResourceType", "Custom::ReleaseParameter");
    event.put("ResourceProperties", props);
    if (old != null) {
      event.put("OldResourceProperties", old);
      event.put("PhysicalResourceId", "/gitops/dev/release/bff");
    }
    return event;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> run(Map<String, Object> event) throws Exception {
    Path file = Files.createTempFile("event", ".json");
    JSON.writeValue(file.toFile(), event);
    Process process = new ProcessBuilder("node", harness.toString(), handler.toString(), file.toString())
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String line = output.lines().filter(l -> l.startsWith("HARNESS-RESULT ")).findFirst()
        .orElseThrow(() -> new AssertionError("harness produced no result:\n" + output));
    return JSON.readValue(line.substring("HARNESS-RESULT ".length()), Map.class);
  }

  @SuppressWarnings("unchecked")
  private static List<String> sdkLoads(Map<String, Object> result) {
    return (List<String>) result.get("sdkLoads");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> response(Map<String, Object> result) {
    return (Map<String, Object>) result.get("response");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }

  private static boolean onPath(String tool) {
    return Stream.of(System.getenv("PATH").split(java.io.File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
  }
}
