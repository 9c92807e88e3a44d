package io.gitops.sandbox.sim.elb;

import io.gitops.sandbox.host.AwsProxy;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load balancer's {@code TargetResponseTime} as CloudWatch serves it by percentile, which moto does not
 * (its GetMetricData answers a percentile statistic with an HTML 500 page). The canary lifecycle records the
 * response time of every request it simulates, per target group; GetMetricData for {@code pNN} of
 * {@code AWS/ApplicationELB TargetResponseTime} is answered from those samples, one value per period: the
 * percentile of the period's requests (CloudWatch user guide, "Percentiles"), seconds as ALB reports them.
 * Any other query goes to the emulator.
 */
public final class ResponseTimes implements AwsProxy.Exchange {
  private static final Pattern PERCENTILE = Pattern.compile("p(\\d{1,2}(\\.\\d+)?)");
  private static final Pattern MEMBER = Pattern.compile("MetricDataQueries\\.member\\.(\\d+)\\.(.+)");

  private record Sample(long atMillis, double seconds) {}

  /** "LoadBalancer=app/…|TargetGroup=targetgroup/…" → samples, oldest first. */
  private final Map<String, List<Sample>> samples = new ConcurrentHashMap<>();

  /** Records the response times (seconds) of requests one target group answered at {@code at}. */
  public void record(String loadBalancer, String targetGroupDimension, Instant at, List<Double> seconds) {
    List<Sample> list = samples.computeIfAbsent(key(Map.of("LoadBalancer", loadBalancer, "TargetGroup",
        targetGroupDimension)), k -> java.util.Collections.synchronizedList(new ArrayList<>()));
    for (double s : seconds) list.add(new Sample(at.toEpochMilli(), s));
  }

  private static String key(Map<String, String> dimensions) {
    return new TreeMap<>(dimensions).toString();
  }

  @Override
  public AwsProxy.Served serve(String service, String operation, byte[] requestBody) {
    if (!"monitoring".equals(service) || !"GetMetricData".equals(operation)) return null;
    Map<String, String> form = new LinkedHashMap<>();
    for (String kv : new String(requestBody, StandardCharsets.UTF_8).split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        form.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    Map<Integer, Map<String, String>> queries = new TreeMap<>();
    form.forEach((k, v) -> {
      Matcher m = MEMBER.matcher(k);
      if (m.matches()) queries.computeIfAbsent(Integer.parseInt(m.group(1)), i -> new LinkedHashMap<>()).put(m.group(2), v);
    });
    if (queries.isEmpty()) return null;
    for (Map<String, String> q : queries.values()) {
      if (!"AWS/ApplicationELB".equals(q.get("MetricStat.Metric.Namespace"))
          || !"TargetResponseTime".equals(q.get("MetricStat.Metric.MetricName"))
          || !PERCENTILE.matcher(String.valueOf(q.get("MetricStat.Stat"))).matches()) {
        return null; // not ours: the emulator answers (sums and averages it serves)
      }
    }
    long from = Instant.parse(form.get("StartTime")).toEpochMilli();
    long to = Instant.parse(form.get("EndTime")).toEpochMilli();
    StringBuilder xml = new StringBuilder("<GetMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
        + "<GetMetricDataResult><MetricDataResults>");
    for (Map<String, String> q : queries.values()) {
      Map<String, String> dims = new LinkedHashMap<>();
      for (int d = 1; q.containsKey("MetricStat.Metric.Dimensions.member." + d + ".Name"); d++) {
        dims.put(q.get("MetricStat.Metric.Dimensions.member." + d + ".Name"),
            q.get("MetricStat.Metric.Dimensions.member." + d + ".Value"));
      }
      long period = Math.max(1, Long.parseLong(q.getOrDefault("MetricStat.Period", "60"))) * 1000;
      Matcher p = PERCENTILE.matcher(q.get("MetricStat.Stat"));
      p.matches();
      double percentile = Double.parseDouble(p.group(1));
      TreeMap<Long, List<Double>> byPeriod = new TreeMap<>();
      List<Sample> list = samples.getOrDefault(key(dims), List.of());
      synchronized (list) {
        for (Sample s : list) {
          if (s.atMillis() >= from && s.atMillis() < to) {
            byPeriod.computeIfAbsent(from + (s.atMillis() - from) / period * period, k -> new ArrayList<>()).add(s.seconds());
          }
        }
      }
      StringBuilder timestamps = new StringBuilder();
      StringBuilder values = new StringBuilder();
      // CloudWatch lists the newest data point first.
      byPeriod.descendingMap().forEach((start, secs) -> {
        timestamps.append("<member>").append(Instant.ofEpochMilli(start)).append("</member>");
        values.append("<member>").append(percentile(secs, percentile)).append("</member>");
      });
      xml.append("<member><Id>").append(q.get("Id")).append("</Id><Label>TargetResponseTime</Label>")
          .append("<StatusCode>Complete</StatusCode><Timestamps>").append(timestamps).append("</Timestamps><Values>")
          .append(values).append("</Values></member>");
    }
    xml.append("</MetricDataResults><Messages/></GetMetricDataResult><ResponseMetadata><RequestId>sandbox-metrics"
        + "</RequestId></ResponseMetadata></GetMetricDataResponse>");
    return new AwsProxy.Served("text/xml", xml.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The nearest-rank percentile of {@code values}. */
  static double percentile(List<Double> values, double percentile) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }
}
