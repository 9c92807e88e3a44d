package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.guard.GuardOutcome.Action;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.ecs.model.ClientException;
import software.amazon.awssdk.services.ecs.model.DescribeServicesResponse;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.UpdateServiceRequest;

/**
 * Issue 20's findings about the guard, one regression test each (finding 1 is in LedgerTest and the pipeline's
 * FirstPushTest). Each says what happened before the fix. Where ECS does what moto does not (a PRIMARY deployment
 * per UpdateService, pending tasks, refusing to describe an INACTIVE revision), an interceptor on the guard's
 * clients plays it.
 */
@ExtendWith(MotoExtension.class)
class Issue20FindingsTest {
  private GuardHarness h;

  @BeforeEach
  void provision(MotoServer moto) {
    h = new GuardHarness(moto.endpoint());
    h.env.put("TARGET_GROUP_ARNS",
        "{\"bff\":\"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff/0123456789abcdef\"}");
  }

  /** ECS's DescribeServices answer: the PRIMARY deployment's id, desired and pending counts as the test sets them. */
  private static final class EcsView implements ExecutionInterceptor {
    volatile String primaryId;
    volatile Integer desired;
    volatile int pending;
    volatile int running;
    /** Revisions DescribeTaskDefinition refuses (ECS may refuse an INACTIVE one: API reference). */
    final Set<String> refused = ConcurrentHashMap.newKeySet();
    final List<String> updates = new ArrayList<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      if (context.request() instanceof DescribeTaskDefinitionRequest r && refused.contains(r.taskDefinition())) {
        throw ClientException.builder().message("Unable to describe task definition.").statusCode(400)
            .awsErrorDetails(AwsErrorDetails.builder().errorCode("ClientException")
                .errorMessage("Unable to describe task definition.").serviceName("Ecs").build()).build();
      }
      if (context.request() instanceof UpdateServiceRequest u && u.taskDefinition() != null) {
        synchronized (updates) {
          updates.add(u.taskDefinition());
        }
      }
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
      if (!(context.response() instanceof DescribeServicesResponse ds) || !ds.hasServices() || ds.services().isEmpty()) {
        return context.response();
      }
      var svc = ds.services().get(0);
      var b = svc.toBuilder();
      if (primaryId != null) {
        b.deployments(software.amazon.awssdk.services.ecs.model.Deployment.builder().id(primaryId).status("PRIMARY")
            .taskDefinition(svc.taskDefinition()).pendingCount(pending).runningCount(running)
            .desiredCount(desired == null ? svc.desiredCount() : desired).build());
      }
      if (desired != null) b.desiredCount(desired);
      b.pendingCount(pending).runningCount(running);
      return ds.toBuilder().services(b.build()).build();
    }
  }

  private GuardHandler guard(EcsView ecs) {
    AwsClients clients = AwsFixture.functionClients(h.fx.endpoint(), AwsFixture.FAST_SDK, ecs);
    TargetHealth targets = tg -> {
      List<TargetHealth.Target> out = new ArrayList<>();
      h.targetStates.forEach((ip, state) -> out.add(new TargetHealth.Target(ip, java.util.Optional.of(8080), state, "")));
      return out;
    };
    return new GuardHandler(h.config(), GuardConfig.from(h.env), clients, targets, HttpProbeCheck.HTTP, h.out, h.clock);
  }

  /** A configuration-only pipeline deployment of what runs: a new revision of the same image, as CloudFormation's. */
  private String pipelineRevision(String service, String config) {
    String running = h.serviceRevision(service);
    var current = h.fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(running)).taskDefinition();
    String arn = h.fx.clients().ecs().registerTaskDefinition(RegisterTaskDefinitionRequest.builder()
        .family(current.family()).networkMode(current.networkMode()).cpu(current.cpu()).memory(current.memory())
        .requiresCompatibilitiesWithStrings(current.requiresCompatibilitiesAsStrings())
        .containerDefinitions(current.containerDefinitions().get(0).toBuilder()
            .environment(KeyValuePair.builder().name("CONFIG").value(config).build()).build()).build())
        .taskDefinition().taskDefinitionArn();
    h.fx.clients().ecs().updateService(b -> b.cluster(h.fx.cluster()).service(service).taskDefinition(arn));
    return arn;
  }

  // --- Finding 4 --------------------------------------------------------------------------------------------

  /**
   * Before: with no rollout open, a late, re-delivered COMPLETED of pipeline deployment 1 arrived while pipeline
   * deployment 2 was still in progress, and the guard made deployment 2's revision the rollback target
   * ({@code PIPELINE_DEPLOYMENT ... (completed)}), though ECS had not judged it.
   */
  @Test
  void finding4_aLateCompletedOfAnEarlierPipelineDeploymentDoesNotJudgeTheOneInProgress() {
    h.env.remove("TARGET_GROUP_ARNS");
    EcsView ecs = new EcsView();
    GuardHandler g = guard(ecs);
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    ecs.primaryId = "ecs-svc/pipeline-1";
    String first = pipelineRevision("bff", "v1");
    byte[] firstCompleted = GuardEvents.completed("bff", h.now(), "ecs-svc/pipeline-1");
    assertThat(g.handle(firstCompleted).code()).isEqualTo("PIPELINE_DEPLOYMENT");
    assertThat(h.ledger().head("bff").orElseThrow().lastHealthyTaskDefinitionArn()).isEqualTo(first);

    ecs.primaryId = "ecs-svc/pipeline-2";
    String second = pipelineRevision("bff", "v2");
    GuardOutcome late = g.handle(firstCompleted);

    assertThat(late.code()).as(late.reason()).isEqualTo("OTHER_DEPLOYMENT");
    assertThat(h.ledger().head("bff").orElseThrow().lastHealthyTaskDefinitionArn()).isEqualTo(first)
        .isNotEqualTo(second);
    GuardOutcome own = g.handle(GuardEvents.completed("bff", h.now(), "ecs-svc/pipeline-2"));
    assertThat(own.code()).isEqualTo("PIPELINE_DEPLOYMENT");
    assertThat(h.ledger().head("bff").orElseThrow().lastHealthyTaskDefinitionArn()).isEqualTo(second);
  }

  // --- Finding 7 --------------------------------------------------------------------------------------------

  /** Two RUNNING tasks of the rollout whose targets the double reports in {@code states}; then ECS's COMPLETED. */
  private GuardOutcome completeWithTargets(GuardHandler g, String revision, String... states) {
    for (String state : states) {
      String t = h.taskId();
      h.targetStates.put(GuardEvents.ip(t), state);
      g.handle(GuardEvents.running("bff", t, revision, h.version(), h.now()));
    }
    return g.handle(GuardEvents.completed("bff", h.now()));
  }

  /** Before: a task auto scaling had just added (its target {@code initial}) failed target-health: rolled back. */
  @Test
  void finding7_anInitialTargetOfANewTaskAtCompletionIsNotAFailure() {
    GuardHandler g = guard(new EcsView());
    String rev = h.deploy("bff", "good");

    GuardOutcome o = completeWithTargets(g, rev, "healthy", "healthy", "initial");

    assertThat(o.action()).as(o.reason() + " " + o.checks()).isEqualTo(Action.HEALTHY);
    assertThat(h.serviceRevision("bff")).isEqualTo(rev);
  }

  /** Before: a task draining at completion (scale-in, a Spot interruption notice) failed target-health. */
  @Test
  void finding7_aDrainingTargetAtCompletionIsNotAFailure() {
    GuardHandler g = guard(new EcsView());
    String rev = h.deploy("bff", "good");

    GuardOutcome o = completeWithTargets(g, rev, "healthy", "draining");

    assertThat(o.action()).as(o.reason() + " " + o.checks()).isEqualTo(Action.HEALTHY);
  }

  /** Before: auto scaling raised the desired count to 3 just before COMPLETED: "2 of 3 running", rolled back. */
  @Test
  void finding7_aDesiredCountRaisedByAutoScalingAtCompletionIsNotAFailure() {
    EcsView ecs = new EcsView();
    GuardHandler g = guard(ecs);
    String rev = h.deploy("bff", "good");
    ecs.desired = 3;
    ecs.running = 2;
    ecs.pending = 1;

    GuardOutcome o = completeWithTargets(g, rev, "healthy", "healthy");

    assertThat(o.action()).as(o.reason() + " " + o.checks()).isEqualTo(Action.HEALTHY);
    assertThat(o.checks()).anyMatch(c -> c.startsWith("running-count passed") && c.contains("1 pending"));
  }

  /** Before: a Spot interruption stopped one of two tasks at completion, its replacement pending: rolled back. */
  @Test
  void finding7_aSpotInterruptionAtCompletionIsNotAFailure() {
    EcsView ecs = new EcsView();
    GuardHandler g = guard(ecs);
    String rev = h.deploy("bff", "good");
    String spot = h.taskId();
    h.targetStates.put(GuardEvents.ip(spot), "healthy");
    g.handle(GuardEvents.running("bff", spot, rev, h.version(), h.now()));
    g.handle(GuardEvents.task("test-cluster", "bff", spot, rev, "STOPPED", h.version(), h.now(), "SpotInterruption",
        "Your Spot Task was interrupted.", null, GuardEvents.ip(spot)));
    h.targetStates.remove(GuardEvents.ip(spot));
    ecs.desired = 2;
    ecs.running = 1;
    ecs.pending = 1;

    GuardOutcome o = completeWithTargets(g, rev, "healthy");

    assertThat(o.action()).as(o.reason() + " " + o.checks()).isEqualTo(Action.HEALTHY);
  }

  /** A task target that is unhealthy still fails the release: churn is draining and initial only. */
  @Test
  void finding7_anUnhealthyTargetStillFails() {
    GuardHandler g = guard(new EcsView());
    String rev = h.deploy("bff", "good");

    GuardOutcome o = completeWithTargets(g, rev, "healthy", "initial", "unhealthy");

    assertThat(o.action()).isNotEqualTo(Action.HEALTHY);
    assertThat(o.checks()).anyMatch(c -> c.startsWith("target-health FAILED") && c.contains("unhealthy"));
  }

  // --- Finding 10 -------------------------------------------------------------------------------------------

  /**
   * Before: the rollback target was INACTIVE and ECS refused to describe it; the guard's DescribeTaskDefinition
   * failed with a ClientException, a permanent failure: no rollback, the bad release kept running.
   */
  @Test
  void finding10_anInactiveRollbackTargetEcsRefusesToDescribeIsRegisteredAgain() {
    h.env.remove("TARGET_GROUP_ARNS");
    EcsView ecs = new EcsView();
    GuardHandler g = guard(ecs);
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String bad = h.deploy("bff", "bad");
    h.fx.clients().ecs().deregisterTaskDefinition(b -> b.taskDefinition(good));
    ecs.refused.add(good);

    h.crash(g, "bff", bad);
    GuardOutcome o = h.crash(g, "bff", bad);

    assertThat(o.action()).as(o.reason()).isEqualTo(Action.ROLLED_BACK);
    String restored = h.serviceRevision("bff");
    assertThat(restored).isNotEqualTo(good).isNotEqualTo(bad);
    var td = h.fx.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(restored)
        .include(software.amazon.awssdk.services.ecs.model.TaskDefinitionField.TAGS));
    assertThat(td.taskDefinition().containerDefinitions().get(0).image()).isEqualTo(h.image("bff", "good"));
    assertThat(td.tags()).anyMatch(t -> t.key().equals("gitops:restored-from") && t.value().equals(good));
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "good"));
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.ROLLED_BACK);
  }

  // --- Finding 12 -------------------------------------------------------------------------------------------

  /**
   * Before: ECS completed a canary (the hook had let it through) whose running-count check then failed, and the
   * guard rolled the canary service back with its own UpdateService: a second deployment beside ECS's.
   */
  @Test
  void finding12_atCompletionTheGuardNeverMovesACanaryService() {
    h.env.remove("TARGET_GROUP_ARNS");
    h.env.put(io.gitops.contract.EnvVar.CANARY_ANALYSIS, "{\"bff\":{}}");
    io.gitops.lambdas.canary.CanaryPlan plan = new io.gitops.lambdas.canary.CanaryPlan("app/gitops-dev/50dc6c495c0c9188",
        List.of("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff-a/73e2d6bc24d8a067",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bff-b/6d0ecf831eec9f09"),
        java.util.Optional.empty(), Duration.ofSeconds(60), 2, 2, 0.05, 1.5);
    GuardHandler g = new GuardHandler(h.config(), GuardConfig.from(h.env),
        AwsFixture.functionClients(h.fx.endpoint(), AwsFixture.FAST_SDK, h.calls), tg -> List.of(), (u, t) -> 200,
        (series, from, to, period) -> List.of(), java.util.Map.of("bff", plan), h.out, h.clock);
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String canary = h.deploy("bff", "canary");
    g.handle(GuardEvents.running("bff", h.taskId(), canary, h.version(), h.now()));
    h.fx.notifications();
    h.calls.reset();

    GuardOutcome o = g.handle(GuardEvents.completed("bff", h.now()));

    assertThat(o.action()).as(o.reason()).isEqualTo(Action.FAILED);
    assertThat(o.code()).isEqualTo("CANARY_CHECKS_FAILED");
    assertThat(h.calls.snapshot()).doesNotContainKey("Ecs.UpdateService");
    assertThat(h.serviceRevision("bff")).isEqualTo(canary);
    assertThat(h.deployment("bff", "canary").status()).isEqualTo(DeploymentStatus.FAILED);
    assertThat(h.fx.notifications()).singleElement().asString().contains("CANARY_CHECKS_FAILED_AFTER_COMPLETION")
        .contains("release rollback");
  }

  // --- Finding 2 --------------------------------------------------------------------------------------------

  /**
   * Before: the guard rolled back holding only the failing deployment's lease. A push's UpdateService landed just
   * before the guard's: the guard put the service back on the old release under the push's feet, and the push
   * completed in the ledger while ECS ran something else (later misread as ECS's breaker: FAILED for good). Now
   * the guard's rollback takes the service lock the push holds: it is retried, and by then the push has superseded
   * the failing rollout, so nothing is rolled back.
   */
  @Test
  void finding2_theGuardsRollbackWaitsForAPushInFlightInsteadOfUndoingIt() {
    h.env.remove("TARGET_GROUP_ARNS");
    GuardHandler g = h.guard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    String bad = h.deploy("bff", "bad");
    h.crash(g, "bff", bad);
    byte[] threshold = GuardEvents.crashed("bff", h.taskId(), bad, h.version(), h.now());
    List<Object> duringPush = new ArrayList<>();
    ExecutionInterceptor guardRightAfterThePushesUpdate = new ExecutionInterceptor() {
      @Override
      public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof UpdateServiceRequest && duringPush.isEmpty()) {
          h.calls.reset();
          try {
            duringPush.add(g.handle(threshold));
          } catch (RuntimeException e) {
            duringPush.add(e);
          }
          duringPush.add(h.calls.snapshot().getOrDefault("Ecs.UpdateService", 0));
        }
      }
    };
    var deployer = new io.gitops.lambdas.deployer.ImageDeployerHandler(h.config(),
        AwsFixture.functionClients(h.fx.endpoint(), AwsFixture.FAST_SDK, guardRightAfterThePushesUpdate), h.out,
        java.time.Clock.systemUTC());
    var pushed = deployer.handle(io.gitops.testing.Events.bytes(io.gitops.testing.Events.ecrPush("bff",
        io.gitops.testing.Events.digest("fix"), "1.0.9", java.time.Instant.now().plusSeconds(60))));
    String fix = pushed.revision();

    assertThat(duringPush.get(0)).as("the guard during the push").isInstanceOf(io.gitops.lambdas.core.RetryableException.class);
    assertThat(duringPush.get(1)).as("UpdateService calls of the guard during the push").isEqualTo(0);
    GuardOutcome retried = g.handle(threshold);
    assertThat(retried.action()).as(retried.reason()).isEqualTo(Action.NONE);
    assertThat(h.serviceRevision("bff")).isEqualTo(fix);
    assertThat(h.deployment("bff", "fix").status()).isEqualTo(DeploymentStatus.ROLLING_OUT);
    assertThat(h.deployment("bff", "bad").status()).isEqualTo(DeploymentStatus.SUPERSEDED);
    assertThat(h.ledger().head("bff").orElseThrow().lockToken()).as("no lock left behind").isNull();
  }

  /** ECS's UpdateService answer: a new PRIMARY deployment whose id names the revision (moto keeps its old one). */
  private static final class PrimaryPerRevision implements ExecutionInterceptor {
    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
      if (context.response() instanceof software.amazon.awssdk.services.ecs.model.UpdateServiceResponse r
          && context.request() instanceof UpdateServiceRequest q && q.taskDefinition() != null) {
        return r.toBuilder().service(r.service().toBuilder().deployments(software.amazon.awssdk.services.ecs.model
            .Deployment.builder().id(idFor(q.taskDefinition())).status("PRIMARY").taskDefinition(q.taskDefinition())
            .build()).build()).build();
      }
      return context.response();
    }

    static String idFor(String revision) {
      return "ecs-svc/" + revision.substring(revision.lastIndexOf(':') + 1);
    }
  }

  /**
   * Before: a push's UpdateService landed, and its deployment's IN_PROGRESS reached the guard before the push's
   * completion reached the ledger: the guard read "the service runs another image" as ECS's circuit breaker and
   * marked the rollout it was judging FAILED (with a BREAKER_ROLLED_BACK notification), so that digest could never
   * deploy again. Now only a return to the revision the rollout replaced is the breaker.
   */
  @Test
  void finding2_aConcurrentPushsDeploymentIsNotReadAsTheCircuitBreaker() {
    h.env.remove("TARGET_GROUP_ARNS");
    GuardHandler g = h.guard();
    String good = h.deploy("bff", "good");
    h.makeHealthy(g, "bff", good);
    var withIds = AwsFixture.functionClients(h.fx.endpoint(), AwsFixture.FAST_SDK, new PrimaryPerRevision());
    String next = new io.gitops.lambdas.deployer.ImageDeployerHandler(h.config(), withIds, h.out, java.time.Clock.systemUTC())
        .handle(io.gitops.testing.Events.bytes(io.gitops.testing.Events.ecrPush("bff",
            io.gitops.testing.Events.digest("next"), "2.0.0", java.time.Instant.now().plusSeconds(30)))).revision();
    List<GuardOutcome> seen = new ArrayList<>();
    ExecutionInterceptor eventBeforeCompletion = new ExecutionInterceptor() {
      @Override
      public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof UpdateServiceRequest q && seen.isEmpty()) {
          seen.add(g.handle(GuardEvents.deployment("test-cluster", "bff", "SERVICE_DEPLOYMENT_IN_PROGRESS", h.now(),
              "ECS deployment in progress.", PrimaryPerRevision.idFor(q.taskDefinition()))));
        }
      }
    };
    new io.gitops.lambdas.deployer.ImageDeployerHandler(h.config(), AwsFixture.functionClients(h.fx.endpoint(),
        AwsFixture.FAST_SDK, new PrimaryPerRevision(), eventBeforeCompletion), h.out, java.time.Clock.systemUTC())
        .handle(io.gitops.testing.Events.bytes(io.gitops.testing.Events.ecrPush("bff",
            io.gitops.testing.Events.digest("later"), "2.0.1", java.time.Instant.now().plusSeconds(60))));

    assertThat(seen).singleElement().satisfies(o -> assertThat(o.code()).as(o.reason()).isEqualTo("OTHER_DEPLOYMENT"));
    assertThat(h.deployment("bff", "next").status()).as("the rollout the guard was judging")
        .isIn(DeploymentStatus.ROLLING_OUT, DeploymentStatus.SUPERSEDED);
    assertThat(h.fx.releaseValue("bff")).isEqualTo(h.image("bff", "later"));
    assertThat(next).isNotEqualTo(h.serviceRevision("bff"));
  }
}
