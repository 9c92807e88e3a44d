package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Failures;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.TimeBudget;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.deployer.Outcome;
import io.gitops.lambdas.guard.GuardOutcome.Action;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.FaultProxy;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import io.gitops.lambdas.testing.PlannedFaults;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;
import software.amazon.awssdk.services.ecs.model.UpdateServiceRequest;
import software.amazon.awssdk.services.ecs.model.UpdateServiceResponse;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * One regression test per hole of issue 12 (holes 2 to 8; hole 1 is in LedgerTest, the headline in GuardTest
 * and the sandbox's BrokenFirstPushTest). Each says what happened before the fix.
 */
@ExtendWith(MotoExtension.class)
class ReleaseStateHolesTest {
  private GuardHarness h;
  private FaultProxy proxy;

  @BeforeEach
  void provision(MotoServer moto) {
    h = new GuardHarness(moto.endpoint());
    proxy = new FaultProxy(moto.endpoint(), 0, 0, List.of(FaultProxy.Fault.SERVER_ERROR));
  }

  @AfterEach
  void close() {
    proxy.close();
  }

  private AwsClients via(software.amazon.awssdk.core.interceptor.ExecutionInterceptor... interceptors) {
    return AwsFixture.functionClients(proxy.endpoint(), AwsFixture.FAST_SDK, interceptors);
  }

  private GuardHandler guard(AwsClients clients) {
    return new GuardHandler(h.config(), GuardConfig.from(h.env), clients, tg -> List.of(), HttpProbeCheck.HTTP,
        h.out, h.clock);
  }

  private Ledger ledgerVia(AwsClients clients) {
    return new Ledger(clients.dynamo(), h.fx.ledgerTable(), Clock.systemUTC(), Duration.ofMinutes(2));
  }

  private static Map<String, software.amazon.awssdk.protocols.jsoncore.JsonNode> note(String body) {
    return Json.object(Json.parse(body), "$");
  }

  // --- Hole 2: cancellation reasons -------------------------------------------------------------------------

  /** Before: the TransactionConflict cancellation was taken for "no longer ROLLING_OUT": the HEALTHY mark dropped. */
  @Test
  void hole2_aTransactionConflictOnTheHealthyMarkIsRetriedNotTakenForALostRace() {
    h.deploy("bff", "good");
    Ledger conflicted = ledgerVia(via(new PlannedFaults().on("TransactWriteItems", "TXN_CONFLICT", 1, 1)));

    boolean marked = conflicted.transition("bff", Events.digest("good"), DeploymentStatus.ROLLING_OUT,
        DeploymentStatus.HEALTHY, "checks passed");

    assertThat(marked).isTrue();
    assertThat(h.deployment("bff", "good").status()).isEqualTo(DeploymentStatus.HEALTHY);
    assertThat(h.ledger().head("bff").orElseThrow().lastHealthyDigest()).isEqualTo(Events.digest("good"));
    assertThat(proxy.plannedInjected()).containsEntry("TXN_CONFLICT", 1);
  }

  /** Before: a lasting conflict returned false (a lost race, final); now it is transient and Lambda retries. */
  @Test
  void hole2_aConflictThatLastsIsTransientSoTheEventIsRetried() {
    h.deploy("bff", "good");
    Ledger conflicted = ledgerVia(via(new PlannedFaults().on("TransactWriteItems", "TXN_CONFLICT", 5, 1)));

    assertThatThrownBy(() -> conflicted.transition("bff", Events.digest("good"), DeploymentStatus.ROLLING_OUT,
        DeploymentStatus.HEALTHY, "checks passed"))
        .isInstanceOfSatisfying(TransactionCanceledException.class, e -> assertThat(Failures.isTransient(e)).isTrue());
    assertThat(h.deployment("bff", "good").status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
  }

  /** Before: TooManyUpdates and TransactionConflict were permanent; a ConditionalCheckFailed cancellation stays final. */
  @Test
  void hole2_ssmTooManyUpdatesAndDynamoTransactionConflictsAreTransient() {
    assertThat(Failures.isTransient(SsmException.builder().statusCode(400).awsErrorDetails(
        AwsErrorDetails.builder().errorCode("TooManyUpdates").build()).build())).isTrue();
    assertThat(Failures.isTransient(software.amazon.awssdk.services.dynamodb.model.TransactionConflictException
        .builder().statusCode(400).awsErrorDetails(AwsErrorDetails.builder().errorCode("TransactionConflictException")
            .build()).build())).isTrue();
    TransactionCanceledException lost = TransactionCanceledException.builder().statusCode(400)
        .cancellationReasons(CancellationReason.builder().code("ConditionalCheckFailed").build(),
            CancellationReason.builder().code("None").build()).build();
    assertThat(Failures.isTransient(lost)).isFalse();
    assertThat(Failures.conditionsFailedOnly(lost)).isTrue();
  }

  // --- Hole 3: a late permanent failure ---------------------------------------------------------------------

  /** Before: FAILED in the ledger while ECS ran the new image, unguarded, and the parameter named the old one. */
  @Test
  void hole3_aPermanentFailureAfterUpdateServicePutsTheServiceBackAndSaysSo() {
    String before = h.serviceRevision("bff");
    h.fx.notifications();
    ImageDeployerHandler deployer = new ImageDeployerHandler(h.config(),
        via(new PlannedFaults().on("PutParameter", "ACCESS_DENIED", 1, 1)), h.out, Clock.systemUTC());

    Outcome o = deployer.handle(Events.bytes(Events.ecrPush("bff", Events.digest("new"), "1.0.1", Instant.now())));

    assertThat(o.action()).isEqualTo(Outcome.Action.FAILED);
    assertThat(h.serviceRevision("bff")).isEqualTo(before);
    assertThat(h.fx.releaseValue("bff")).isEqualTo(AwsFixture.PLACEHOLDER_IMAGE);
    assertThat(h.deployment("bff", "new").status()).isEqualTo(DeploymentStatus.FAILED);
    var n = note(h.fx.notifications().get(0));
    assertThat(n.get("event").asString()).isEqualTo("DEPLOYMENT_FAILED");
    assertThat(n.get("compensation").asString()).startsWith("service restored to " + before);
  }

  // --- Hole 4: rollback targets ------------------------------------------------------------------------------

  /** Before: UpdateService to the INACTIVE revision (AWS refuses it); now the guard registers it again first. */
  @Test
  void hole4_anInactiveRollbackTargetIsRegisteredAgainFromItsDefinition() {
    GuardHandler g = h.guard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String bad = h.deploy("bff", "bad");
    h.fx.clients().ecs().deregisterTaskDefinition(b -> b.taskDefinition(good));

    h.crash(g, "bff", bad);
    GuardOutcome o = h.crash(g, "bff", bad);

    assertThat(o.action()).as(o.reason()).isEqualTo(Action.ROLLED_BACK);
    String restored = h.serviceRevision("bff");
    assertThat(restored).isNotEqualTo(good).isNotEqualTo(bad);
    var td = h.fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(restored).include(TaskDefinitionField.TAGS));
    assertThat(td.taskDefinition().statusAsString()).isEqualTo("ACTIVE");
    assertThat(td.taskDefinition().containerDefinitions().get(0).image()).isEqualTo(h.image("bff", "good"));
    assertThat(td.tags()).anyMatch(t -> t.key().equals("gitops:restored-from") && t.value().equals(good));
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "good"));
  }

  /** Before: the pipeline's config-only revision of a known digest was ignored; a rollback restored the old config. */
  @Test
  void hole4_aConfigOnlyPipelineDeploymentBecomesTheRollbackTargetOnceItCompletes() {
    GuardHandler g = h.guard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    var current = h.fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(good)).taskDefinition();
    String config = h.fx.clients().ecs().registerTaskDefinition(RegisterTaskDefinitionRequest.builder()
        .family(current.family()).networkMode(current.networkMode()).cpu(current.cpu()).memory(current.memory())
        .requiresCompatibilitiesWithStrings(current.requiresCompatibilitiesAsStrings())
        .containerDefinitions(current.containerDefinitions().get(0).toBuilder()
            .environment(KeyValuePair.builder().name("FEATURE").value("on").build()).build()).build())
        .taskDefinition().taskDefinitionArn();
    h.fx.clients().ecs().updateService(b -> b.cluster(h.fx.cluster()).service("bff").taskDefinition(config));
    h.fx.clients().ecs().deregisterTaskDefinition(b -> b.taskDefinition(good));
    h.advance(Duration.ofMinutes(5));
    GuardOutcome completed = g.handle(h.pipelineCompleted("bff"));
    assertThat(completed.code()).isEqualTo("PIPELINE_DEPLOYMENT");
    assertThat(h.ledger().head("bff").orElseThrow().lastHealthyTaskDefinitionArn()).isEqualTo(config);

    String bad = h.deploy("bff", "bad");
    h.crash(g, "bff", bad);
    GuardOutcome o = h.crash(g, "bff", bad);

    assertThat(o.action()).as(o.reason()).isEqualTo(Action.ROLLED_BACK);
    assertThat(h.serviceRevision("bff")).isEqualTo(config);
  }

  // --- Hole 5: deployment events by identity ---------------------------------------------------------------

  /** ECS's UpdateService answer: a new PRIMARY deployment with an id (moto keeps its one old deployment). */
  private static final class PrimaryDeployment implements ExecutionInterceptor {
    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
      if (context.response() instanceof UpdateServiceResponse r && context.request() instanceof UpdateServiceRequest q
          && q.taskDefinition() != null) {
        return r.toBuilder().service(r.service().toBuilder().deployments(
            software.amazon.awssdk.services.ecs.model.Deployment.builder().id("ecs-svc/rollout").status("PRIMARY")
                .taskDefinition(q.taskDefinition()).build()).build()).build();
      }
      return context.response();
    }
  }

  /** Before: a COMPLETED of another deployment, dated after the rollout, judged the rollout (matched by time). */
  @Test
  void hole5_aDeploymentEventOfAnotherDeploymentNeverJudgesTheRollout() {
    GuardHandler g = h.guard();
    Outcome pushed = new ImageDeployerHandler(h.config(), via(new PrimaryDeployment()), h.out, Clock.systemUTC())
        .handle(Events.bytes(Events.ecrPush("bff", Events.digest("new"), "1.0.1", Instant.now())));
    String rev = pushed.revision();
    g.handle(GuardEvents.running("bff", h.taskId(), rev, h.version(), h.now()));
    g.handle(GuardEvents.running("bff", h.taskId(), rev, h.version(), h.now()));

    GuardOutcome other = g.handle(deploymentEvent("ecs-svc/someone-else", "SERVICE_DEPLOYMENT_COMPLETED"));
    assertThat(other.code()).isEqualTo("OTHER_DEPLOYMENT");
    assertThat(h.deployment("bff", "new").status()).isEqualTo(DeploymentStatus.ROLLING_OUT);

    GuardOutcome ours = g.handle(deploymentEvent("ecs-svc/rollout", "SERVICE_DEPLOYMENT_COMPLETED"));
    assertThat(ours.action()).as(ours.reason()).isEqualTo(Action.HEALTHY);
  }

  private byte[] deploymentEvent(String id, String name) {
    String arn = "arn:aws:ecs:us-east-1:123456789012:service/test-cluster/bff";
    return Events.bytes(Json.obj().put("version", "0").put("id", java.util.UUID.randomUUID().toString())
        .put("detail-type", "ECS Deployment State Change").put("source", "aws.ecs").put("account", "123456789012")
        .put("time", h.now().toString()).put("region", "us-east-1").put("resources", List.of(arn))
        .put("detail", Json.obj().put("eventType", "INFO").put("eventName", name).put("deploymentId", id)
            .put("updatedAt", h.now().toString()).put("reason", "ECS deployment " + id + " completed.")).toString());
  }

  // --- Hole 6: permanent failures are visible -------------------------------------------------------------

  /** Before: the guard returned FAILED with no notification and no metric. */
  @Test
  void hole6_aPermanentFailureOfTheGuardNotifiesAndCountsInTheFailureMetric() {
    GuardHandler g = h.guard();
    h.fx.clients().ecs().deleteService(b -> b.cluster(h.fx.cluster()).service("graphql").force(true));
    h.fx.notifications();

    GuardOutcome o = g.handle(GuardEvents.completed("graphql", h.now()));

    assertThat(o.action()).isEqualTo(Action.FAILED);
    assertThat(o.code()).isEqualTo("PERMANENT_FAILURE");
    var n = note(h.fx.notifications().get(0));
    assertThat(n.get("event").asString()).isEqualTo("GUARD_FAILED");
    assertThat(h.logText()).contains("\"Dimensions\":[[\"Function\"]]").contains("\"FunctionFailures\":1");
  }

  // --- Hole 7: bounded growth ------------------------------------------------------------------------------

  /** Before: task items had no expiry and lived under TASK#<task>, so the query read the service's whole history. */
  @Test
  void hole7_taskItemsExpireAndLiveUnderTheirRevision() {
    GuardHandler g = h.guard();
    String rev = h.deploy("bff", "good");
    String task = h.taskId();
    g.handle(GuardEvents.running("bff", task, rev, h.version(), h.now()));

    var items = h.fx.clients().dynamo().query(b -> b.tableName(h.fx.ledgerTable())
        .keyConditionExpression("pk = :pk AND begins_with(sk, :p)")
        .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS("SERVICE#bff"),
            ":p", AttributeValue.fromS("TASK#")))).items();
    assertThat(items).singleElement().satisfies(i -> {
      assertThat(i.get("sk").s()).isEqualTo("TASK#" + rev + "#" + GuardEvents.taskArn("test-cluster", task));
      long expires = Long.parseLong(i.get("expiresAt").n());
      assertThat(expires).isBetween(h.now().plus(Duration.ofDays(6)).getEpochSecond(),
          h.now().plus(Duration.ofDays(8)).getEpochSecond());
    });
  }

  // --- Hole 8: time budget ---------------------------------------------------------------------------------

  /** Before: 4 attempts × 5 s, 20 s per call: one deployer event could take 320 s against a 60 s timeout. */
  @Test
  void hole8_theWorstCaseOfBothFunctionsFitsTheFunctionTimeoutWithMargin() {
    LambdaConfig config = h.config();
    Duration probe = GuardConfig.from(h.env).probeTimeout();
    LambdaConfig.SdkSettings defaults = LambdaConfig.SdkSettings.defaults();
    assertThat(TimeBudget.fits(TimeBudget.deployerWorstCase(defaults), config.functionTimeout())).isTrue();
    assertThat(TimeBudget.fits(TimeBudget.guardWorstCase(defaults, probe), config.functionTimeout())).isTrue();
    LambdaConfig.SdkSettings before = new LambdaConfig.SdkSettings(4, Duration.ofMillis(100), Duration.ofSeconds(5),
        Duration.ofSeconds(20), Duration.ofSeconds(5));
    assertThat(TimeBudget.fits(TimeBudget.deployerWorstCase(before), config.functionTimeout())).isFalse();
  }
}
