package io.gitops.lambdas.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.deployer.Outcome;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The operator's levers on moto: a freeze stops the image deployer's rollouts (the push is recorded FROZEN), and
 * a manual rollback goes through the ledger under the deployer's lock and never onto a failed release.
 */
@ExtendWith(MotoExtension.class)
class ReleaseCommandsTest {
  private static final Instant T0 = Instant.parse("2026-11-16T01:54:34Z");

  private AwsFixture fx;
  private ImageDeployerHandler deployer;
  private Ledger ledger;
  private Freezes freezes;
  private ServiceTarget bff;

  @BeforeEach
  void provision(MotoServer moto) {
    fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    deployer = new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(fx.endpoint(), AwsFixture.FAST_SDK),
        new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());
    ledger = deployer.deployer().ledger();
    freezes = new Freezes(fx.clients().dynamo(), fx.ledgerTable(), Clock.systemUTC());
    bff = fx.target("bff");
  }

  private Outcome push(String label, String tag, int minute) {
    return deployer.handle(Events.bytes(Events.ecrPush("bff", Events.digest(label), tag, T0.plusSeconds(60L * minute))));
  }

  private void healthy(String label) {
    String digest = Events.digest(label);
    var d = ledger.find("bff", digest).orElseThrow();
    assertThat(ledger.transition("bff", digest, DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY, "checks passed",
        d.newTaskDefinitionArn())).isTrue();
  }

  private ManualRollback rollback() {
    return new ManualRollback(fx.clients().dynamo(), fx.ledgerTable(), fx.clients().ecs(),
        new ReleaseParameters(fx.clients().ssm()), new Notifier(fx.clients().sns(), fx.topicArn()),
        Clock.systemUTC(), Duration.ofMinutes(2), "test");
  }

  private String image(String label) {
    return bff.repositoryUri() + "@" + Events.digest(label);
  }

  @Test
  void aPushToAFrozenServiceIsRecordedFrozenAndNotRolledOut() {
    assertThat(push("bff-1.0.1", "1.0.1", 0).action()).isEqualTo(Outcome.Action.DEPLOYED);
    healthy("bff-1.0.1");
    freezes.freeze("bff", "incident 42", "alice");

    Outcome o = push("bff-1.0.2", "1.0.2", 1);

    assertThat(o.action()).isEqualTo(Outcome.Action.SKIPPED);
    assertThat(o.code()).isEqualTo("FROZEN");
    assertThat(o.reason()).contains("incident 42");
    assertThat(ledger.find("bff", Events.digest("bff-1.0.2")).orElseThrow().status()).isEqualTo(DeploymentStatus.FROZEN);
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.1"));
    assertThat(fx.revisions("bff")).hasSize(2);
  }

  @Test
  void anEnvironmentFreezeStopsEveryServiceAndARedeliveryStaysSkipped() {
    freezes.freeze(null, "change freeze", "alice");

    assertThat(push("bff-1.0.1", "1.0.1", 0).code()).isEqualTo("FROZEN");
    assertThat(push("bff-1.0.1", "1.0.1", 0).code()).isEqualTo("FROZEN");

    assertThat(fx.revisions("bff")).hasSize(1);
  }

  @Test
  void afterUnfreezeNothingIsReplayedAndANewPushOfTheFrozenDigestRollsItOut() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    freezes.freeze("bff", "incident", "alice");
    push("bff-1.0.2", "1.0.2", 1);

    assertThat(freezes.unfreeze("bff")).isTrue();
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.1"));

    assertThat(push("bff-1.0.2", "1.0.2-again", 2).action()).isEqualTo(Outcome.Action.DEPLOYED);
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.2"));
    assertThat(ledger.find("bff", Events.digest("bff-1.0.2")).orElseThrow().status())
        .isEqualTo(DeploymentStatus.ROLLING_OUT);
  }

  @Test
  void rollbackRestoresThePreviousHealthyReleaseRecordsItAndNotifies() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    String good = ledger.find("bff", Events.digest("bff-1.0.1")).orElseThrow().newTaskDefinitionArn();
    push("bff-1.0.2", "1.0.2", 1);
    healthy("bff-1.0.2");
    fx.notifications();

    var r = rollback().rollback(bff, null, "alice");

    assertThat(r.toDigest()).isEqualTo(Events.digest("bff-1.0.1"));
    assertThat(r.revision()).isEqualTo(good);
    assertThat(r.ledgerUpdated()).isTrue();
    assertThat(fx.currentTaskDefinition("bff").taskDefinition().taskDefinitionArn()).isEqualTo(good);
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.1"));
    assertThat(ledger.find("bff", Events.digest("bff-1.0.2")).orElseThrow().status())
        .isEqualTo(DeploymentStatus.ROLLED_BACK);
    assertThat(ledger.head("bff").orElseThrow().lastHealthyDigest()).isEqualTo(Events.digest("bff-1.0.1"));
    assertThat(ledger.head("bff").orElseThrow().lockToken()).isNull();
    assertThat(fx.notifications()).singleElement().asString().contains("MANUAL_ROLLBACK")
        .contains(Events.digest("bff-1.0.1")).contains("alice");
  }

  @Test
  void rollbackToTheFrozenPushRollsItOutForTheGuardToJudge() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    freezes.freeze("bff", "incident", "alice");
    push("bff-1.0.2", "1.0.2", 1);
    freezes.unfreeze("bff");

    var r = rollback().rollback(bff, Events.digest("bff-1.0.2"), "alice");

    var d = ledger.find("bff", Events.digest("bff-1.0.2")).orElseThrow();
    assertThat(d.status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
    assertThat(d.newTaskDefinitionArn()).isEqualTo(r.revision());
    assertThat(ledger.findRollingOut("bff")).isPresent();
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.2"));
    assertThat(ledger.find("bff", Events.digest("bff-1.0.1")).orElseThrow().status()).isEqualTo(DeploymentStatus.HEALTHY);
  }

  @Test
  void aFrozenPushIsNotRolledOutByHandWhileTheFreezeHolds() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    freezes.freeze("bff", "incident", "alice");
    push("bff-1.0.2", "1.0.2", 1);

    assertThatThrownBy(() -> rollback().rollback(bff, Events.digest("bff-1.0.2"), "alice"))
        .isInstanceOf(RollbackRefused.class).hasMessageContaining("unfreeze");
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.1"));
  }

  @Test
  void rollbackRefusesAFailedTargetAndAServiceUnderJudgement() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    push("bff-1.0.2", "1.0.2", 1);

    assertThatThrownBy(() -> rollback().rollback(bff, null, "alice")).isInstanceOf(RollbackRefused.class)
        .hasMessageContaining("still judging");
    ledger.transition("bff", Events.digest("bff-1.0.2"), DeploymentStatus.ROLLING_OUT, DeploymentStatus.ROLLED_BACK,
        "failed");
    assertThatThrownBy(() -> rollback().rollback(bff, Events.digest("bff-1.0.2"), "alice"))
        .isInstanceOf(RollbackRefused.class).hasMessageContaining("ROLLED_BACK");
    assertThatThrownBy(() -> rollback().rollback(bff, "sha256:nope", "alice"))
        .isInstanceOf(RollbackRefused.class).hasMessageContaining("malformed digest");
    assertThat(ledger.head("bff").orElseThrow().lockToken()).isNull();
  }

  @Test
  void aPushDuringARollbackFindsTheServiceLocked() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    push("bff-1.0.2", "1.0.2", 1);
    healthy("bff-1.0.2");
    // The operator's lock, as the rollback holds it between its first and last step.
    fx.clients().dynamo().updateItem(b -> b.tableName(fx.ledgerTable())
        .key(io.gitops.lambdas.core.LedgerItems.headKey("bff"))
        .updateExpression("SET lockToken = :t, lockUntil = :u")
        .expressionAttributeValues(java.util.Map.of(":t", io.gitops.lambdas.core.Attributes.s("op"),
            ":u", io.gitops.lambdas.core.Attributes.n(Instant.now().plusSeconds(60).toEpochMilli()))));

    assertThat(ledger.claim(io.gitops.lambdas.core.Deployment.builder().service("bff").cluster(bff.cluster())
        .digest(Events.digest("bff-1.0.3")).tag("1.0.3").repository("bff").image(image("bff-1.0.3")).eventId("e3")
        .pushTime(T0.plusSeconds(180)).status(DeploymentStatus.ROLLING_OUT)
        .phase(io.gitops.lambdas.core.Phase.CLAIMED).owner(io.gitops.lambdas.core.Owner.IMAGE_DEPLOYER).build()))
        .isInstanceOf(Ledger.Claim.Busy.class);
    assertThatThrownBy(() -> rollback().rollback(bff, null, "bob")).isInstanceOf(RollbackRefused.class)
        .hasMessageContaining("holds the lock");
  }

  /**
   * Issue 20, finding 11. Before: the held-back push, released by hand two hours after it was recorded, kept its
   * old {@code createdAt} (the guard's grace period and its cutoff for older events count from it) and got no
   * {@code ecsDeploymentId}, so any deployment's event could judge it.
   */
  @Test
  void aFrozenPushReleasedLaterGetsItsDeploymentIdAndStartsItsRolloutNow() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    freezes.freeze("bff", "incident", "alice");
    // Recorded FROZEN two hours ago.
    new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(fx.endpoint(), AwsFixture.FAST_SDK),
        new PrintStream(OutputStream.nullOutputStream()), Clock.offset(Clock.systemUTC(), Duration.ofHours(-2)))
        .handle(Events.bytes(Events.ecrPush("bff", Events.digest("bff-1.0.2"), "1.0.2", T0.plusSeconds(60))));
    freezes.unfreeze("bff");
    Instant recorded = ledger.find("bff", Events.digest("bff-1.0.2")).orElseThrow().createdAt();
    Clock later = Clock.systemUTC();
    software.amazon.awssdk.core.interceptor.ExecutionInterceptor primary = new software.amazon.awssdk.core.interceptor
        .ExecutionInterceptor() {
      @Override
      public software.amazon.awssdk.core.SdkResponse modifyResponse(
          software.amazon.awssdk.core.interceptor.Context.ModifyResponse context,
          software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
        // ECS's UpdateService answer: the new deployment as PRIMARY, with its own id (moto keeps its old one).
        if (context.response() instanceof software.amazon.awssdk.services.ecs.model.UpdateServiceResponse r
            && context.request() instanceof software.amazon.awssdk.services.ecs.model.UpdateServiceRequest q) {
          return r.toBuilder().service(r.service().toBuilder().deployments(software.amazon.awssdk.services.ecs.model
              .Deployment.builder().id("ecs-svc/by-hand").status("PRIMARY").taskDefinition(q.taskDefinition()).build())
              .build()).build();
        }
        return context.response();
      }
    };
    var ecs = AwsFixture.functionClients(fx.endpoint(), AwsFixture.FAST_SDK, primary).ecs();

    new ManualRollback(fx.clients().dynamo(), fx.ledgerTable(), ecs, new ReleaseParameters(fx.clients().ssm()),
        new Notifier(fx.clients().sns(), fx.topicArn()), later, Duration.ofMinutes(2), "test")
        .rollback(bff, Events.digest("bff-1.0.2"), "alice");

    var view = new io.gitops.lambdas.guard.GuardLedger(fx.clients().dynamo(), fx.ledgerTable(), later).view("bff");
    var current = view.current().orElseThrow();
    assertThat(current.deployment().digest()).isEqualTo(Events.digest("bff-1.0.2"));
    assertThat(current.deployment().createdAt()).isAfter(recorded.plus(Duration.ofHours(1)))
        .isBetween(Instant.now().minusSeconds(30), Instant.now().plusSeconds(5));
    assertThat(current.ecsDeploymentId()).hasValue("ecs-svc/by-hand");
  }

  /**
   * Issue 20, finding 9. Before: the operator's machine ran ten minutes ahead; its lock condition compared the
   * deployer's lock with that clock, found it lapsed, and the rollback's UpdateService interleaved with a push's
   * rollout in flight. Now the lock is dated by AWS's clock (the Date of the head's read).
   */
  @Test
  void anOperatorMachineWhoseClockRunsAheadDoesNotTakeTheLockOfARolloutInFlight() {
    push("bff-1.0.1", "1.0.1", 0);
    healthy("bff-1.0.1");
    push("bff-1.0.2", "1.0.2", 1);
    healthy("bff-1.0.2");
    var inFlight = ledger.claim(new io.gitops.lambdas.core.Deployment("bff", fx.cluster(), Events.digest("bff-1.0.3"),
        "1.0.3", "bff", image("bff-1.0.3"), "push-3", T0.plusSeconds(180), DeploymentStatus.ROLLING_OUT,
        io.gitops.lambdas.core.Phase.CLAIMED, io.gitops.lambdas.core.Owner.IMAGE_DEPLOYER, null, null, null, 0,
        java.util.Set.of(), java.util.List.of(), null, null));
    assertThat(inFlight).isInstanceOf(Ledger.Claim.Acquired.class);
    Clock aheadByTenMinutes = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10));

    assertThatThrownBy(() -> new ManualRollback(fx.clients().dynamo(), fx.ledgerTable(), fx.clients().ecs(),
        new ReleaseParameters(fx.clients().ssm()), new Notifier(fx.clients().sns(), fx.topicArn()), aheadByTenMinutes,
        Duration.ofMinutes(2), "test").rollback(bff, null, "alice"))
        .isInstanceOf(RollbackRefused.class).hasMessageContaining("holds the lock");
    assertThat(fx.releaseValue("bff")).isEqualTo(image("bff-1.0.2"));
  }
}
