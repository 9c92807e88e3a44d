package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.event.ruler.Machine;

/**
 * The guard's two EventBridge rules, as the dev stage synthesizes them ({@link DevStageRules}), matched with
 * AWS's own pattern engine (event-ruler) against the event fixtures.
 */
class GuardRoutingTest {
  static final String TASK_RULE = "guard-task-rule";
  static final String DEPLOYMENT_RULE = "guard-deployment-rule";

  private static Machine machine;
  private static DevStageRules stage;

  @BeforeAll
  static void rules() throws Exception {
    stage = DevStageRules.get();
    assertThat(stage.target("TaskStateRule")).isEqualTo("guard");
    assertThat(stage.target("DeploymentStateRule")).isEqualTo("guard");
    machine = new Machine();
    machine.addRule(TASK_RULE, stage.pattern("TaskStateRule"));
    machine.addRule(DEPLOYMENT_RULE, stage.pattern("DeploymentStateRule"));
  }

  private static List<String> route(String fixture) {
    try {
      // a class-path resource name: "../" must be resolved here, a jar does not
      String path = java.net.URI.create("events/guard/" + fixture + ".json").normalize().toString();
      return machine.rulesForJSONEvent(stage.event(path));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"task-stopped-failed-to-start", "task-stopped-cannot-pull", "task-stopped-resource-init",
      "task-stopped-essential-exit", "task-stopped-elb-health", "task-stopped-container-health",
      "task-stopped-out-of-memory", "task-stopped-scale-in", "task-stopped-replaced-by-deployment",
      "task-stopped-user", "task-stopped-spot", "task-stopped-termination-notice", "task-stopped-clean-exit",
      "task-stopped-old-revision", "task-running"})
  void theTaskRuleDeliversThisClustersServiceTasks(String fixture) {
    assertThat(route(fixture)).containsExactly(TASK_RULE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"task-stopped-run-task", "task-stopped-other-cluster", "task-pending"})
  void theTaskRuleRejectsOneOffsOtherClustersAndTransitionalStates(String fixture) {
    assertThat(route(fixture)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"deployment-in-progress", "deployment-completed", "deployment-failed"})
  void theDeploymentRuleDeliversThisClustersServiceDeployments(String fixture) {
    assertThat(route(fixture)).containsExactly(DEPLOYMENT_RULE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"deployment-completed-other-cluster", "deployment-completed-unmapped-service"})
  void theDeploymentRuleRejectsOtherClustersAndServices(String fixture) {
    assertThat(route(fixture)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"../ecr-push-bff"})
  void neitherRuleDeliversOtherSources(String fixture) {
    assertThat(route(fixture)).isEmpty();
  }
}
