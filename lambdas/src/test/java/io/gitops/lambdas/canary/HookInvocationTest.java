package io.gitops.lambdas.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import io.gitops.testing.Events;
import org.junit.jupiter.api.Test;

/** The lifecycle hook payload as the ECS developer guide documents it (events/canary/*.json). */
class HookInvocationTest {

  @Test
  void theDocumentedPayloadParses() {
    HookInvocation inv = HookInvocation.parse(Json.parse(Events.text("events/canary/lifecycle-hook-production-traffic-shift.json")));

    assertThat(inv.lifecycleStage()).isEqualTo("PRODUCTION_TRAFFIC_SHIFT");
    assertThat(inv.serviceName()).isEqualTo("bff");
    assertThat(inv.clusterName()).isEqualTo("test-cluster");
    assertThat(inv.targetProductionWeight()).isEqualTo(10.0);
    assertThat(inv.hookDetails()).isEmpty();
    assertThat(HookInvocation.looksLikeHook(Json.parse(Events.text("events/canary/lifecycle-hook-production-traffic-shift.json")))).isTrue();
    assertThat(HookInvocation.looksLikeHook(Json.parse(Events.text("events/ecr-push-bff.json")))).isFalse();
  }

  @Test
  void anInvocationWithoutItsServiceIsBadInputWithOneLine() {
    assertThatThrownBy(() -> HookInvocation.parse(Json.parse("{\"lifecycleStage\":\"POST_TEST_TRAFFIC_SHIFT\"}")))
        .isInstanceOf(InvalidInputException.class).hasMessage("$.serviceArn: missing");
  }
}
