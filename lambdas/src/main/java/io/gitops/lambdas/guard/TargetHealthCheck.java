package io.gitops.lambdas.guard;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * For a service behind the load balancer (TARGET_GROUP_ARNS): every target of the new revision's running
 * tasks (their ENI addresses, from the task events) is registered and healthy. When no address is known, every
 * registered target that is not draining must be healthy, and there must be at least one.
 */
public final class TargetHealthCheck implements HealthCheck {
  public static final String NAME = "target-health";

  /** Target states of normal churn (ELB API reference, TargetHealth.State): never a verdict on the release. */
  static final java.util.Set<String> CHURN = java.util.Set.of("draining", "initial");

  private final TargetHealth source;
  private final Function<String, Optional<String>> targetGroupOf;

  public TargetHealthCheck(TargetHealth source, Function<String, Optional<String>> targetGroupOf) {
    this.source = source;
    this.targetGroupOf = targetGroupOf;
  }

  @Override
  public Result check(Subject s) {
    Optional<String> group = targetGroupOf.apply(s.target().service());
    if (group.isEmpty()) return Result.skip(NAME, "no target group configured for " + s.target().service());
    List<TargetHealth.Target> targets = source.describe(group.get());
    List<String> ips = s.runningTasks().stream().map(GuardLedger.TrackedTask::privateIp).flatMap(Optional::stream)
        .toList();
    if (!ips.isEmpty()) {
      Map<String, TargetHealth.Target> byId = targets.stream()
          .collect(Collectors.toMap(TargetHealth.Target::id, t -> t, (a, b) -> "healthy".equals(a.state()) ? b : a));
      int healthy = 0;
      List<String> churn = new java.util.ArrayList<>();
      for (String ip : ips) {
        TargetHealth.Target t = byId.get(ip);
        if (t == null) return Result.fail(NAME, "task target " + ip + " is not registered in " + group.get());
        if ("healthy".equals(t.state())) {
          healthy++;
        } else if (CHURN.contains(t.state())) {
          // draining: the task is leaving (scale-in, a Spot interruption) before its stop event reached the guard;
          // initial: a task just started registering (auto scaling, a replacement). Neither says the release is bad.
          churn.add(ip + " " + t.state());
        } else {
          return Result.fail(NAME, "target " + ip + " is " + t.state() + (t.reason().isEmpty() ? "" : " (" + t.reason() + ")"));
        }
      }
      if (healthy == 0) return Result.fail(NAME, "no task target is healthy yet (" + String.join(", ", churn) + ")");
      return Result.pass(NAME, healthy + " task target(s) healthy" + (churn.isEmpty() ? ""
          : "; " + String.join(", ", churn) + " (churn, not judged)"));
    }
    List<TargetHealth.Target> live = targets.stream().filter(t -> !CHURN.contains(t.state())).toList();
    if (live.isEmpty()) return Result.fail(NAME, "no healthy targets registered in " + group.get());
    for (TargetHealth.Target t : live) {
      if (!"healthy".equals(t.state())) {
        return Result.fail(NAME, "target " + t.id() + " is " + t.state() + (t.reason().isEmpty() ? "" : " (" + t.reason() + ")"));
      }
    }
    return Result.pass(NAME, live.size() + " registered target(s) healthy");
  }
}
