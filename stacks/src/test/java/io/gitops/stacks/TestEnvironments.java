package io.gitops.stacks;

import io.gitops.stacks.config.DeployTarget;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Environments;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

/** Environments and synthesized stacks shared by the stack tests. */
final class TestEnvironments {

  static final DeployTarget TARGET = new DeployTarget("111111111111", "us-east-1");
  static final String CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-test";

  private TestEnvironments() {}

  /** dev without a certificate (HTTP only). */
  static PlatformStacks dev() {
    return PlatformStacks.create(new App(), Environments.dev(TARGET, Optional.empty()));
  }

  static PlatformStacks test() {
    return PlatformStacks.create(new App(), Environments.test(TARGET, Optional.empty()));
  }

  /** prod with a certificate (HTTPS plus redirect). */
  static PlatformStacks prod() {
    return PlatformStacks.create(new App(), Environments.prod(TARGET, Optional.of(CERTIFICATE)));
  }

  static EnvironmentConfig config(PlatformStacks stacks) {
    return stacks.config();
  }

  static List<Stack> stacks(PlatformStacks stacks) {
    return List.of(stacks.network(), stacks.security(), stacks.storage(), stacks.database());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> resources(Template template) {
    return (Map<String, Map<String, Object>>) template.toJSON().get("Resources");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> properties(Map<String, Object> resource) {
    return (Map<String, Object>) resource.get("Properties");
  }
}
