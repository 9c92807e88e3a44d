package io.gitops.lambdas.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.ListTaskDefinitionsRequest;
import software.amazon.awssdk.services.ecs.model.ListTaskDefinitionsResponse;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionStatus;

/**
 * The revision cleanup on moto: bff has the placeholder revision and six pushes (1..5 HEALTHY, 6 still
 * ROLLING_OUT); the cleanup keeps the last 2 HEALTHY, what runs (the service's deployments), the release and the
 * rollout in flight, and deregisters the three older HEALTHY revisions.
 */
@ExtendWith(MotoExtension.class)
class RevisionCleanupTest {
  private static final Instant T0 = Instant.parse("2026-11-16T01:54:34Z");
  private AwsFixture fx;
  private Ledger ledger;
  private final PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());

  @BeforeEach
  void provision(MotoServer moto) {
    fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    var deployer = new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(fx.endpoint(), AwsFixture.FAST_SDK),
        quiet, Clock.systemUTC());
    ledger = deployer.deployer().ledger();
    for (int i = 1; i <= 6; i++) {
      String digest = Events.digest("bff-" + i);
      deployer.handle(Events.bytes(Events.ecrPush("bff", digest, "1.0." + i, T0.plusSeconds(60L * i))));
      if (i < 6) {
        ledger.transition("bff", digest, DeploymentStatus.ROLLING_OUT, DeploymentStatus.HEALTHY, "checks passed",
            ledger.find("bff", digest).orElseThrow().newTaskDefinitionArn());
      }
    }
  }

  private RevisionCleanupHandler handler() {
    return new RevisionCleanupHandler(fx.config(), Map.of(EnvVar.CLEANUP_DRY_RUN, "false",
        EnvVar.CLEANUP_KEEP_HEALTHY, "2"), fx.clients(), quiet, Clock.systemUTC());
  }

  private RevisionCleanup.Report run(boolean dryRun) {
    return handler().handle(("{\"dryRun\":" + dryRun + "}").getBytes(StandardCharsets.UTF_8));
  }

  private String revision(int push) {
    return ledger.find("bff", Events.digest("bff-" + push)).orElseThrow().newTaskDefinitionArn();
  }

  private String placeholder() {
    return fx.clients().ecs().describeServices(b -> b.cluster(fx.cluster()).services("bff")).services().get(0)
        .deployments().get(0).taskDefinition();
  }

  private List<String> listed(TaskDefinitionStatus status) {
    return fx.clients().ecs().listTaskDefinitions(b -> b.familyPrefix("bff").status(status)).taskDefinitionArns();
  }

  @Test
  void aDryRunReportsAndChangesNothing() {
    RevisionCleanup.Report r = run(true);

    assertThat(r.services().get(0).deregistered()).containsExactlyInAnyOrder(revision(1), revision(2), revision(3));
    assertThat(listed(TaskDefinitionStatus.ACTIVE)).hasSize(7);
  }

  @Test
  void keepsWhatRunsTheReleaseTheLastHealthyAndTheRolloutInFlight() {
    RevisionCleanup.Report r = run(false);

    assertThat(r.deregistered()).isEqualTo(3);
    // 6 runs and is the release (ROLLING_OUT), 5 is what it replaced and the last HEALTHY, 4 the one before; the
    // placeholder revision is still a deployment of the service in moto (it never retires one: emulator-gaps.md)
    assertThat(listed(TaskDefinitionStatus.ACTIVE)).containsExactlyInAnyOrder(placeholder(), revision(4), revision(5),
        revision(6));
  }

  @Test
  void aLaterRunDeletesWhatAnEarlierOneDeregisteredAndThenFindsNothing() {
    run(false);
    RevisionCleanup.Report second = run(false);
    RevisionCleanup.Report third = run(false);

    assertThat(second.deleted()).isEqualTo(3);
    assertThat(second.deregistered()).isZero();
    assertThat(listed(TaskDefinitionStatus.INACTIVE)).isEmpty();
    assertThat(third.deleted() + third.deregistered()).isZero();
  }

  @Test
  void aServiceWhoseRolloutHoldsTheLockIsLeftAlone() {
    fx.clients().dynamo().updateItem(b -> b.tableName(fx.ledgerTable())
        .key(io.gitops.lambdas.core.LedgerItems.headKey("bff")).updateExpression("SET lockToken = :t, lockUntil = :u")
        .expressionAttributeValues(Map.of(":t", io.gitops.lambdas.core.Attributes.s("x"),
            ":u", io.gitops.lambdas.core.Attributes.n(Instant.now().plusSeconds(60).toEpochMilli()))));

    RevisionCleanup.Report r = run(false);

    assertThat(r.services().get(0).skipped()).contains("lock");
    assertThat(listed(TaskDefinitionStatus.ACTIVE)).hasSize(7);
  }

  /** moto answers ListTaskDefinitions in one page; ECS pages (nextToken): every page is read. */
  @Test
  void everyPageOfRevisionsIsRead() {
    String arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/bff:";
    EcsClient paged = new EcsClient() {
      @Override
      public ListTaskDefinitionsResponse listTaskDefinitions(ListTaskDefinitionsRequest request) {
        return request.nextToken() == null
            ? ListTaskDefinitionsResponse.builder().taskDefinitionArns(arn + 2, arn + 1,
                "arn:aws:ecs:us-east-1:123456789012:task-definition/bff-worker:1").nextToken("page2").build()
            : ListTaskDefinitionsResponse.builder().taskDefinitionArns(arn + 3).build();
      }

      @Override
      public String serviceName() {
        return "ecs";
      }

      @Override
      public void close() {}
    };
    RevisionCleanup cleanup = new RevisionCleanup(paged, null, null, null, null, 1);

    assertThat(cleanup.revisions("bff", TaskDefinitionStatus.ACTIVE)).containsExactly(arn + 1, arn + 2, arn + 3);
  }
}
