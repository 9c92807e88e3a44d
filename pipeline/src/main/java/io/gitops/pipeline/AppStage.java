package io.gitops.pipeline;

import io.gitops.stacks.PlatformStacks;
import io.gitops.stacks.config.EnvironmentConfig;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stage;
import software.amazon.awscdk.StageProps;
import software.amazon.awscdk.Tags;
import software.constructs.Construct;

/** One environment (dev, test or prod): its stacks, tagged, in one deployable unit. */
public class AppStage extends Stage {

  private final PlatformStacks stacks;

  public AppStage(Construct scope, EnvironmentConfig config) {
    super(scope, config.name(), StageProps.builder()
        .env(Environment.builder()
            .account(config.target().account())
            .region(config.target().region())
            .build())
        .build());
    stacks = PlatformStacks.create(this, config);
    config.tags().forEach((key, value) -> Tags.of(this).add(key, value));
  }

  public PlatformStacks stacks() {
    return stacks;
  }

  public EnvironmentConfig config() {
    return stacks.config();
  }
}
