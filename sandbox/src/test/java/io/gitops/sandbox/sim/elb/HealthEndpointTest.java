package io.gitops.sandbox.sim.elb;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.contract.CanaryTestRoute;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, blocker 5: the local load balancer plays the compute stack's two rules. Only the test route's header
 * with the secret's value reaches the new revision; a missing or wrong value falls to the production rule.
 */
class HealthEndpointTest {
  private static int get(HealthEndpoint alb, String headerValue) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(alb.base() + "/api/health")).GET();
    if (headerValue != null) b.header(CanaryTestRoute.HEADER, headerValue);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void onlyTheRightHeaderValueReachesTheNewRevision() throws Exception {
    // production healthy, the new revision broken: which rule answered shows in the status
    try (HealthEndpoint alb = new HealthEndpoint(() -> true, () -> false)) {
      alb.testRoute(CanaryTestRoute.HEADER, "right-value");

      assertThat(get(alb, null)).isEqualTo(200);
      assertThat(get(alb, "wrong-value")).isEqualTo(200);
      assertThat(alb.testRouteRequests()).isZero();
      assertThat(get(alb, "right-value")).isEqualTo(503);
      assertThat(alb.testRouteRequests()).isEqualTo(1);
    }
  }

  @Test
  void withoutATestRouteEveryRequestIsProductions() throws Exception {
    try (HealthEndpoint alb = new HealthEndpoint(() -> true, () -> false)) {
      assertThat(get(alb, "anything")).isEqualTo(200);
      assertThat(alb.testRouteRequests()).isZero();
    }
  }
}
