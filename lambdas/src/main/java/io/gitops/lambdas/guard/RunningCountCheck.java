package io.gitops.lambdas.guard;

import software.amazon.awssdk.services.ecs.model.Deployment;
import software.amazon.awssdk.services.ecs.model.Service;

/**
 * The service runs its desired count on the new revision, with a single (PRIMARY) deployment. The running
 * count is the service's, or the tasks of the new revision that the guard has seen RUNNING, whichever is
 * higher: both are evidence, and the local emulator reports only the second.
 */
public final class RunningCountCheck implements HealthCheck {
  public static final String NAME = "running-count";

  @Override
  public Result check(Subject s) {
    Service svc = s.service();
    String revision = s.deployment().newTaskDefinitionArn();
    if (!revision.equals(svc.taskDefinition())) {
      return Result.fail(NAME, "the service runs " + svc.taskDefinition() + ", not " + revision);
    }
    long primaries = svc.deployments().stream().filter(d -> "PRIMARY".equals(d.status())).count();
    if (svc.deployments().size() != 1 || primaries != 1) {
      return Result.fail(NAME, svc.deployments().size() + " deployments (" + primaries + " primary); expected one");
    }
    Deployment only = svc.deployments().get(0);
    if ("FAILED".equals(only.rolloutStateAsString())) {
      return Result.fail(NAME, "the deployment's rollout state is FAILED");
    }
    int desired = svc.desiredCount() == null ? 0 : svc.desiredCount();
    int running = Math.max(svc.runningCount() == null ? 0 : svc.runningCount(), s.runningTasks().size());
    if (running < desired) {
      // At ECS's steady state, tasks still PENDING are new capacity (auto scaling raised the desired count) or
      // replacements (a Spot interruption): the release reached steady state before they were asked for.
      // ECS's own counts only (moto reports every desired task pending and none running: docs/emulator-gaps.md).
      int pending = svc.pendingCount() == null ? 0 : svc.pendingCount();
      int ecsRunning = svc.runningCount() == null ? 0 : svc.runningCount();
      if (s.steady() && ecsRunning > 0 && ecsRunning + pending >= desired) {
        return Result.pass(NAME, running + " of " + desired + " desired tasks running, " + pending
            + " pending (scaling or replacement after steady state), one deployment");
      }
      return Result.fail(NAME, running + " of " + desired + " desired tasks running");
    }
    return Result.pass(NAME, running + " of " + desired + " desired tasks running, one deployment");
  }
}
