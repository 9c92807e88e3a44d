package io.gitops.lambdas.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/** CloudWatch's Query protocol against moto over HTTP: what PutMetricData wrote, GetMetricData reads back. */
@ExtendWith(MotoExtension.class)
class CloudWatchQueryTest {

  @Test
  void getMetricDataSumsTheDataPointsOfEachSeriesInTheWindowAndNothingOutsideIt(MotoServer moto) {
    CloudWatchQuery cw = new CloudWatchQuery(UrlConnectionHttpClient.create(), Optional.of(moto.endpoint()),
        Region.US_EAST_1, StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")));
    Map<String, String> dims = new LinkedHashMap<>();
    dims.put("LoadBalancer", "app/lb/1");
    dims.put("TargetGroup", "targetgroup/green/2");
    CloudWatchQuery.Series requests = new CloudWatchQuery.Series("AWS/ApplicationELB", "RequestCount", dims, "Sum");
    CloudWatchQuery.Series errors = new CloudWatchQuery.Series("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, "Sum");
    Instant t = Instant.parse("2026-11-30T12:00:10Z");
    cw.put("AWS/ApplicationELB", Map.of(requests, 100.0, errors, 20.0), t);
    cw.put("AWS/ApplicationELB", Map.of(requests, 50.0), t.plusSeconds(5));
    cw.put("AWS/ApplicationELB", Map.of(requests, 999.0), t.plusSeconds(120));

    List<CloudWatchQuery.Values> got = cw.get(List.of(requests, errors), t.minusSeconds(10), t.plusSeconds(30), 60);

    assertThat(got.get(0).sum()).contains(150.0);
    assertThat(got.get(1).sum()).contains(20.0);
  }
}
