package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.testing.Events;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The documented payload shapes map onto the domain records. */
class GuardEventParserTest {
  @Test
  void aTaskStateChangeCarriesServiceRevisionVersionAndAddress() {
    var t = (TaskStateChange) GuardEventParser.parse(Events.resource("events/guard/task-stopped-out-of-memory.json"));

    assertThat(t.service()).contains("bff");
    assertThat(t.clusterName()).isEqualTo("test-cluster");
    assertThat(t.taskDefinitionArn()).endsWith("task-definition/bff:2");
    assertThat(t.version()).isEqualTo(4);
    assertThat(t.updatedAt()).isEqualTo(Instant.parse("2026-11-16T02:01:30.6Z"));
    assertThat(t.stopCode()).contains("EssentialContainerExited");
    assertThat(t.containers()).singleElement().satisfies(c -> {
      assertThat(c.exitCode()).contains(137);
      assertThat(c.reason()).hasValueSatisfying(r -> assertThat(r).startsWith("OutOfMemoryError"));
    });
    assertThat(t.privateIp()).contains("10.0.1.17");
  }

  @Test
  void aRunTaskOneOffHasNoService() {
    var t = (TaskStateChange) GuardEventParser.parse(Events.resource("events/guard/task-stopped-run-task.json"));

    assertThat(t.service()).isEmpty();
  }

  @Test
  void aDeploymentStateChangeNamesClusterAndServiceFromItsResource() {
    var d = (DeploymentStateChange) GuardEventParser.parse(Events.resource("events/guard/deployment-failed.json"));

    assertThat(d.kind()).isEqualTo(DeploymentStateChange.Kind.SERVICE_DEPLOYMENT_FAILED);
    assertThat(d.clusterName()).isEqualTo("test-cluster");
    assertThat(d.serviceName()).isEqualTo("bff");
    assertThat(d.deploymentId()).isEqualTo("ecs-svc/4916584328468129104");
    assertThat(d.eventType()).isEqualTo("ERROR");
  }
}
