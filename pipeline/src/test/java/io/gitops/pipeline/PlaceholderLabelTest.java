package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.TaskDefinitions;
import io.gitops.stacks.config.Placeholders;
import org.junit.jupiter.api.Test;

/**
 * The compute stack marks a container running the placeholder's command with a label, and the image
 * deployer removes that command when the label is there. The two modules cannot share the constant
 * (lambdas does not depend on stacks), so this pins that they agree.
 */
class PlaceholderLabelTest {

  @Test
  void theStacksAndTheDeployerUseTheSameLabel() {
    assertThat(TaskDefinitions.PLACEHOLDER_COMMAND_LABEL).isEqualTo(Placeholders.COMMAND_LABEL);
  }
}
