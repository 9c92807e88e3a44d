package io.gitops.sandbox.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.host.FunctionSpec;
import io.gitops.sandbox.host.HostOptions;
import io.gitops.sandbox.host.LambdaHost;
import io.gitops.sandbox.host.functions.Hanging;
import io.gitops.sandbox.host.functions.Hooked;
import io.gitops.sandbox.host.functions.Sleeping;
import io.gitops.sandbox.host.functions.Throwing;
import io.gitops.testing.MotoServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The local Lambda host's asynchronous semantics, on small functions of this test module run through the
 * runtime interface client in their own JVMs: retries, the on-failure record, timeouts, reserved concurrency.
 * Lambda's retry delays (1 and 2 minutes) are compressed 1000×.
 */
class LambdaHostTest {
  @TempDir Path dir;
  private LambdaHost host;
  private Emulator emulator;
  private String queueUrl;
  private String queueArn;

  private LambdaHost host(FunctionSpec spec) throws Exception {
    URI endpoint = MotoServer.shared().reset();
    emulator = new Emulator(endpoint, List.of());
    queueUrl = emulator.sqs().createQueue(b -> b.queueName("on-failure")).queueUrl();
    queueArn = "arn:aws:sqs:us-east-1:123456789012:on-failure";
    HostOptions options = HostOptions.defaults(Optional.empty(), dir.resolve("functions.log")).withTimeScale(0.001);
    host = new LambdaHost(List.of(spec), options, Optional.of(endpoint),
        (arn, body) -> emulator.sqs().sendMessage(b -> b.queueUrl(queueUrl).messageBody(body)), Clock.systemUTC());
    return host;
  }

  @AfterEach
  void close() {
    if (host != null) host.close();
  }

  private FunctionSpec spec(Class<?> handler, Duration timeout, int retries, Optional<Integer> reserved)
      throws Exception {
    Path classes = Path.of(handler.getProtectionDomain().getCodeSource().getLocation().toURI());
    return new FunctionSpec("test-fn", "dev-test-fn", handler.getName() + "::handleRequest", "java21", 256, timeout,
        Map.of("ATTEMPTS_FILE", dir.resolve("attempts.txt").toString(), "JAVA_TOOL_OPTIONS",
            "-XX:+TieredCompilation -XX:TieredStopAtLevel=1"),
        false, reserved, "live", "1", retries, Duration.ofHours(6), Optional.of("arn:aws:sqs:us-east-1:123456789012:on-failure"),
        classes, "/aws/lambda/dev-test-fn");
  }

  /**
   * Every record on the queue, polled three times a second apart (so a late duplicate would be seen). Short
   * polls with a sleep between, not long polls: a 1 s long poll under load exceeds the emulator client's 2 s
   * call timeout.
   */
  private List<Message> drain() throws InterruptedException {
    List<Message> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      if (i > 0) Thread.sleep(1000);
      List<Message> got = emulator.sqs().receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
          .waitTimeSeconds(0)).messages();
      all.addAll(got);
      got.forEach(m -> emulator.sqs().deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle())));
    }
    return all;
  }

  private List<String> attempts() throws Exception {
    Path f = dir.resolve("attempts.txt");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }

  @Test
  void aFunctionThatThrowsIsRetriedTwiceThenExactlyOneRecordWithTheEventReachesTheQueue() throws Exception {
    host(spec(Throwing.class, Duration.ofSeconds(10), 2, Optional.of(5)));
    String event = "{\"version\":\"0\",\"id\":\"evt-1\",\"detail-type\":\"ECR Image Action\",\"detail\":{\"image-tag\":\"1.0.1\"}}";

    LambdaHost.AsyncOutcome r = host.invokeAsync("test-fn", event.getBytes(StandardCharsets.UTF_8)).join();

    assertThat(r.succeeded()).isFalse();
    assertThat(r.attempts()).isEqualTo(3);
    // Lambda retries an asynchronous event under the same request id; one environment served every attempt.
    assertThat(attempts()).hasSize(3).containsOnly(r.requestId());
    assertThat(host.environmentsStarted("test-fn")).isEqualTo(1);
    List<Message> messages = drain();
    assertThat(messages).hasSize(1);
    JsonNode record = CloudAssembly.JSON.readTree(messages.get(0).body());
    assertThat(record.path("version").asText()).isEqualTo("1.0");
    assertThat(record.path("timestamp").asText()).isNotEmpty();
    assertThat(record.path("requestContext").path("requestId").asText()).isEqualTo(r.requestId());
    assertThat(record.path("requestContext").path("functionArn").asText())
        .isEqualTo("arn:aws:lambda:us-east-1:123456789012:function:dev-test-fn:live");
    assertThat(record.path("requestContext").path("condition").asText()).isEqualTo("RetriesExhausted");
    assertThat(record.path("requestContext").path("approximateInvokeCount").asInt()).isEqualTo(3);
    assertThat(record.path("requestPayload")).isEqualTo(CloudAssembly.JSON.readTree(event));
    assertThat(record.path("responseContext").path("statusCode").asInt()).isEqualTo(200);
    assertThat(record.path("responseContext").path("executedVersion").asText()).isEqualTo("1");
    assertThat(record.path("responseContext").path("functionError").asText()).isEqualTo("Unhandled");
    assertThat(record.path("responsePayload").path("errorType").asText()).isEqualTo("java.lang.IllegalStateException");
    assertThat(record.path("responsePayload").path("errorMessage").asText()).isEqualTo("the downstream service is unavailable");
  }

  @Test
  void anEventOlderThanTheMaximumEventAgeIsNotRetriedAndIsRecordedAsEventAgeExceeded() throws Exception {
    // 60 s, Lambda's minimum, is 60 ms at this time scale: the first attempt alone (a JVM start) outlives it.
    FunctionSpec s = spec(Throwing.class, Duration.ofSeconds(10), 2, Optional.of(5));
    host(new FunctionSpec(s.name(), s.physicalName(), s.handler(), s.runtime(), s.memoryMb(), s.timeout(),
        s.environment(), false, s.reservedConcurrency(), s.qualifier(), s.executedVersion(), 2, Duration.ofSeconds(60),
        s.onFailureQueueArn(), s.code(), s.logGroupName()));

    LambdaHost.AsyncOutcome r = host.invokeAsync("test-fn", "{\"id\":\"old\"}".getBytes(StandardCharsets.UTF_8)).join();

    assertThat(r.succeeded()).isFalse();
    assertThat(attempts()).hasSize(1);
    List<Message> messages = drain();
    assertThat(messages).hasSize(1);
    JsonNode record = CloudAssembly.JSON.readTree(messages.get(0).body());
    assertThat(record.path("requestContext").path("condition").asText()).isEqualTo("EventAgeExceeded");
    assertThat(record.path("requestContext").path("approximateInvokeCount").asInt()).isEqualTo(1);
    assertThat(record.path("requestPayload").path("id").asText()).isEqualTo("old");
  }

  @Test
  void aFunctionThatHangsPastItsTimeoutIsKilledRetriedInANewEnvironmentAndEndsInTheQueue() throws Exception {
    host(spec(Hanging.class, Duration.ofSeconds(1), 1, Optional.of(5)));
    String event = "{\"id\":\"evt-hang\"}";

    LambdaHost.AsyncOutcome r = host.invokeAsync("test-fn", event.getBytes(StandardCharsets.UTF_8)).join();

    assertThat(r.succeeded()).isFalse();
    assertThat(r.errorType()).isEqualTo("Sandbox.Timedout");
    List<String> lines = attempts();
    assertThat(lines).hasSize(2);
    // each attempt ran in its own JVM: the first was killed at the timeout
    long firstPid = Long.parseLong(lines.get(0).split(" ")[1]);
    assertThat(lines.get(1).split(" ")[1]).isNotEqualTo(lines.get(0).split(" ")[1]);
    assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(host.environmentsStarted("test-fn")).isEqualTo(2);
    List<Message> messages = drain();
    assertThat(messages).hasSize(1);
    JsonNode record = CloudAssembly.JSON.readTree(messages.get(0).body());
    assertThat(record.path("requestContext").path("approximateInvokeCount").asInt()).isEqualTo(2);
    assertThat(record.path("requestPayload").path("id").asText()).isEqualTo("evt-hang");
    assertThat(record.path("responsePayload").path("errorMessage").asText()).contains("Task timed out after 1.00 seconds");
  }

  @Test
  void reservedConcurrencyOfOneRunsQueuedEventsOneAtATimeInOneWarmEnvironment() throws Exception {
    host(spec(Sleeping.class, Duration.ofSeconds(10), 2, Optional.of(1)));
    List<CompletableFuture<LambdaHost.AsyncOutcome>> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) all.add(host.invokeAsync("test-fn", ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
    List<LambdaHost.AsyncOutcome> outcomes = all.stream().map(CompletableFuture::join).toList();

    assertThat(outcomes).allMatch(LambdaHost.AsyncOutcome::succeeded);
    assertThat(host.environmentsStarted("test-fn")).isEqualTo(1);
    List<String> lines = attempts();
    assertThat(lines).hasSize(6);
    for (int i = 0; i < lines.size(); i++) {
      assertThat(lines.get(i)).startsWith(i % 2 == 0 ? "start " : "end "); // never two running at once
    }
    JsonNode seen = CloudAssembly.JSON.readTree(outcomes.get(0).responsePayload());
    assertThat(seen.path("functionName").asText()).isEqualTo("dev-test-fn");
    assertThat(seen.path("memory").asInt()).isEqualTo(256);
    assertThat(seen.path("arn").asText()).endsWith(":function:dev-test-fn:live");
    assertThat(seen.path("initType").asText()).isEqualTo("on-demand");
    assertThat(seen.path("handlerVar").asText()).isEqualTo(Sleeping.class.getName() + "::handleRequest");
    assertThat(seen.path("tz").asText()).isEqualTo(":UTC");
    // the heap is sized from the function's memory (85% of 256 MB), not from this machine's RAM
    assertThat(seen.path("maxHeapMb").asInt()).isBetween(150, 230);
    assertThat(drain()).isEmpty();
  }

  @Test
  void underSnapStartTheCracHooksRunAroundTheSnapshotAndOnlyAContainerCredentialsEndpointIsGiven() throws Exception {
    // A task root as Lambda lays one out: the classes at its top, their dependencies (org.crac) in lib/.
    Path root = dir.resolve("task");
    Path classes = Path.of(Hooked.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    for (Class<?> c : List.of(Hooked.class, Class.forName(Hooked.class.getName() + "$1"))) {
      Path rel = Path.of(c.getName().replace('.', '/') + ".class");
      Files.createDirectories(root.resolve(rel).getParent());
      Files.copy(classes.resolve(rel), root.resolve(rel));
    }
    Files.createDirectories(root.resolve("lib"));
    Path crac = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .map(Path::of).filter(p -> p.getFileName().toString().matches("crac-[0-9.]+\\.jar")).findFirst().orElseThrow();
    Files.copy(crac, root.resolve("lib/crac.jar"));
    FunctionSpec spec = new FunctionSpec("test-fn", "dev-test-fn", Hooked.class.getName() + "::handleRequest", "java21",
        256, Duration.ofSeconds(10), Map.of("ATTEMPTS_FILE", dir.resolve("attempts.txt").toString()), true,
        Optional.of(5), "live", "1", 2, Duration.ofHours(6), Optional.empty(), root, "/aws/lambda/dev-test-fn");
    host(spec);

    LambdaHost.AsyncOutcome first = host.invokeAsync("test-fn", "{}".getBytes(StandardCharsets.UTF_8)).join();
    host.invokeAsync("test-fn", "{}".getBytes(StandardCharsets.UTF_8)).join();

    assertThat(first.succeeded()).as(first.errorMessage()).isTrue();
    // beforeCheckpoint after init, afterRestore before the first invocation, and neither again when warm
    assertThat(attempts()).containsExactly("init", "beforeCheckpoint", "afterRestore", "invoke", "invoke");
    JsonNode seen = CloudAssembly.JSON.readTree(first.responsePayload());
    assertThat(seen.path("accessKey").asBoolean()).isFalse();
    assertThat(seen.path("containerUri").asText()).matches("http://127\\.0\\.0\\.1:\\d+/credentials");
    assertThat(seen.path("token").asBoolean()).isTrue();
    assertThat(seen.path("initType").asText()).isEqualTo("snap-start");
  }
}
