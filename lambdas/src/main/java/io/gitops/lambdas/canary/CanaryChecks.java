package io.gitops.lambdas.canary;

import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.lambdas.core.CloudWatchQuery.Series;
import io.gitops.lambdas.guard.HttpProbeCheck;
import io.gitops.lambdas.guard.TargetHealth;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What each {@link Check.Kind} measures, for one canary: CloudWatch's Application Load Balancer metrics of
 * the new revision's target group (and of the stable one, for latency), ELB target health, and the health
 * path through the test listener rule.
 */
public final class CanaryChecks {
  public static final String NAMESPACE = "AWS/ApplicationELB";
  public static final String REQUESTS = "RequestCount";
  public static final String ERRORS = "HTTPCode_Target_5XX_Count";
  public static final String LATENCY = "TargetResponseTime";
  /** CloudWatch's data points for ALB metrics are one minute apart; shorter windows are one period. */
  static final int PERIOD_SECONDS = 60;

  /** Reads metric series; {@link CloudWatchQuery#get} in production, recorded series in tests. */
  @FunctionalInterface
  public interface MetricSource {
    List<CloudWatchQuery.Values> get(List<Series> series, Instant from, Instant to, int periodSeconds);
  }

  /** Who is measured: the load balancer and the two target groups (canary = the new revision's). */
  public record Subject(String loadBalancer, Optional<String> canaryTargetGroup, Optional<String> stableTargetGroup,
      int failedTasks, Optional<List<TargetHealth.Target>> canaryTargets) {
    public Subject(String loadBalancer, Optional<String> canaryTargetGroup, Optional<String> stableTargetGroup,
        int failedTasks) {
      this(loadBalancer, canaryTargetGroup, stableTargetGroup, failedTasks, Optional.empty());
    }
  }

  private final MetricSource metrics;
  private final TargetHealth targets;
  private final HttpProbeCheck.Probe probe;
  private final Duration probeTimeout;

  private final java.util.function.Function<URI, Map<String, String>> testHeaders;

  public CanaryChecks(MetricSource metrics, TargetHealth targets, HttpProbeCheck.Probe probe, Duration probeTimeout) {
    this(metrics, targets, probe, probeTimeout, TestRouteHeaders.NONE);
  }

  /** {@code testHeaders}: what the smoke probe sends to a test URL (the test route's header, {@link TestRouteHeaders}). */
  public CanaryChecks(MetricSource metrics, TargetHealth targets, HttpProbeCheck.Probe probe, Duration probeTimeout,
      java.util.function.Function<URI, Map<String, String>> testHeaders) {
    this.metrics = metrics;
    this.targets = targets;
    this.probe = probe;
    this.probeTimeout = probeTimeout;
    this.testHeaders = testHeaders;
  }

  /** The CloudWatch dimensions of a target group's metrics: {@code targetgroup/NAME/ID} and the ALB's. */
  public static Map<String, String> dimensions(String loadBalancer, String targetGroupArn) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("LoadBalancer", loadBalancer);
    d.put("TargetGroup", targetGroupArn.substring(targetGroupArn.indexOf(":targetgroup/") + 1));
    return d;
  }

  public Measurement measure(Check c, Subject s, Optional<URI> testProbe, Instant from, Instant to) {
    // CloudWatch counts windows in whole seconds: a window never ends in the second it starts.
    Instant end = to.isBefore(from.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1))
        ? from.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1) : to;
    return switch (c.kind()) {
      case ERROR_RATE -> fromCloudWatch(() -> errorRate(c, s, from, end));
      case LATENCY_RATIO -> fromCloudWatch(() -> latency(c, s, from, end));
      case TARGET_HEALTH -> targetHealth(s);
      case HTTP_PROBE -> probe(testProbe);
      case TASK_FAILURES -> s.failedTasks() >= c.threshold()
          ? Measurement.fail(s.failedTasks() + " failed task(s) of the new revision (threshold "
              + (int) c.threshold() + ")", Map.of("failedTasks", (double) s.failedTasks()))
          : Measurement.pass(s.failedTasks() + " failed task(s)", Map.of("failedTasks", (double) s.failedTasks()));
    };
  }

  /**
   * A metric query CloudWatch refused is an inconclusive measurement, counted against the check's inconclusive
   * limit (as Argo counts a provider error), never a pass. A throttled or failed one (a 5xx, a timeout) is not a
   * measurement at all: the error propagates, the hook answers IN_PROGRESS and measures again, so that AWS's
   * transient errors never abort a canary.
   */
  private static Measurement fromCloudWatch(java.util.function.Supplier<Measurement> query) {
    try {
      return query.get();
    } catch (CloudWatchQuery.Refused e) {
      String why = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      return Measurement.inconclusive("CloudWatch did not answer: " + (why.length() > 120 ? why.substring(0, 117) + "..." : why));
    }
  }

  private Measurement errorRate(Check c, Subject s, Instant from, Instant to) {
    if (s.canaryTargetGroup().isEmpty()) return Measurement.inconclusive("the new revision's target group is unknown");
    Map<String, String> dims = dimensions(s.loadBalancer(), s.canaryTargetGroup().get());
    List<CloudWatchQuery.Values> v = metrics.get(List.of(new Series(NAMESPACE, REQUESTS, dims, "Sum"),
        new Series(NAMESPACE, ERRORS, dims, "Sum")), from, to, PERIOD_SECONDS);
    double requests = v.get(0).sum().orElse(0.0);
    if (requests <= 0) return Measurement.inconclusive("no requests reached the new revision in the window");
    // No 5xx data points with requests means no 5xx answers: ALB publishes the count only when non-zero.
    double errors = v.get(1).sum().orElse(0.0);
    double rate = errors / requests;
    Map<String, Double> values = Map.of("errorRate", rate, "errors", errors, "requests", requests);
    String line = String.format("5xx rate %.3f (%.0f of %.0f requests), limit %.3f", rate, errors, requests, c.threshold());
    return rate > c.threshold() ? Measurement.fail(line, values) : Measurement.pass(line, values);
  }

  private Measurement latency(Check c, Subject s, Instant from, Instant to) {
    if (s.canaryTargetGroup().isEmpty() || s.stableTargetGroup().isEmpty()) {
      return Measurement.inconclusive("the target groups of both revisions are needed");
    }
    List<CloudWatchQuery.Values> v = metrics.get(List.of(
        new Series(NAMESPACE, LATENCY, dimensions(s.loadBalancer(), s.canaryTargetGroup().get()), "p95"),
        new Series(NAMESPACE, LATENCY, dimensions(s.loadBalancer(), s.stableTargetGroup().get()), "p95")),
        from, to, PERIOD_SECONDS);
    Optional<Double> canary = v.get(0).max();
    Optional<Double> stable = v.get(1).max();
    if (canary.isEmpty() || stable.isEmpty() || stable.get() <= 0) {
      return Measurement.inconclusive("no p95 latency for " + (canary.isEmpty() ? "the new" : "the stable")
          + " revision in the window");
    }
    double ratio = canary.get() / stable.get();
    Map<String, Double> values = Map.of("canaryP95", canary.get(), "stableP95", stable.get(), "ratio", ratio);
    String line = String.format("p95 %.3f s against %.3f s, ratio %.2f, limit %.2f", canary.get(), stable.get(), ratio,
        c.threshold());
    return ratio > c.threshold() ? Measurement.fail(line, values) : Measurement.pass(line, values);
  }

  private Measurement targetHealth(Subject s) {
    if (s.canaryTargetGroup().isEmpty()) return Measurement.inconclusive("the new revision's target group is unknown");
    List<TargetHealth.Target> live = s.canaryTargets().orElseGet(() -> targets.describe(s.canaryTargetGroup().get())).stream()
        .filter(t -> !"draining".equals(t.state())).toList();
    if (live.isEmpty()) return Measurement.inconclusive("no targets registered in the new revision's target group");
    long unhealthy = live.stream().filter(t -> !"healthy".equals(t.state()) && !"initial".equals(t.state())).count();
    Map<String, Double> values = Map.of("targets", (double) live.size(), "unhealthy", (double) unhealthy);
    return unhealthy > 0 ? Measurement.fail(unhealthy + " of " + live.size() + " target(s) unhealthy", values)
        : Measurement.pass(live.size() + " target(s), none unhealthy", values);
  }

  private Measurement probe(Optional<URI> url) {
    if (url.isEmpty()) return Measurement.inconclusive("no test listener URL configured");
    Map<String, String> headers;
    try {
      headers = testHeaders.apply(url.get());
    } catch (io.gitops.lambdas.core.RetryableException e) {
      // Without the header the probe would reach production, not the new revision: no verdict, measure again.
      return Measurement.inconclusive("the test route's header value could not be read: " + e.getMessage());
    }
    try {
      int code = probe.get(url.get(), headers, probeTimeout);
      Map<String, Double> values = Map.of("status", (double) code);
      return code >= 200 && code < 300 ? Measurement.pass(url.get() + " answered " + code, values)
          : Measurement.fail(url.get() + " answered " + code, values);
    } catch (IOException | RuntimeException e) {
      return Measurement.fail(url.get() + " unreachable: " + e.getClass().getSimpleName(), Map.of());
    }
  }
}
