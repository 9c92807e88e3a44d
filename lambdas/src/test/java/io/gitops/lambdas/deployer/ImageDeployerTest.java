package io.gitops.lambdas.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Phase;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.exception.SdkClientException;

@ExtendWith(MotoExtension.class)
class ImageDeployerTest {
  private static final Instant T0 = Instant.parse("2026-11-16T01:54:34Z");

  private AwsFixture fx;
  private final ByteArrayOutputStream logs = new ByteArrayOutputStream();

  private final List<AutoCloseable> closeables = new ArrayList<>();

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  @org.junit.jupiter.api.AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) c.close();
  }

  @BeforeEach
  void provision(MotoServer moto) {
    fx = AwsFixture.builder(moto.endpoint()).service("bff").service("graphql").mappedButMissing("agentcore")
        .provision();
  }

  private ImageDeployerHandler handler(ExecutionInterceptor... interceptors) {
    return handler(fx.config(), interceptors);
  }

  private ImageDeployerHandler handler(LambdaConfig config, ExecutionInterceptor... interceptors) {
    return handlerVia(fx.endpoint(), config, interceptors);
  }

  private ImageDeployerHandler handlerVia(java.net.URI endpoint, LambdaConfig config,
      ExecutionInterceptor... interceptors) {
    return new ImageDeployerHandler(config, AwsFixture.functionClients(endpoint, AwsFixture.FAST_SDK,
        interceptors), new PrintStream(logs, true, StandardCharsets.UTF_8), Clock.systemUTC());
  }

  private static byte[] push(String repo, String label, String tag, Instant time) {
    return Events.bytes(Events.ecrPush(repo, Events.digest(label), tag, time));
  }

  @Test
  void pushRollsOutANewRevisionDifferingOnlyInTheImage() {
    String before = fx.currentTaskDefinition("bff").taskDefinition().taskDefinitionArn();

    Outcome o = handler().handle(Events.resource("events/ecr-push-bff.json"));

    String image = fx.target("bff").repositoryUri() + "@" + Events.digest("bff-1.0.1");
    var now = fx.currentTaskDefinition("bff").taskDefinition();
    assertThat(o.action()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(o.revision()).isEqualTo(now.taskDefinitionArn()).isNotEqualTo(before);
    assertThat(now.containerDefinitions().get(0).image()).isEqualTo(image);
    assertThat(fx.releaseValue("bff")).isEqualTo(image);
    assertThat(fx.revisions("bff")).hasSize(2);
  }

  @Test
  void pushIsRecordedInTheLedgerAsRollingOutWithBothRevisions() {
    String before = fx.currentTaskDefinition("bff").taskDefinition().taskDefinitionArn();

    Outcome o = handler().handle(Events.resource("events/ecr-push-bff.json"));

    Deployment d = handler().deployer().ledger().find("bff", Events.digest("bff-1.0.1")).orElseThrow();
    assertThat(d.status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
    assertThat(d.phase()).isEqualTo(Phase.RELEASED);
    assertThat(d.tag()).isEqualTo("1.0.1");
    assertThat(d.eventId()).isEqualTo("13cde686-328b-6117-af20-0e5566167482");
    assertThat(d.newTaskDefinitionArn()).isEqualTo(o.revision());
    assertThat(d.previousTaskDefinitionArn()).isEqualTo(before);
    assertThat(d.previousImage()).isEqualTo(AwsFixture.PLACEHOLDER_IMAGE);
    assertThat(handler().deployer().ledger().findRollingOut("bff")).contains(d);
  }

  @Test
  void theSameEventDeliveredTwiceGivesOneRevision() {
    byte[] event = Events.resource("events/ecr-push-bff.json");
    Outcome first = handler().handle(event);
    Outcome second = handler().handle(event);

    assertThat(first.action()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(second.action()).isEqualTo(Outcome.Action.SKIPPED);
    assertThat(second.code()).isEqualTo("DUPLICATE_DIGEST");
    assertThat(fx.revisions("bff")).hasSize(2);
  }

  @Test
  void twentyConcurrentDeliveriesGiveExactlyOneRevision() throws Exception {
    byte[] event = Events.resource("events/ecr-push-bff.json");
    FaultProxy serial = closeLater(FaultProxy.serializing(fx.endpoint()));
    ImageDeployerHandler h = handlerVia(serial.endpoint(), fx.config());
    ExecutorService pool = Executors.newFixedThreadPool(20);
    List<Future<Outcome>> results = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      results.add(pool.submit(() -> h.handle(event)));
    }
    int deployed = 0;
    for (Future<Outcome> f : results) {
      Outcome o;
      try {
        o = f.get();
      } catch (java.util.concurrent.ExecutionException e) {
        // The same event while its first delivery holds the rollout: retried later, never skipped (a skip
        // would abandon the rollout if the holder had crashed).
        assertThat(e.getCause()).isInstanceOf(io.gitops.lambdas.core.RetryableException.class)
            .hasMessageStartingWith("BUSY");
        continue;
      }
      if (o.action() == Outcome.Action.DEPLOYED) deployed++;
      else assertThat(o.code()).isIn("IN_PROGRESS", "DUPLICATE_DIGEST");
    }
    pool.shutdown();

    assertThat(deployed).isEqualTo(1);
    assertThat(fx.revisions("bff")).hasSize(2);
    assertThat(h.handle(event).code()).as("the retry, once the rollout is done").isEqualTo("DUPLICATE_DIGEST");
  }

  @Test
  void theSameDigestUnderAnotherTagIsNotRolledOutAgain() {
    handler().handle(push("bff", "bff-1.0.1", "1.0.1", T0));

    Outcome again = handler().handle(push("bff", "bff-1.0.1", "1.0.1-rc.1", T0.plusSeconds(60)));

    assertThat(again.action()).isEqualTo(Outcome.Action.SKIPPED);
    assertThat(again.code()).isEqualTo("DUPLICATE_DIGEST");
    assertThat(fx.revisions("bff")).hasSize(2);
  }

  @Test
  void anOlderPushDeliveredAfterANewerOneIsSkipped() {
    handler().handle(push("bff", "bff-1.0.2", "1.0.2", T0.plusSeconds(60)));

    Outcome older = handler().handle(push("bff", "bff-1.0.1", "1.0.1", T0));

    assertThat(older.action()).isEqualTo(Outcome.Action.SKIPPED);
    assertThat(older.code()).isEqualTo("OLDER_PUSH");
    assertThat(fx.releaseValue("bff")).endsWith(Events.digest("bff-1.0.2"));
  }

  @Test
  void aNewerPushSupersedesTheRolloutBeforeIt() {
    handler().handle(push("bff", "bff-1.0.1", "1.0.1", T0));

    Outcome newer = handler().handle(push("bff", "bff-1.0.2", "1.0.2", T0.plusSeconds(60)));

    var ledger = handler().deployer().ledger();
    assertThat(newer.action()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(ledger.find("bff", Events.digest("bff-1.0.1")).orElseThrow().status())
        .isEqualTo(DeploymentStatus.SUPERSEDED);
    assertThat(ledger.findRollingOut("bff").orElseThrow().digest()).isEqualTo(Events.digest("bff-1.0.2"));
  }

  @Test
  void twoPushesAtOnceEndWithTheNewerDeployed() throws Exception {
    FaultProxy serial = closeLater(FaultProxy.serializing(fx.endpoint()));
    ImageDeployerHandler h = handlerVia(serial.endpoint(), fx.config());
    byte[] older = push("bff", "bff-1.0.1", "1.0.1", T0);
    byte[] newer = push("bff", "bff-1.0.2", "1.0.2", T0.plusSeconds(1));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    // Lambda retries a BUSY outcome later; the harness retries it at once.
    Callable<Outcome> a = () -> deliverWithRetries(h, older);
    Callable<Outcome> b = () -> deliverWithRetries(h, newer);
    var fa = pool.submit(a);
    var fb = pool.submit(b);
    fa.get();
    fb.get();
    pool.shutdown();

    assertThat(fx.releaseValue("bff")).endsWith(Events.digest("bff-1.0.2"));
    assertThat(fx.currentTaskDefinition("bff").taskDefinition().containerDefinitions().get(0).image())
        .endsWith(Events.digest("bff-1.0.2"));
    assertThat(handler().deployer().ledger().findRollingOut("bff").orElseThrow().digest())
        .isEqualTo(Events.digest("bff-1.0.2"));
  }

  private static Outcome deliverWithRetries(ImageDeployerHandler h, byte[] event) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        return h.handle(event);
      } catch (RetryableException e) {
        if (attempt > 50) throw e;
        Thread.sleep(50);
      }
    }
  }

  @Test
  void aPushMakesSevenApiCallsAndSupersedingThePreviousRolloutCostsNoMore() {
    var counter = new io.gitops.lambdas.core.ApiCallCounter();
    ImageDeployerHandler h = handler(counter);
    Map<String, Integer> perPush = new java.util.TreeMap<>(Map.of("DynamoDb.TransactWriteItems", 2,
        "Ecs.DescribeServices", 1, "Ecs.DescribeTaskDefinition", 1, "Ecs.RegisterTaskDefinition", 1,
        "Ecs.UpdateService", 1, "Ssm.PutParameter", 1));

    assertThat(h.handle(push("bff", "bff-1.0.1", "1.0.1", T0)).action()).isEqualTo(Outcome.Action.DEPLOYED);
    Map<String, Integer> first = counter.snapshot();
    counter.reset();
    assertThat(h.handle(push("bff", "bff-1.0.2", "1.0.2", T0.plusSeconds(60))).action())
        .isEqualTo(Outcome.Action.DEPLOYED);
    Map<String, Integer> superseding = counter.snapshot();

    System.out.printf("[api calls] first push %d %s; superseding push %d %s%n", first.values().stream()
        .mapToInt(Integer::intValue).sum(), first, superseding.values().stream().mapToInt(Integer::intValue).sum(),
        superseding);
    assertThat(first).isEqualTo(perPush);
    assertThat(superseding).isEqualTo(perPush);
    assertThat(handler().deployer().ledger().find("bff", Events.digest("bff-1.0.1")).orElseThrow().status())
        .isEqualTo(DeploymentStatus.SUPERSEDED);
  }

  @Test
  void anUnknownRepositoryIsSkippedWithoutAnyAwsCall() {
    var counter = new io.gitops.lambdas.core.ApiCallCounter();

    Outcome o = handler(counter).handle(Events.resource("events/ecr-push-unmapped.json"));

    assertThat(o.action()).isEqualTo(Outcome.Action.SKIPPED);
    assertThat(o.code()).isEqualTo("UNKNOWN_REPOSITORY");
    assertThat(counter.total()).isZero();
  }

  @Test
  void aMissingServiceIsAPermanentFailureThatIsRecordedAndNotified() {
    Outcome o = handler().handle(push("agentcore", "agentcore-0.9.0", "0.9.0", T0));

    assertThat(o.action()).isEqualTo(Outcome.Action.FAILED);
    assertThat(o.reason()).contains("agentcore").contains("not found");
    Deployment d = handler().deployer().ledger().find("agentcore", Events.digest("agentcore-0.9.0")).orElseThrow();
    assertThat(d.status()).isEqualTo(DeploymentStatus.FAILED);
    assertThat(d.reasons()).anyMatch(r -> r.contains("not found"));
    List<String> notes = fx.notifications();
    assertThat(notes).hasSize(1);
    var note = Json.object(Json.parse(notes.get(0)), "$");
    assertThat(note.get("event").asString()).isEqualTo("DEPLOYMENT_FAILED");
    assertThat(note.get("service").asString()).isEqualTo("agentcore");
  }

  @Test
  void aRetryAfterATransientFailureResumesWithoutASecondRevision() {
    // UpdateService fails once at the connection level; an interceptor's exception is not retried by the
    // SDK, so the invocation fails as it would after the SDK's retries ran out.
    AtomicInteger failuresLeft = new AtomicInteger(1);
    ExecutionInterceptor flaky = new ExecutionInterceptor() {
      @Override
      public void beforeTransmission(Context.BeforeTransmission c, ExecutionAttributes a) {
        if ("UpdateService".equals(a.getAttribute(SdkExecutionAttribute.OPERATION_NAME))
            && failuresLeft.getAndDecrement() > 0) {
          throw SdkClientException.create("injected: connection reset");
        }
      }
    };
    ImageDeployerHandler h = handler(flaky);
    byte[] event = Events.resource("events/ecr-push-bff.json");

    assertThatThrownBy(() -> h.handle(event)).isInstanceOf(RetryableException.class);
    Outcome retried = h.handle(event);

    assertThat(retried.action()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(fx.revisions("bff")).hasSize(2);
    assertThat(fx.releaseValue("bff")).endsWith(Events.digest("bff-1.0.1"));
  }

  /**
   * A crash after each step of the rollout (simulated by a connection failure of the next call, after
   * which the invocation gives up): the retry finds the revision already registered (by its digest tag),
   * registers no second one, and records what the service ran before exactly as an uninterrupted rollout.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"UpdateService,1", "PutParameter,1", "TransactWriteItems,2"})
  void aRetryAfterAnInterruptionAtAnyStepResumesWithoutASecondRevision(String operation, int failOnCall) {
    String before = fx.currentTaskDefinition("bff").taskDefinition().taskDefinitionArn();
    AtomicInteger seen = new AtomicInteger();
    AtomicInteger failuresLeft = new AtomicInteger(1);
    ExecutionInterceptor crash = new ExecutionInterceptor() {
      @Override
      public void beforeTransmission(Context.BeforeTransmission c, ExecutionAttributes a) {
        if (operation.equals(a.getAttribute(SdkExecutionAttribute.OPERATION_NAME))
            && seen.incrementAndGet() == failOnCall && failuresLeft.getAndDecrement() > 0) {
          throw SdkClientException.create("injected: connection reset");
        }
      }
    };
    var counter = new io.gitops.lambdas.core.ApiCallCounter();
    ImageDeployerHandler h = handler(crash, counter);
    byte[] event = Events.resource("events/ecr-push-bff.json");

    assertThatThrownBy(() -> h.handle(event)).isInstanceOf(RetryableException.class);
    Outcome retried = h.handle(event);

    assertThat(retried.action()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(fx.revisions("bff")).hasSize(2);
    assertThat(counter.snapshot()).containsEntry("Ecs.RegisterTaskDefinition", 1);
    Deployment d = handler().deployer().ledger().find("bff", Events.digest("bff-1.0.1")).orElseThrow();
    assertThat(d.phase()).isEqualTo(Phase.RELEASED);
    assertThat(d.newTaskDefinitionArn()).isEqualTo(retried.revision()).isNotEqualTo(before);
    assertThat(d.previousTaskDefinitionArn()).isEqualTo(before);
    assertThat(d.previousImage()).isEqualTo(AwsFixture.PLACEHOLDER_IMAGE);
    assertThat(fx.releaseValue("bff")).endsWith(Events.digest("bff-1.0.1"));
  }

  @Test
  void logsAreOneJsonObjectPerLineCarryingServiceDigestTagAndRevision() {
    Outcome o = handler().handle(Events.resource("events/ecr-push-bff.json"));

    List<Map<String, software.amazon.awssdk.protocols.jsoncore.JsonNode>> lines = new ArrayList<>();
    logs.toString(StandardCharsets.UTF_8).lines().forEach(l -> lines.add(Json.object(Json.parse(l), "$")));
    var rolledOut = lines.stream().filter(l -> l.containsKey("message")
        && l.get("message").asString().equals("rolled out")).findFirst().orElseThrow();
    assertThat(rolledOut.get("service").asString()).isEqualTo("bff");
    assertThat(rolledOut.get("digest").asString()).isEqualTo(Events.digest("bff-1.0.1"));
    assertThat(rolledOut.get("tag").asString()).isEqualTo("1.0.1");
    assertThat(rolledOut.get("revision").asString()).isEqualTo(o.revision());
  }

  @Test
  void metricsAreWrittenInTheEmbeddedMetricFormat() {
    handler().handle(Events.resource("events/ecr-push-bff.json"));
    handler().handle(Events.resource("events/ecr-push-bff-latest.json"));

    List<Map<String, software.amazon.awssdk.protocols.jsoncore.JsonNode>> emf = new ArrayList<>();
    logs.toString(StandardCharsets.UTF_8).lines().map(l -> Json.object(Json.parse(l), "$"))
        .filter(l -> l.containsKey("_aws")).forEach(emf::add);
    assertThat(emf).anyMatch(m -> m.containsKey("DeploymentsStarted"));
    assertThat(emf).anyMatch(m -> m.containsKey("DeploymentLatency"));
    assertThat(emf).anyMatch(m -> m.containsKey("DeploymentsSkipped") && m.get("Reason").asString().equals("TAG_POLICY"));
    assertThat(emf).allMatch(m -> m.containsKey("ColdStart") && m.containsKey("Function"));
  }
}
