package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.ServiceTarget;
import java.util.List;
import software.amazon.awssdk.services.ecs.model.Service;

/** One post-deploy health check. Implementations are small and side-effect free, so that tests can swap them. */
@FunctionalInterface
public interface HealthCheck {
  Result check(Subject subject);

  /**
   * What the checks look at.
   *
   * @param service the ECS service as DescribeServices returned it, read once per evaluation
   * @param runningTasks the tasks of the new revision whose newest known state is RUNNING (from task events)
   * @param steady ECS declared the deployment steady (SERVICE_DEPLOYMENT_COMPLETED): churn after that (auto scaling
   *     raising the desired count, a Spot task being replaced) is not the release's failure
   */
  record Subject(ServiceTarget target, Deployment deployment, Service service,
      List<GuardLedger.TrackedTask> runningTasks, boolean steady) {
    public Subject(ServiceTarget target, Deployment deployment, Service service,
        List<GuardLedger.TrackedTask> runningTasks) {
      this(target, deployment, service, runningTasks, false);
    }
  }

  /** A check's verdict; {@code skipped} checks (not configured for the service) count as passed. */
  record Result(String name, boolean passed, boolean skipped, String detail) {
    public static Result pass(String name, String detail) {
      return new Result(name, true, false, detail);
    }

    public static Result fail(String name, String detail) {
      return new Result(name, false, false, detail);
    }

    public static Result skip(String name, String detail) {
      return new Result(name, true, true, detail);
    }

    @Override
    public String toString() {
      return name + (skipped ? " skipped" : passed ? " passed" : " FAILED") + ": " + detail;
    }
  }
}
