package io.gitops.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.testing.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EventRouterTest {
  private static final Path EVENTS = Path.of("../lambdas/src/test/resources/events");

  private static JsonNode event(String file) throws Exception {
    return CloudAssembly.JSON.readTree(Files.readString(EVENTS.resolve(file)));
  }

  private static EventRouter stageRouter;

  /** The router of the real dev stage: the synthesized rules, their intrinsics resolved in moto. */
  @BeforeAll
  static void provisionTheRealStage() {
    Emulator emulator = new Emulator(MotoServer.shared().reset(), List.of());
    emulator.warmUp().join(); // moto loads each service on first use: seconds, beyond the SDK's call timeout
    TemplateProvisioner p = new TemplateProvisioner(RealStage.assembly(), emulator);
    p.provisionAll();
    stageRouter = new EventRouter(StageWiring.read(p).rules());
  }

  private static EventRouter stageRouter() {
    return stageRouter;
  }

  @Test
  void aSuccessfulPushToAMappedRepositoryGoesToTheImageDeployer() throws Exception {
    assertThat(stageRouter().functionsFor(event("ecr-push-bff.json"))).containsExactly("image-deployer");
  }

  @Test
  void aFailedPushGoesNowhere() throws Exception {
    assertThat(stageRouter().functionsFor(event("ecr-push-bff-failed.json"))).isEmpty();
  }

  @Test
  void aDeleteGoesNowhere() throws Exception {
    assertThat(stageRouter().functionsFor(event("ecr-delete-bff.json"))).isEmpty();
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
