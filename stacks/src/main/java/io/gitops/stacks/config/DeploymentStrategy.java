package io.gitops.stacks.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How ECS replaces a service's tasks: one of ECS's native deployment strategies (Amazon ECS developer
 * guide, "Deploy Amazon ECS services by replacing tasks", "Amazon ECS canary deployments", "linear
 * deployments", "blue/green deployments").
 *
 * <ul>
 *   <li>{@link Rolling}: today's rolling update under the guard and ECS's circuit breaker;
 *   <li>{@link Canary}: {@code percent} of production traffic on the new revision for {@code stepBake},
 *       then all of it, then {@code bake} with both revisions up;
 *   <li>{@link Linear}: {@code stepPercent} more traffic every {@code stepBake}, then {@code bake};
 *   <li>{@link BlueGreen}: all traffic at once, then {@code bake}.
 * </ul>
 * Every strategy but rolling shifts traffic by weight between two target groups of a load balancer, so
 * only a service behind the ALB can use one (EnvironmentConfig checks it).
 */
public sealed interface DeploymentStrategy {

  /** Both revisions stay up this long after the full shift, so that ECS can roll back at once. */
  Duration bake();

  /** True for the strategies that shift load balancer traffic (all but rolling). */
  default boolean shiftsTraffic() {
    return !(this instanceof Rolling);
  }

  record Rolling() implements DeploymentStrategy {
    @Override
    public Duration bake() {
      return Duration.ZERO;
    }
  }

  /**
   * @param percent  production traffic the new revision takes first (ECS accepts 0.1 to 100)
   * @param stepBake how long the canary step lasts before the rest of the traffic shifts
   * @param bake     how long both revisions stay up after the full shift
   */
  record Canary(double percent, Duration stepBake, Duration bake) implements DeploymentStrategy {
    public Canary {
      if (!(percent > 0 && percent < 100)) {
        throw new IllegalArgumentException("canary percent " + percent + " must be above 0 and below 100");
      }
      requireMinutes("canary step", stepBake);
      requireMinutes("bake", bake);
    }
  }

  /**
   * @param stepPercent traffic added at each step
   * @param stepBake    time between steps
   * @param bake        how long both revisions stay up after the full shift
   */
  record Linear(double stepPercent, Duration stepBake, Duration bake) implements DeploymentStrategy {
    public Linear {
      if (!(stepPercent >= 3 && stepPercent <= 100)) {
        throw new IllegalArgumentException("linear step " + stepPercent + "% must be between 3 and 100");
      }
      requireMinutes("linear step", stepBake);
      requireMinutes("bake", bake);
    }
  }

  record BlueGreen(Duration bake) implements DeploymentStrategy {
    public BlueGreen {
      requireMinutes("bake", bake);
    }
  }

  static DeploymentStrategy rolling() {
    return new Rolling();
  }

  static DeploymentStrategy canary(double percent, Duration stepBake, Duration bake) {
    return new Canary(percent, stepBake, bake);
  }

  /** ECS counts bake and step times in whole minutes, from 0 to 1440. */
  private static void requireMinutes(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.toMinutes() > 1440 || d.toSeconds() % 60 != 0) {
      throw new IllegalArgumentException(what + " time " + d + " must be whole minutes between 0 and 1440");
    }
  }
}
