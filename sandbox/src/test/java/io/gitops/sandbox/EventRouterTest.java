package io.gitops.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventRouterTest {
  private static final Path EVENTS = Path.of("../lambdas/src/test/resources/events");

  private static JsonNode event(String file) throws Exception {
    return CloudAssembly.JSON.readTree(Files.readString(EVENTS.resolve(file)));
  }

  private static EventRouter fallbackRouter() {
    return new EventRouter(StageWiring.patternFiles(Fixtures.patterns(), List.of("image-deployer", "guard")));
  }

  @Test
  void aSuccessfulPushToAMappedRepositoryGoesToTheImageDeployer() throws Exception {
    assertThat(fallbackRouter().functionsFor(event("ecr-push-bff.json"))).containsExactly("image-deployer");
  }

  @Test
  void aFailedPushGoesNowhere() throws Exception {
    assertThat(fallbackRouter().functionsFor(event("ecr-push-bff-failed.json"))).isEmpty();
  }

  @Test
  void aDeleteGoesNowhere() throws Exception {
    assertThat(fallbackRouter().functionsFor(event("ecr-delete-bff.json"))).isEmpty();
  }

  @Test
  void aPatternThatListsOtherRepositoriesDoesNotMatch() throws Exception {
    JsonNode pattern = CloudAssembly.JSON.readTree(
        "{\"source\":[\"aws.ecr\"],\"detail-type\":[\"ECR Image Action\"],\"detail\":{\"repository-name\":[\"graphql\"]}}");
    EventRouter router = new EventRouter(List.of(new EventRouter.Rule("r", "image-deployer", pattern)));
    assertThat(router.functionsFor(event("ecr-push-bff.json"))).isEmpty();
    assertThat(router.functionsFor(event("ecr-push-graphql.json"))).containsExactly("image-deployer");
  }

  @Test
  void prefixMatchingRoutesServiceTaskEvents() throws Exception {
    JsonNode pattern = CloudAssembly.JSON.readTree(
        "{\"source\":[\"aws.ecs\"],\"detail-type\":[\"ECS Task State Change\"],\"detail\":{\"group\":[{\"prefix\":\"service:\"}]}}");
    EventRouter router = new EventRouter(List.of(new EventRouter.Rule("tasks", "guard", pattern)));
    JsonNode task = CloudAssembly.JSON.readTree(
        "{\"source\":\"aws.ecs\",\"detail-type\":\"ECS Task State Change\",\"detail\":{\"group\":\"service:bff\",\"containers\":[{\"exitCode\":1}]}}");
    JsonNode oneOff = CloudAssembly.JSON.readTree(
        "{\"source\":\"aws.ecs\",\"detail-type\":\"ECS Task State Change\",\"detail\":{\"group\":\"family:bff\"}}");
    assertThat(router.functionsFor(task)).containsExactly("guard");
    assertThat(router.functionsFor(oneOff)).isEmpty();
  }
}
