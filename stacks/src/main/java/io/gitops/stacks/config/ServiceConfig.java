package io.gitops.stacks.config;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One containerized service of the platform. The services are data: a fourth service is one more
 * entry in {@link EnvironmentConfig#services()}, not a fourth copy of stack code.
 *
 * @param name            short DNS-safe name; also the ECR repository and Cloud Map record name
 * @param port            container port the service listens on
 * @param healthPath      HTTP path answering 2xx when the service is healthy
 * @param publicFacing    true only for the service behind the public ALB
 * @param writablePaths   the only paths the container may write: each is an empty task-storage volume,
 *                        and the root filesystem is read-only (AWS Control Tower CT.ECS.PR.6)
 * @param sizing          Fargate task CPU and memory
 * @param counts          task counts for the service and its auto scaling
 * @param access          what the service may reach beyond its own logs and settings
 * @param deployment      how ECS replaces its tasks: rolling, or a native strategy that shifts the load
 *                        balancer's traffic by weight (only for the service behind the ALB)
 */
public record ServiceConfig(
    String name,
    int port,
    String healthPath,
    boolean publicFacing,
    List<String> writablePaths,
    TaskSizing sizing,
    TaskCounts counts,
    Set<Access> access,
    DeploymentStrategy deployment) {

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{1,30}");

  public ServiceConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(healthPath, "healthPath");
    Objects.requireNonNull(sizing, "sizing");
    Objects.requireNonNull(counts, "counts");
    access = Set.copyOf(Objects.requireNonNull(access, "access"));
    Objects.requireNonNull(deployment, "deployment");
    if (deployment.shiftsTraffic() && !publicFacing) {
      throw new IllegalArgumentException("service " + name + ": " + deployment.getClass().getSimpleName()
          + " shifts load balancer traffic by weight; a service reached through Cloud Map has no load balancer"
          + " and stays rolling");
    }
    writablePaths = List.copyOf(Objects.requireNonNull(writablePaths, "writablePaths"));
    for (String path : writablePaths) {
      if (!path.startsWith("/") || path.equals("/") || path.contains("..")) {
        throw new IllegalArgumentException("service " + name + ": writable path '" + path
            + "' must be an absolute directory below /");
      }
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "service name '" + name + "' must match " + NAME.pattern() + " (it becomes a DNS label)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("service " + name + ": port " + port + " is out of range");
    }
    if (!healthPath.startsWith("/")) {
      throw new IllegalArgumentException(
          "service " + name + ": health path '" + healthPath + "' must start with '/'");
    }
  }

  /** A rolling service (the strategy every service had before native strategies). */
  public ServiceConfig(String name, int port, String healthPath, boolean publicFacing, List<String> writablePaths,
      TaskSizing sizing, TaskCounts counts, Set<Access> access) {
    this(name, port, healthPath, publicFacing, writablePaths, sizing, counts, access, DeploymentStrategy.rolling());
  }

  /** Same service, deployed with another strategy. */
  public ServiceConfig withDeployment(DeploymentStrategy strategy) {
    return new ServiceConfig(name, port, healthPath, publicFacing, writablePaths, sizing, counts, access, strategy);
  }

  /** Same service, other sizing: environments share the service list and differ in size only. */
  public ServiceConfig withSizing(TaskSizing newSizing, TaskCounts newCounts) {
    return new ServiceConfig(
        name, port, healthPath, publicFacing, writablePaths, newSizing, newCounts, access, deployment);
  }

  public boolean needs(Access what) {
    return access.contains(what);
  }
}
