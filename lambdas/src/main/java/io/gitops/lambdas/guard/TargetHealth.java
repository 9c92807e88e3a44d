package io.gitops.lambdas.guard;

import java.util.List;
import java.util.Optional;

/** Where target health comes from: ELBv2 DescribeTargetHealth in production, a double in tests. */
@FunctionalInterface
public interface TargetHealth {
  /** One registered target and its state (healthy, unhealthy, initial, draining, unused, unavailable). */
  record Target(String id, Optional<Integer> port, String state, String reason) {}

  List<Target> describe(String targetGroupArn);
}
