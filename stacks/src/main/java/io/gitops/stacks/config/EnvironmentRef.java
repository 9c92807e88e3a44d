package io.gitops.stacks.config;

import java.util.Objects;

/**
 * Another environment, as this one needs to know it: its name and where it lives. Used for the
 * cross-account image pulls (see {@link ImagePulls}), where one environment's templates must name
 * another environment's account and region.
 */
public record EnvironmentRef(String name, DeployTarget target) {

  public EnvironmentRef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(target, "target");
  }

  public static EnvironmentRef of(EnvironmentConfig config) {
    return new EnvironmentRef(config.name(), config.target());
  }
}
