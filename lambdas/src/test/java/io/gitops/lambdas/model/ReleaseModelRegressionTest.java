package io.gitops.lambdas.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.model.ReleaseModel.Action;
import io.gitops.lambdas.model.ReleaseModel.Advance;
import io.gitops.lambdas.model.ReleaseModel.Deliver;
import io.gitops.lambdas.model.ReleaseModel.Drain;
import io.gitops.lambdas.model.ReleaseModel.EcsTick;
import io.gitops.lambdas.model.ReleaseModel.Fault;
import io.gitops.lambdas.model.ReleaseModel.Pipeline;
import io.gitops.lambdas.model.ReleaseModel.Hook;
import io.gitops.lambdas.model.ReleaseModel.Push;
import io.gitops.lambdas.model.ReleaseModel.ErrorRate;
import io.gitops.lambdas.model.ReleaseModel.Redeliver;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The minimal (shrunk) sequences the model-based test found, each kept as a named test. Where the sequence
 * was found says which code broke: "main" is the code before issue 12 (docs/notes of issue 12 list what each
 * did there), "during" an intermediate version of the fix.
 */
@ExtendWith(MotoExtension.class)
class ReleaseModelRegressionTest {
  private static void holds(MotoServer moto, List<Action> actions) {
    var v = new ReleaseModel(moto, new ReleaseModel.Stats()).run(actions);
    assertThat(v).as(v.map(Object::toString).orElse("")).isEmpty();
  }

  /** main, (b): a new environment's first bad push kept its digest in the release parameter. */
  @Test
  void theFirstBrokenPushOfANewEnvironmentEndsOnThePipelineRevision(MotoServer moto) {
    holds(moto, List.of(
        new Push("b2", "NEW", Fault.NONE),
        new Drain()));
  }

  /** during, (b): the guard halted on the restored revision ignored the breaker's SERVICE_DEPLOYMENT_FAILED. */
  @Test
  void aHaltedGuardStillRepairsTheReleaseAfterTheBreaker(MotoServer moto) {
    holds(moto, List.of(
        new Push("b2", "NEW", Fault.NONE),
        new Push("b1", "NEW", new Fault("TOO_MANY_UPDATES", 2, 3)),
        new Drain()));
  }

  /** during, (b): a pipeline deployment of the bad image replaced the rollout, then ECS's breaker rolled it back. */
  @Test
  void aBreakerRollbackOfAPipelineDeploymentThatReplacedTheRolloutRestoresTheRelease(MotoServer moto) {
    holds(moto, List.of(
        new Push("b1", "NEW", new Fault("TOO_MANY_UPDATES", 2, 3)),
        new Pipeline(),
        new Drain()));
  }

  /** during, (f): a recorded pipeline deployment of the placeholder was never superseded by the next push. */
  @Test
  void aRecordedPipelineDeploymentIsSupersededByTheNextPush(MotoServer moto) {
    holds(moto, List.of(
        new Pipeline(),
        new Deliver(4, false, Fault.NONE),
        new Push("b2", "NEW_TAG", new Fault("TXN_CONFLICT", 2, 3)),
        new Drain()));
  }

  /** during, (a): a claim applied but unanswered (timeout), retried by the SDK with the same client token. */
  @Test
  void aTimedOutClaimRetriedWithItsTokenRegistersOneRevision(MotoServer moto) {
    holds(moto, List.of(
        new Push("g3", "NEW_TAG", Fault.NONE),
        new Push("b1", "NEW", Fault.NONE),
        new Push("g3", "NEW", new Fault("TIMEOUT", 1, 1)),
        new Drain()));
  }

  /** during, (f): ECS's breaker rolled a rollout back before the guard saw a failure, then a new push landed. */
  @Test
  void aRolloutTheBreakerEndedBeforeTheNextPushDoesNotStayRollingOut(MotoServer moto) {
    holds(moto, List.of(
        new Push("b1", "NEW", Fault.NONE),
        new EcsTick(),
        new EcsTick(),
        new EcsTick(),
        new Push("g2", "NEW_TAG", Fault.NONE),
        new Drain()));
  }

  /** during, (b): a late RUNNING event made the checks fail at COMPLETED, and the fallback chose an unjudged revision. */
  @Test
  void aRollbackWithoutHealthyRevisionSkipsUnjudgedAncestors(MotoServer moto) {
    holds(moto, List.of(
        new Push("b1", "OLDER", Fault.NONE),
        new Push("g1", "NEW", new Fault("THROTTLE", 4, 1)),
        new EcsTick(),
        new Deliver(0, false, Fault.NONE),
        new Deliver(1, false, new Fault("TOO_MANY_UPDATES", 7, 1)),
        new Drain()));
  }

  /** main, (f): hole 1. The deployer crashed after its claim; Lambda's retry was skipped as IN_PROGRESS. */
  @Test
  void aPushThatCrashedAfterItsClaimIsResumedByLambdasRetry(MotoServer moto) {
    holds(moto, List.of(
        new Push("b1", "DUPLICATE", new Fault("CRASH", 2, 1)),
        new Drain()));
  }

  /** main, (a): RegisterTaskDefinition applied but its answer lost; the SDK's retry registered a second revision. */
  @Test
  void aTimedOutRegistrationIsFoundByItsTagNotRegisteredTwice(MotoServer moto) {
    holds(moto, List.of(
        new Push("g3", "NEW", new Fault("TIMEOUT", 4, 1)),
        new Drain()));
  }

  /** during, (b): the rollout's COMPLETED came after a pipeline deployment replaced its revision; it was judged FAILED. */
  @Test
  void aRolloutWhoseRevisionAPipelineDeploymentReplacedIsSettledByThatDeployment(MotoServer moto) {
    holds(moto, List.of(
        new Push("g1", "OLDER", new Fault("THROTTLE", 2, 3)),
        new Push("g2", "NEW", Fault.NONE),
        new Push("g3", "NEW", Fault.NONE),
        new EcsTick(),
        new Pipeline(),
        new Drain()));
  }

  /** during, (f): a pipeline deployment replaced a rollout and failed; a push landed before its events. */
  @Test
  void aRolloutAPipelineDeploymentReplacedIsSupersededByTheNextPush(MotoServer moto) {
    holds(moto, List.of(
        new Push("b2", "NEW", Fault.NONE),
        new Pipeline(),
        new EcsTick(),
        new EcsTick(),
        new EcsTick(),
        new Push("g1", "NEW", new Fault("THROTTLE", 3, 3)),
        new Drain()));
  }

  /** soak, (b): the breaker's rollback COMPLETED before its FAILED: taken for a pipeline deployment of the release. */
  @Test
  void aBreakerRollbackCompletingBeforeItsFailedEventIsNotTakenForAPipelineDeployment(MotoServer moto) {
    holds(moto, List.of(
        new Push("g3", "NEW", Fault.NONE),
        new Push("b1", "NEW_TAG", new Fault("TOO_MANY_UPDATES", 5, 1)),
        new EcsTick(),
        new EcsTick(),
        new EcsTick(),
        new EcsTick(),
        new Deliver(1, false, new Fault("CRASH", 7, 1)),
        new Deliver(5, false, new Fault("TXN_CONFLICT", 6, 3)),
        new Drain()));
  }

  /** soak, (b): a late COMPLETED of an older deployment was taken for the pipeline deployment that replaced the rollout. */
  @Test
  void aLateCompletedOfAnOlderDeploymentDoesNotSettleAPipelineDeployment(MotoServer moto) {
    holds(moto, List.of(
        new Push("g2", "NEW", new Fault("TXN_CONFLICT", 6, 1)),
        new EcsTick(),
        new Push("b1", "NEW_TAG", Fault.NONE),
        new Pipeline(),
        new Drain()));
  }

  /** during, (b): an old rollout's late FAILED ended the current rollout, whose image still ran as a pipeline revision. */
  @Test
  void aLateFailedOfAnOlderRolloutDoesNotFailTheCurrentOne(MotoServer moto) {
    holds(moto, List.of(
        new Push("b2", "NEW", new Fault("TOO_MANY_UPDATES", 1, 1)),
        new EcsTick(),
        new EcsTick(),
        new EcsTick(),
        new Push("g1", "NEW", new Fault("TXN_CONFLICT", 3, 1)),
        new Pipeline(),
        new Drain()));
  }

  /** soak, (budget): a resumed rollout described every newer revision of the family looking for its own (17 calls). */
  @Test
  void aResumedRolloutLooksForItsRevisionWithinTheTimeBudget(MotoServer moto) {
    holds(moto, List.of(
        new Push("g1", "NEW", new Fault("TIMEOUT", 8, 1)),
        new Push("g2", "NEW", new Fault("THROTTLE", 6, 3)),
        new Push("b2", "NEW", new Fault("TOO_MANY_UPDATES", 4, 3)),
        new Push("b1", "NEW_TAG", Fault.NONE),
        new EcsTick(),
        new EcsTick(),
        new EcsTick(),
        new Push("g3", "NEW", new Fault("CRASH", 3, 1)),
        new Drain()));
  }

  /** Hole 1 in the model: the deployer crashes after UpdateService; Lambda's retry must finish the rollout. */
  @Test
  void aRolloutCrashedAfterUpdateServiceIsFinishedByTheRetry(MotoServer moto) {
    holds(moto, List.of(
        new Push("g1", "NEW", new Fault("CRASH", 5, 1)),
        new Advance(1),
        new Drain()));
  }

  // Issue 20, invariant (j): no healthy canary is aborted, except by the hook's own crash or timeout. Each
  // sequence broke (j) on the code before the fix of finding 5 (CanaryHook found the new revision from task
  // events and the head's rollout, not from targetServiceRevisionArn).

  private static void holdsForCanary(MotoServer moto, List<Action> actions) {
    var v = new ReleaseModel(moto, new ReleaseModel.Stats(), true).run(actions);
    assertThat(v).as(v.map(Object::toString).orElse("")).isEmpty();
  }

  /** main, (j): the canary's task events never reached the guard; canary-targets aborted the healthy canary. */
  @Test
  void aHealthyCanaryWhoseTaskEventsAreLateIsPromoted(MotoServer moto) {
    List<Action> actions = new java.util.ArrayList<>(List.of(new Push("g1", "NEW", Fault.NONE), new EcsTick()));
    for (int i = 0; i < 10; i++) actions.add(new ReleaseModel.Hook(Fault.NONE));
    actions.add(new Drain());
    holdsForCanary(moto, actions);
  }

  /** main, (j): the ledger lagged ECS (the deployer died after UpdateService); the hook passed it as NOT_A_PUSH. */
  @Test
  void aPushWhoseLedgerLagsEcsIsJudgedNotPassedUnjudged(MotoServer moto) {
    holdsForCanary(moto, List.of(
        new Push("g1", "LAG", Fault.NONE),
        new Drain()));
  }

  /** main, (j): the hook crashed as it answered; on ECS's rollback pass it started a fresh analysis and held it. */
  @Test
  void ecsRollbackPassAfterAHookCrashIsNotHeld(MotoServer moto) {
    holdsForCanary(moto, List.of(
        new Push("g1", "NEW", Fault.NONE),
        new EcsTick(),
        new ReleaseModel.Hook(new Fault("CRASH", 1, 1)),
        new Drain()));
  }

  /**
   * during, (b): the hook looked the target revision's digest up in the ledger and judged the pipeline's own
   * deployment record as a push: it aborted the pipeline's placeholder, and the ledger marked it ROLLED_BACK.
   */
  @Test
  void aPipelineDeploymentOfACanaryServiceIsNotJudgedAsAPush(MotoServer moto) {
    List<Action> actions = new java.util.ArrayList<>(List.of(new Pipeline(), new Deliver(0, false, Fault.NONE),
        new EcsTick(), new ReleaseModel.ErrorRate(20)));
    for (int i = 0; i < 8; i++) actions.add(new ReleaseModel.Hook(Fault.NONE));
    actions.add(new Drain());
    holdsForCanary(moto, actions);
  }

  /**
   * Issue 20, found by the extended generator (the pipeline's first deployment before any push), (b): with the
   * breaker read as "a return to the revision the rollout replaced" only, ECS's rollback to the pipeline's last
   * completed revision (not the rollout's predecessor: that push never completed) was ignored, and the release
   * parameter kept the broken digest. Seed -4982598272866526024, cut at the violating drain.
   */
  @Test
  void theBreakerReturningToTheLastCompletedPipelineRevisionIsStillTheBreaker(MotoServer moto) {
    holds(moto, List.of(
        new Pipeline(),
        new Drain(),
        new Drain(),
        new Deliver(3, false, Fault.NONE),
        new Push("b2", "NEW", Fault.NONE),
        new Push("b1", "NEW", new Fault("TOO_MANY_UPDATES", 2, 3)),
        new Pipeline(),
        new Drain()));
  }

  /**
   * Issue 20, canary seed -4255387803450190359 (CI's seeds with the extended generator), (b) at its 27th action: the
   * service and the release parameter named g2, which the ledger marked FAILED. Cut at the violating drain.
   */
  @Test
  @org.junit.jupiter.api.Disabled("open: ECS's rollback of a later aborted canary (b1) reached the guard as a FAILED"
      + " of g2's rollout, which ECS had rolled back onto; g2 ends FAILED while it runs. Found with"
      + " -Dmodel.extended=true; not fixed in the i20-core session (see /work/notes/i20-core.md)")
  void aCanaryCompletedByEcsIsNotLeftFailedWhileItRuns(MotoServer moto) {
    var v = new ReleaseModel(moto, new ReleaseModel.Stats(), true).run(List.of(
        new Pipeline(), new Drain(), new EcsTick(), new Push("b1", "NEW", Fault.NONE),
        new Deliver(1, false, new Fault("TIMEOUT", 2, 1)), new Push("b2", "NEW", new Fault("TOO_MANY_UPDATES", 5, 3)),
        new Hook(Fault.NONE), new Deliver(5, false, Fault.NONE),
        new Push("b2", "DUPLICATE", new Fault("SERVER_ERROR", 2, 3)), new Deliver(5, false, Fault.NONE),
        new Push("g2", "NEW", Fault.NONE), new ErrorRate(2), new EcsTick(), new Push("b1", "NEW", Fault.NONE),
        new EcsTick(), new Deliver(3, false, Fault.NONE), new Push("b1", "NEW", Fault.NONE), new EcsTick(),
        new Push("g1", "OLDER", Fault.NONE), new Deliver(2, false, Fault.NONE), new Push("b1", "NEW", Fault.NONE),
        new Hook(new Fault("TXN_CONFLICT", 4, 3)), new Hook(new Fault("SERVER_ERROR", 3, 3)),
        new Hook(new Fault("CRASH", 1, 1)), new EcsTick(), new Pipeline(), new Drain()));
    assertThat(v).as(v.map(Object::toString).orElse("")).isEmpty();
  }
}
