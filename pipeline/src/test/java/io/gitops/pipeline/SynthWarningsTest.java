package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;

/**
 * The app as configured (cdk.json's context) synthesizes without CDK warnings: a warning a newcomer cannot
 * act on (such as SnapStart's reminder about published versions, which the functions use) is acknowledged
 * where it is raised, with the reason, so that synth and the demo print only what needs doing.
 */
class SynthWarningsTest {

  @Test
  void noStackOfThePipelineOrAnyStageCarriesACdkWarning() {
    SynthesizedApp app = SynthesizedApp.get();
    List<Stack> stacks = new ArrayList<>(List.of(app.pipeline));
    for (String stage : List.of("dev", "test", "prod")) {
      stacks.addAll(app.stacks(stage));
    }
    assertThat(stacks).hasSizeGreaterThan(20);
    for (Stack stack : stacks) {
      List<String> warnings = Annotations.fromStack(stack).findWarning("*", Match.anyValue()).stream()
          .map(m -> m.getId() + ": " + m.getEntry().getData())
          .toList();
      assertThat(warnings).as(stack.getNode().getPath()).isEmpty();
    }
  }
}
