package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.testing.Events;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.event.ruler.Machine;

/**
 * The image deployer's EventBridge rule, as the dev stage synthesizes it ({@link DevStageRules}), matched
 * with AWS's own pattern engine (event-ruler) against the event fixtures.
 */
class ImageDeployerRuleTest {
  private static Machine machine;

  private static DevStageRules stage;

  @BeforeAll
  static void compile() throws Exception {
    stage = DevStageRules.get();
    assertThat(stage.target("ImagePushRule")).isEqualTo("image-deployer");
    machine = new Machine();
    machine.addRule("image-deployer", stage.pattern("ImagePushRule"));
  }

  private static boolean routed(String event) throws Exception {
    return !machine.rulesForJSONEvent(event).isEmpty();
  }

  private static boolean routedUnchecked(String event) {
    try {
      return routed(event);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"events/ecr-push-bff.json", "events/ecr-push-bff-newer.json", "events/ecr-push-graphql.json",
      "events/ecr-push-bff-latest.json", "events/ecr-push-bff-untagged.json"})
  void matchesSuccessfulPushesToMappedRepositories(String fixture) {
    // Tag policy is the function's job, not the rule's: latest and untagged pushes are routed and skipped there.
    assertThat(routedUnchecked(stage.event(fixture))).isTrue();
  }

  @Test
  void matchesEveryMappedRepository() {
    assertThat(stage.repositories()).hasSize(3);
    for (String repository : stage.repositories()) {
      assertThat(routedUnchecked(Events.ecrPush(repository, Events.digest(repository), "1.0.0", Instant.EPOCH)))
          .as(repository).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"events/ecr-delete-bff.json", "events/ecr-push-bff-failed.json", "events/ecr-push-unmapped.json"})
  void rejectsDeletesFailedPushesAndOtherRepositories(String fixture) {
    assertThat(routedUnchecked(stage.event(fixture))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"aws.ecs", "aws.ecr.scan", "custom.ecr"})
  void rejectsOtherSources(String source) {
    String event = stage.event("events/ecr-push-bff.json").replace("\"aws.ecr\"", "\"" + source + "\"");
    assertThat(routedUnchecked(event)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ECR Image Scan", "ECR Replication Action", "ECR Pull Through Cache Action"})
  void rejectsOtherEcrDetailTypes(String detailType) {
    String event = stage.event("events/ecr-push-bff.json").replace("\"ECR Image Action\"", "\"" + detailType + "\"");
    assertThat(routedUnchecked(event)).isFalse();
  }
}
