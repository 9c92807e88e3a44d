package io.gitops.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.testing.Events;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The router on its own, with patterns shaped as the stage's rules are. That the synthesized rules route the
 * stage's events is tested on the real templates: ImageDeployerRuleTest and GuardRoutingTest match them,
 * SandboxDemoTest delivers through them.
 */
class EventRouterTest {
  private static final Instant AT = Instant.parse("2026-11-30T12:00:00Z");
  private static final String DIGEST = Events.digest("router");

  private static JsonNode json(String s) throws Exception {
    return CloudAssembly.JSON.readTree(s);
  }

  private static EventRouter pushRouter(String repositories) throws Exception {
    JsonNode pattern = json("{\"source\":[\"aws.ecr\"],\"detail-type\":[\"ECR Image Action\"],"
        + "\"detail\":{\"action-type\":[\"PUSH\"],\"result\":[\"SUCCESS\"],\"repository-name\":" + repositories + "}}");
    return new EventRouter(List.of(new EventRouter.Rule("push", "image-deployer", pattern)));
  }

  @Test
  void aPatternThatListsOtherRepositoriesDoesNotMatch() throws Exception {
    EventRouter router = pushRouter("[\"graphql\"]");
    assertThat(router.functionsFor(json(Events.ecrPush("bff", DIGEST, "1.0.0", AT)))).isEmpty();
    assertThat(router.functionsFor(json(Events.ecrPush("graphql", DIGEST, "1.0.0", AT)))).containsExactly("image-deployer");
  }

  @Test
  void failedPushesAndDeletesGoNowhere() throws Exception {
    EventRouter router = pushRouter("[\"bff\"]");
    assertThat(router.functionsFor(json(Events.ecrAction("1", "bff", DIGEST, "1.0.0", AT, "PUSH", "FAILURE")))).isEmpty();
    assertThat(router.functionsFor(json(Events.ecrAction("2", "bff", DIGEST, "1.0.0", AT, "DELETE", "SUCCESS")))).isEmpty();
  }

  @Test
  void prefixMatchingRoutesServiceTaskEvents() throws Exception {
    JsonNode pattern = json(
        "{\"source\":[\"aws.ecs\"],\"detail-type\":[\"ECS Task State Change\"],\"detail\":{\"group\":[{\"prefix\":\"service:\"}]}}");
    EventRouter router = new EventRouter(List.of(new EventRouter.Rule("tasks", "guard", pattern)));
    JsonNode task = json(
        "{\"source\":\"aws.ecs\",\"detail-type\":\"ECS Task State Change\",\"detail\":{\"group\":\"service:bff\",\"containers\":[{\"exitCode\":1}]}}");
    JsonNode oneOff = json(
        "{\"source\":\"aws.ecs\",\"detail-type\":\"ECS Task State Change\",\"detail\":{\"group\":\"family:bff\"}}");
    assertThat(router.functionsFor(task)).containsExactly("guard");
    assertThat(router.functionsFor(oneOff)).isEmpty();
  }
}
