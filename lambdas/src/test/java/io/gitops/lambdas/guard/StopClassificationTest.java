package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.testing.Events;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The stop classification table, over one fixture per case (no emulator needed: it is a pure function). */
class StopClassificationTest {
  private static final String JUDGED = "arn:aws:ecs:us-east-1:123456789012:task-definition/bff:2";
  private static final StopClassifier.Scope SCOPE = new StopClassifier.Scope("test-cluster", Set.of(JUDGED));

  private static TaskStateChange fixture(String name) {
    return (TaskStateChange) GuardEventParser.parse(Events.resource("events/guard/" + name + ".json"));
  }

  @ParameterizedTest(name = "{0} -> {1} (failure: {2})")
  @CsvSource({
      // failures
      "task-stopped-failed-to-start,        FAILED_TO_START,                   true",
      "task-stopped-cannot-pull,            CANNOT_PULL_IMAGE,                 true",
      "task-stopped-resource-init,          RESOURCE_INITIALIZATION,           true",
      "task-stopped-essential-exit,         ESSENTIAL_CONTAINER_EXITED,        true",
      "task-stopped-elb-health,             ELB_HEALTH_CHECK,                  true",
      "task-stopped-container-health,       CONTAINER_HEALTH_CHECK,            true",
      "task-stopped-out-of-memory,          OUT_OF_MEMORY,                     true",
      // not failures
      "task-stopped-scale-in,               SCHEDULER_SCALE_IN_OR_REPLACEMENT, false",
      "task-stopped-replaced-by-deployment, SCHEDULER_SCALE_IN_OR_REPLACEMENT, false",
      "task-stopped-user,                   USER_STOP,                         false",
      "task-stopped-spot,                   SPOT_INTERRUPTION,                 false",
      "task-stopped-termination-notice,     TERMINATION_NOTICE,                false",
      "task-stopped-clean-exit,             CLEAN_EXIT,                        false",
      "task-stopped-old-revision,           OTHER_REVISION,                    false",
      "task-stopped-run-task,               NOT_A_SERVICE_TASK,                false",
      "task-stopped-other-cluster,          OTHER_CLUSTER,                     false",
      "task-running,                        NOT_STOPPED,                       false",
      "task-pending,                        NOT_STOPPED,                       false",
  })
  void everyFixtureIsClassifiedAsListed(String fixture, StopClassifier.Kind expected, boolean failure) {
    StopClassifier.Verdict v = StopClassifier.classify(fixture(fixture), SCOPE);

    assertThat(v.kind()).isEqualTo(expected);
    assertThat(v.failure()).isEqualTo(failure);
  }

  @Test
  void aFailureOfARevisionThatIsNotJudgedIsNotCounted() {
    var scope = new StopClassifier.Scope("test-cluster", Set.of());

    assertThat(StopClassifier.classify(fixture("task-stopped-essential-exit"), scope).kind())
        .isEqualTo(StopClassifier.Kind.OTHER_REVISION);
  }

  @Test
  void theVerdictNamesTheTaskTheStopCodeAndTheExitCode() {
    var v = StopClassifier.classify(fixture("task-stopped-out-of-memory"), SCOPE);

    assertThat(v.reason()).startsWith("OUT_OF_MEMORY: task c0ffee00a1b24c3d8e9f000000000007")
        .contains("stopCode=EssentialContainerExited").contains("exit 137").contains("OutOfMemoryError");
  }

  @Test
  void relevanceRulesComeBeforeCauseRules() {
    var order = StopClassifier.ruleOrder();

    assertThat(order.subList(0, 4)).containsExactly(StopClassifier.Kind.OTHER_CLUSTER,
        StopClassifier.Kind.NOT_A_SERVICE_TASK, StopClassifier.Kind.NOT_STOPPED, StopClassifier.Kind.OTHER_REVISION);
    assertThat(order.indexOf(StopClassifier.Kind.OUT_OF_MEMORY))
        .isLessThan(order.indexOf(StopClassifier.Kind.ESSENTIAL_CONTAINER_EXITED));
    assertThat(order.indexOf(StopClassifier.Kind.ELB_HEALTH_CHECK))
        .isLessThan(order.indexOf(StopClassifier.Kind.SCHEDULER_SCALE_IN_OR_REPLACEMENT));
  }
}
