package io.gitops.sandbox.sim.ecs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TaskSimulatorTest {
  private static final String CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/dev";
  private static final String GOOD = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bff@sha256:aaaa";
  private static final String BAD = "123456789012.dkr.ecr.us-east-1.amazonaws.com/bff@sha256:bbbb";

  private final Set<String> broken = new HashSet<>(Set.of("sha256:bbbb"));
  private final AtomicReference<TaskSimulator.ServiceView> service = new AtomicReference<>();
  private final TaskSimulator simulator = new TaskSimulator(broken, k -> service.get(),
      Clock.fixed(Instant.parse("2026-11-28T00:00:00Z"), ZoneOffset.UTC), "123456789012", "us-east-1");

  private void serviceRuns(String revision, String image, int desired) {
    service.set(new TaskSimulator.ServiceView(CLUSTER, "arn:aws:ecs:us-east-1:123456789012:service/dev/bff", "bff",
        revision, desired, "ecs-svc/1", Map.of("bff", image)));
    simulator.watch(CLUSTER, "bff", revision);
  }

  private static List<String> statuses(List<JsonNode> events) {
    return events.stream().map(e -> e.path("detail").has("lastStatus")
        ? e.path("detail").path("lastStatus").asText() : e.path("detail").path("eventName").asText()).toList();
  }

  @Test
  void aHealthyRevisionsTasksReachRunningThenTheDeploymentCompletes() {
    serviceRuns("td:2", GOOD, 2);
    List<JsonNode> events = simulator.step();
    assertThat(statuses(events)).containsExactly("PROVISIONING", "PENDING", "RUNNING", "PROVISIONING", "PENDING",
        "RUNNING", "SERVICE_DEPLOYMENT_COMPLETED");
    assertThat(events.get(2).path("detail").path("group").asText()).isEqualTo("service:bff");
    assertThat(events.get(2).path("detail").path("taskDefinitionArn").asText()).isEqualTo("td:2");
    assertThat(events.get(6).path("resources").get(0).asText()).endsWith("service/dev/bff");
    assertThat(simulator.idle()).isTrue();
  }

  @Test
  void aBrokenImagesTasksStopWithAnEssentialContainerExitCode() {
    serviceRuns("td:3", BAD, 1);
    List<JsonNode> events = simulator.step();
    assertThat(statuses(events)).containsExactly("PROVISIONING", "PENDING", "STOPPED");
    JsonNode stop = events.get(2).path("detail");
    assertThat(stop.path("stopCode").asText()).isEqualTo("EssentialContainerExited");
    assertThat(stop.path("containers").get(0).path("exitCode").asInt()).isEqualTo(1);
    assertThat(stop.path("desiredStatus").asText()).isEqualTo("STOPPED");
  }

  @Test
  void theSchedulerReplacesCrashedTasksUntilItGivesUp() {
    serviceRuns("td:3", BAD, 1);
    int waves = 0;
    while (!simulator.idle()) {
      assertThat(simulator.step()).isNotEmpty();
      waves++;
    }
    assertThat(waves).isEqualTo(TaskSimulator.MAX_WAVES);
  }

  /** ECS's circuit breaker (issue 12): after the last failed wave, back to the last completed revision. */
  @Test
  void withABreakerTheLastFailedWaveRollsBackToTheLastCompletedRevision() {
    List<String[]> rolledBack = new java.util.ArrayList<>();
    simulator.withBreaker((cluster, svc, revision) -> {
      rolledBack.add(new String[] {svc, revision});
      serviceRuns(revision, GOOD, 1);
    });
    serviceRuns("td:2", GOOD, 1);
    simulator.step();
    serviceRuns("td:3", BAD, 1);
    List<JsonNode> last = List.of();
    for (int wave = 0; wave < TaskSimulator.MAX_WAVES; wave++) last = simulator.step();

    assertThat(rolledBack).singleElement().satisfies(r -> assertThat(r).containsExactly("bff", "td:2"));
    assertThat(statuses(last)).contains("SERVICE_DEPLOYMENT_FAILED");
    assertThat(statuses(simulator.step())).contains("RUNNING", "SERVICE_DEPLOYMENT_COMPLETED");
  }

  @Test
  void aRolloutSupersededByAnotherRevisionEmitsNothing() {
    serviceRuns("td:3", BAD, 1);
    service.set(new TaskSimulator.ServiceView(CLUSTER, "svc", "bff", "td:2", 1, "ecs-svc/1", Map.of("bff", GOOD)));
    assertThat(simulator.step()).isEmpty();
    assertThat(simulator.idle()).isTrue();
  }

  @Test
  void everyEventOfATaskCarriesAHigherVersion() {
    serviceRuns("td:2", GOOD, 1);
    List<JsonNode> events = simulator.step();
    assertThat(events.subList(0, 3).stream().map(e -> e.path("detail").path("version").asLong()).toList())
        .isSorted().doesNotHaveDuplicates();
  }
}
