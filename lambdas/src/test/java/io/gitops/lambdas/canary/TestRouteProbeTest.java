package io.gitops.lambdas.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.gitops.contract.CanaryTestRoute;
import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.RetryableException;
import io.gitops.lambdas.core.SecretValues;
import io.gitops.lambdas.guard.HttpProbeCheck;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * Issue 21, blocker 5: the test listener rule reaches the new revision only with the test route's header, whose
 * value is a generated secret. The smoke probe reads it from Secrets Manager (moto over HTTP) and sends it; without it
 * a load balancer that enforces the rule answers from production (here: 404 on the test path).
 */
@ExtendWith(MotoExtension.class)
class TestRouteProbeTest {
  private static final String VALUE = "s3cretHeaderValue0123456789abcdefABCDEF0123456789";

  private HttpServer alb;
  private final AtomicInteger withHeader = new AtomicInteger();

  @BeforeEach
  void albThatEnforcesTheTestRule() throws Exception {
    alb = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    alb.createContext("/", ex -> {
      boolean test = VALUE.equals(ex.getRequestHeaders().getFirst(CanaryTestRoute.HEADER));
      if (test) withHeader.incrementAndGet();
      ex.sendResponseHeaders(test ? 200 : 404, -1);
      ex.close();
    });
    alb.start();
  }

  @AfterEach
  void stop() {
    alb.stop(0);
  }

  private static String createSecret(MotoServer moto, String name, String value) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(moto.endpoint().resolve("/"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "secretsmanager.CreateSecret")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, "
            + "SignedHeaders=host, Signature=0")
        .POST(HttpRequest.BodyPublishers.ofString("{\"Name\":\"" + name + "\",\"SecretString\":\"" + value + "\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return io.gitops.lambdas.core.Json.parse(r.body()).asObject().get("ARN").asString();
  }

  private static SecretValues secrets(MotoServer moto) {
    return new SecretValues(UrlConnectionHttpClient.create(), Optional.of(moto.endpoint()), Region.US_EAST_1,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")));
  }

  private URI testUrl() {
    return URI.create("http://127.0.0.1:" + alb.getAddress().getPort() + "/api/health");
  }

  private Measurement smoke(CanaryChecks checks) {
    Check smoke = new CanaryPlan("app/lb/1", List.of("tg-a", "tg-b"), Optional.of(testUrl()), Duration.ofSeconds(60),
        1, 1, 0.05, 1.5).smokeChecks().stream().filter(c -> c.kind() == Check.Kind.HTTP_PROBE).findFirst().orElseThrow();
    return checks.measure(smoke, new CanaryChecks.Subject("app/lb/1", Optional.empty(), Optional.empty(), 0),
        Optional.of(testUrl()), Instant.now(), Instant.now());
  }

  @Test
  void theSmokeProbeSendsTheHeaderWithTheSecretsValueAndReachesTheTestRoute(MotoServer moto) throws Exception {
    String arn = createSecret(moto, "test-route", VALUE);
    String plans = "{\"bff\":{\"loadBalancer\":\"app/lb/1\",\"targetGroups\":[\"a\",\"b\"],\"testProbeUrl\":\""
        + testUrl() + "\",\"testHeader\":{\"name\":\"" + CanaryTestRoute.HEADER + "\",\"secretArn\":\"" + arn + "\"}}}";
    TestRouteHeaders headers = TestRouteHeaders.from(Map.of(EnvVar.CANARY_ANALYSIS, plans), secrets(moto)::get);

    Measurement m = smoke(new CanaryChecks(null, null, HttpProbeCheck.HTTP, Duration.ofSeconds(2), headers::headersFor));

    assertThat(m.verdict()).isEqualTo(Verdict.PASS);
    assertThat(withHeader).hasValue(1);
    assertThat(m.detail()).doesNotContain(VALUE);
  }

  @Test
  void withoutTheHeaderTheTestRouteIsNotReached() {
    Measurement m = smoke(new CanaryChecks(null, null, HttpProbeCheck.HTTP, Duration.ofSeconds(2)));
    assertThat(m.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(m.detail()).contains("404");
    assertThat(withHeader).hasValue(0);
  }

  @Test
  void anUnreadableSecretIsNoVerdictAndNamesTheErrorNotAValue(MotoServer moto) {
    String plans = "{\"bff\":{\"loadBalancer\":\"app/lb/1\",\"targetGroups\":[\"a\",\"b\"],\"testProbeUrl\":\""
        + testUrl() + "\",\"testHeader\":{\"name\":\"" + CanaryTestRoute.HEADER + "\",\"secretArn\":\"missing\"}}}";
    TestRouteHeaders headers = TestRouteHeaders.from(Map.of(EnvVar.CANARY_ANALYSIS, plans), secrets(moto)::get);
    assertThatThrownBy(() -> secrets(moto).get("missing")).isInstanceOf(RetryableException.class)
        .hasMessageContaining("ResourceNotFoundException");

    Measurement m = smoke(new CanaryChecks(null, null, HttpProbeCheck.HTTP, Duration.ofSeconds(2), headers::headersFor));

    assertThat(m.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(withHeader).hasValue(0);
  }
}
