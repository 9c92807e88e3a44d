package io.gitops.stacks;

import io.gitops.stacks.config.EnvironmentConfig;
import java.util.List;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.constructs.Construct;

/**
 * Base of every stack of an environment: it pins the account, region and AZs from the config so
 * that synth never calls AWS, and applies termination protection where the config asks for it.
 */
public abstract class PlatformStack extends Stack {

  private final EnvironmentConfig config;

  protected PlatformStack(Construct scope, String id, EnvironmentConfig config, String description) {
    super(scope, id, StackProps.builder()
        .env(Environment.builder()
            .account(config.target().account())
            .region(config.target().region())
            .build())
        .description(description + " (" + config.name() + ")")
        .terminationProtection(config.terminationProtection())
        .build());
    this.config = config;
    software.amazon.awscdk.Aspects.of(this).add(new io.gitops.stacks.storage.BucketEvents());
    software.amazon.awscdk.Aspects.of(this).add(new io.gitops.stacks.network.ExplicitEgress());
  }

  public EnvironmentConfig config() {
    return config;
  }

  /** Explicit AZs: with an explicit env, CDK would otherwise look them up in the account. */
  @Override
  public List<String> getAvailabilityZones() {
    return config.availabilityZones();
  }
}
