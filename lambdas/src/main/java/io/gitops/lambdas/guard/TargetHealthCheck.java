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
      for (String ip : ips) {
        TargetHealth.Target t = byId.get(ip);
        if (t == null) return Result.fail(NAME, "task target " + ip + " is not registered in " + group.get());
        if (!"healthy".equals(t.state())) {
          return Result.fail(NAME, "target " + ip + " is " + t.state() + (t.reason().isEmpty() ? "" : " (" + t.reason() + ")"));
        }
      }
      return Result.pass(NAME, ips.size() + " task target(s) healthy");
    }
    List<TargetHealth.Target> live = targets.stream().filter(t -> !"draining".equals(t.state())).toList();
    if (live.isEmpty()) return Result.fail(NAME, "no targets registered in " + group.get());
    for (TargetHealth.Target t : live) {
      if (!"healthy".equals(t.state())) {
        return Result.fail(NAME, "target " + t.id() + " is " + t.state() + (t.reason().isEmpty() ? "" : " (" + t.reason() + ")"));
      }
    }
    return Result.pass(NAME, live.size() + " registered target(s) healthy");
  }
}
