package io.gitops.stacks.monitoring;

import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.services.ecs.IBaseService;
import software.amazon.awscdk.services.ecs.ICluster;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.rds.IDatabaseCluster;

/**
 * Typed references the monitoring stack observes. All of them come from stacks earlier in the
 * chain, so monitoring only ever points backwards.
 *
 * @param cluster     the ECS cluster
 * @param services    ECS service per service name, in config order
 * @param targetGroups the public service's target groups: the primary, then (a service whose strategy shifts
 *                     traffic) the alternate one, which ECS swaps with the primary between deployments
 * @param alb         the public load balancer
 * @param database    the Aurora cluster
 */
public record MonitoringStackProps(
    ICluster cluster,
    Map<String, IBaseService> services,
    java.util.List<ApplicationTargetGroup> targetGroups,
    ApplicationLoadBalancer alb,
    IDatabaseCluster database) {

  public MonitoringStackProps {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(services, "services");
    targetGroups = java.util.List.copyOf(targetGroups);
    if (targetGroups.isEmpty()) {
      throw new IllegalArgumentException("the public service has no target group");
    }
    Objects.requireNonNull(alb, "alb");
    Objects.requireNonNull(database, "database");
    // Keep the caller's order (config order) for stable dashboards and logical IDs.
    services = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(services));
  }
}
