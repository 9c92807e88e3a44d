package io.gitops.sandbox.sim.ecs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.host.LambdaHost;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/**
 * Plays ECS's deployment lifecycle for a service with a traffic-shifting strategy, which moto lacks (Amazon
 * ECS developer guide, "Amazon ECS canary deployments", "Lifecycle hooks for Amazon ECS service
 * deployments"). After the new revision's tasks started (the {@link TaskSimulator}'s wave), the stages run in
 * ECS's order: TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT (hook), PRODUCTION_TRAFFIC_SHIFT at the canary
 * percent (hook), the step bake, PRODUCTION_TRAFFIC_SHIFT at 100% (hook), POST_PRODUCTION_TRAFFIC_SHIFT
 * (hook), BAKE_TIME, CLEAN_UP. The hook (the function whose environment carries CANARY_ANALYSIS, the guard)
 * is invoked synchronously through the local Lambda host with ECS's payload, again while it answers
 * IN_PROGRESS, its hookDetails handed back.
 *
 * <p>Time is compressed: the callback delays, the step bake and the bake time are not waited for. Traffic is
 * simulated: before each callback, a window of requests is written to moto's CloudWatch for both target
 * groups by their weights, with the 5xx share a scenario set for the image ({@link #errorRate}). FAILED rolls
 * back as ECS does: production weights back on the stable revision, the new targets deregistered, the service
 * back on its previous revision, SERVICE_DEPLOYMENT_FAILED.
 */
public final class CanaryLifecycle {
  /** Requests per measurement window across both revisions (about one a second over a minute). */
  static final int REQUESTS_PER_WINDOW = 60;
  static final int MAX_INVOCATIONS_PER_STAGE = 50;

  /** One canary service, from the hook function's CANARY_ANALYSIS. */
  record Plan(String service, String loadBalancer, List<String> targetGroups, double canaryPercent) {}

  /** What one deployment went through: the lines for people, the abort, and the exposure to the new revision. */
  public record Run(String service, boolean promoted, List<String> lines, Optional<String> abortReason,
      int hookInvocations, long firstBadWindowNanos, long decidedNanos, double newRevisionRequests,
      double totalRequests, long logicalSecondsToAbort) {
    /** Wall time from the first window with a bad signal to the abort decision, in ms; -1 when none. */
    public double signalToAbortMillis() {
      return firstBadWindowNanos < 0 || abortReason.isEmpty() ? -1 : (decidedNanos - firstBadWindowNanos) / 1e6;
    }
  }

  private final LambdaHost host;
  private final String hookFunction;
  private final Map<String, Plan> plans;
  private final CloudWatchQuery cloudWatch;
  private final Emulator emulator;
  private final String account;
  private final String region;
  /** Per service: the target group that serves production now (ECS alternates them). */
  private final Map<String, String> live = new ConcurrentHashMap<>();
  /** Per image digest: the 5xx share its tasks answer with (0 when not set). */
  private final Map<String, Double> errorRates = new ConcurrentHashMap<>();
  /** Per service: the production traffic weights now, target group → percent. */
  private final Map<String, Map<String, Double>> weights = new ConcurrentHashMap<>();
  private final List<Run> runs = new ArrayList<>();
  /** Per image digest: the response time its tasks answer in, in ms ({@link #DEFAULT_LATENCY_MS} when not set). */
  private final Map<String, Integer> latencies = new ConcurrentHashMap<>();
  static final int DEFAULT_LATENCY_MS = 180;
  /** Each simulated request's response time spreads ±25% around its image's (seeded: runs repeat). */
  private final java.util.Random jitter = new java.util.Random(20);
  private final ServiceRevisionsExchange serviceRevisions = new ServiceRevisionsExchange();
  private final io.gitops.sandbox.sim.elb.ResponseTimes responseTimes = new io.gitops.sandbox.sim.elb.ResponseTimes();
  private int revisions;
  private Consumer<String> listener = s -> { };

  private CanaryLifecycle(LambdaHost host, String hookFunction, Map<String, Plan> plans, Emulator emulator,
      URI endpoint, String account, String region) {
    this.host = host;
    this.hookFunction = hookFunction;
    this.plans = plans;
    this.emulator = emulator;
    this.account = account;
    this.region = region;
    this.cloudWatch = new CloudWatchQuery(UrlConnectionHttpClient.create(), Optional.of(endpoint), Region.of(region),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")));
    // Which group serves production is the emulator's state: the one holding targets (the second after an odd
    // number of promotions), so that a later `sandbox push` continues where the last one left off.
    plans.values().forEach(p -> live.put(p.service(), hasTargets(p.targetGroups().get(1))
        && !hasTargets(p.targetGroups().get(0)) ? p.targetGroups().get(1) : p.targetGroups().get(0)));
  }

  /**
   * The lifecycle of the stage's canary services, or empty when none: the hook is the canary hook function, as the
   * compute stack's HookTargetArn names it (its alias); failing that, the function whose environment carries
   * CANARY_ANALYSIS.
   */
  public static Optional<CanaryLifecycle> of(LambdaHost host, Map<String, Map<String, String>> environments, Emulator emulator,
      URI endpoint, String account, String region) {
    List<String> candidates = new ArrayList<>(host.functions());
    String hook = io.gitops.contract.FunctionHandler.CANARY_HOOK.functionName();
    if (candidates.remove(hook)) candidates.add(0, hook);
    for (String function : candidates) {
      String plan = host.spec(function).environment().get(EnvVar.CANARY_ANALYSIS);
      if (plan == null || plan.isBlank()) continue;
      Map<String, Plan> plans = new LinkedHashMap<>();
      try {
        JsonNode root = CloudAssembly.JSON.readTree(plan);
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          List<String> groups = new ArrayList<>();
          e.getValue().path("targetGroups").forEach(g -> groups.add(g.asText()));
          plans.put(e.getKey(), new Plan(e.getKey(), e.getValue().path("loadBalancer").asText(), groups,
              e.getValue().path("canaryPercent").asDouble(100)));
        }
      } catch (java.io.IOException e) {
        throw new SandboxException(function + ": unreadable " + EnvVar.CANARY_ANALYSIS + ": " + e.getMessage());
      }
      return Optional.of(new CanaryLifecycle(host, function, plans, emulator, endpoint, account, region));
    }
    return Optional.empty();
  }

  public boolean handles(String service) {
    return plans.containsKey(service);
  }

  /** The target group the new revision's tasks register in: the one not serving production. */
  public String greenTargetGroup(String service) {
    Plan p = plans.get(service);
    String blue = live.get(service);
    return p.targetGroups().stream().filter(tg -> !tg.equals(blue)).findFirst().orElseThrow();
  }

  public String liveTargetGroup(String service) {
    return live.get(service);
  }

  /** A scenario's knob: the 5xx share the image with this digest answers (the metric source). */
  public void errorRate(String digest, double rate) {
    errorRates.put(digest, rate);
  }

  /** A scenario's knob: the response time the image with this digest answers in (the latency check's source). */
  public void latencyMs(String digest, int ms) {
    latencies.put(digest, ms);
  }

  /**
   * What this lifecycle serves on the functions' wire that moto lacks: DescribeServiceRevisions of the revisions
   * it plays, and GetMetricData of the load balancer's TargetResponseTime percentiles from the traffic it
   * simulates.
   */
  public List<io.gitops.sandbox.host.AwsProxy.Exchange> exchanges() {
    return List.of(serviceRevisions, responseTimes);
  }

  public Map<String, Double> weights(String service) {
    return Map.copyOf(weights.getOrDefault(service, Map.of(live.getOrDefault(service, ""), 100.0)));
  }

  public synchronized List<Run> runs() {
    return List.copyOf(runs);
  }

  public void onLine(Consumer<String> l) {
    this.listener = l;
  }

  /**
   * Runs the stages for a new revision whose tasks started; returns true when promoted (the caller sends
   * SERVICE_DEPLOYMENT_COMPLETED), false when the hook aborted (the caller rolls the service back).
   */
  synchronized boolean play(TaskSimulator.ServiceView v, String newDigest, String stableDigest) {
    return play(v, newDigest, stableDigest, null);
  }

  /** {@code stableRevision}: the task definition production runs now (null when unknown). */
  synchronized boolean play(TaskSimulator.ServiceView v, String newDigest, String stableDigest, String stableRevision) {
    playing = true;
    try {
      return playStages(v, newDigest, stableDigest, stableRevision);
    } finally {
      playing = false;
    }
  }

  private volatile boolean playing;

  /**
   * True while a lifecycle plays: the production listener rule still reaches the stable revision (the one whose
   * deployment completed), the test rule the new one.
   */
  public boolean playing() {
    return playing;
  }

  private boolean playStages(TaskSimulator.ServiceView v, String newDigest, String stableDigest, String stableRevision) {
    Plan plan = plans.get(v.serviceName());
    String blue = live.get(v.serviceName());
    String green = greenTargetGroup(v.serviceName());
    String clusterName = v.clusterArn().substring(v.clusterArn().lastIndexOf('/') + 1);
    String prefix = "arn:aws:ecs:" + region + ":" + account + ":service-revision/" + clusterName + "/" + v.serviceName() + "/";
    String blueRevision = prefix + (4980306466373577000L + revisions);
    String greenRevision = prefix + (4980306466373577000L + ++revisions);
    String deployment = "arn:aws:ecs:" + region + ":" + account + ":service-deployment/" + clusterName + "/"
        + v.serviceName() + "/" + v.deploymentId().replace("ecs-svc/", "");
    // DescribeServiceRevisions: the revision each hook invocation names, and the one ECS would restore.
    serviceRevisions.put(greenRevision, v.serviceArn(), v.clusterArn(), v.taskDefinitionArn(), v.containerImages(), green);
    if (stableRevision != null) {
      var td = emulator.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(stableRevision)).taskDefinition();
      Map<String, String> images = new LinkedHashMap<>();
      td.containerDefinitions().forEach(c -> images.put(c.name(), c.image()));
      serviceRevisions.put(blueRevision, v.serviceArn(), v.clusterArn(), stableRevision, images, blue);
    }
    State s = new State(plan, v, blue, green, blueRevision, greenRevision, deployment, newDigest, stableDigest);

    boolean ok = s.stage("POST_TEST_TRAFFIC_SHIFT", Map.of(blueRevision, 100.0), Map.of(greenRevision, 100.0), false)
        && s.stage("PRODUCTION_TRAFFIC_SHIFT", Map.of(blueRevision, 100 - plan.canaryPercent(), greenRevision,
            plan.canaryPercent()), Map.of(), true)
        && s.stage("PRODUCTION_TRAFFIC_SHIFT", Map.of(greenRevision, 100.0), Map.of(), false)
        && s.stage("POST_PRODUCTION_TRAFFIC_SHIFT", Map.of(greenRevision, 100.0), Map.of(), true);
    if (ok) {
      s.say("BAKE_TIME (compressed), CLEAN_UP: " + tg(blue) + " emptied, production on "
          + tg(green));
      deregisterAll(blue);
      live.put(v.serviceName(), green);
      weights.put(v.serviceName(), Map.of(green, 100.0));
    } else {
      s.say("rollback: production traffic back on " + tg(blue) + " (stable), "
          + tg(green) + " emptied");
      deregisterAll(green);
      weights.put(v.serviceName(), Map.of(blue, 100.0));
    }
    Run run = new Run(v.serviceName(), ok, List.copyOf(s.lines), s.abort, s.invocations, s.firstBad,
        System.nanoTime(), s.greenRequests, s.totalRequests, s.logicalToAbort());
    runs.add(run);
    return ok;
  }

  private boolean hasTargets(String targetGroup) {
    return !emulator.elb().describeTargetHealth(b -> b.targetGroupArn(targetGroup)).targetHealthDescriptions().isEmpty();
  }

  /** "arn:…:targetgroup/NAME/ID" → NAME. */
  public static String tg(String arn) {
    String tail = arn.substring(arn.indexOf("targetgroup/") + "targetgroup/".length());
    return tail.contains("/") ? tail.substring(0, tail.indexOf('/')) : tail;
  }

  private void deregisterAll(String targetGroup) {
    var targets = emulator.elb().describeTargetHealth(b -> b.targetGroupArn(targetGroup)).targetHealthDescriptions();
    if (targets.isEmpty()) return;
    emulator.elb().deregisterTargets(b -> b.targetGroupArn(targetGroup)
        .targets(targets.stream().map(t -> t.target()).toList()));
  }

  /** One deployment's progress through the stages. */
  private final class State {
    final Plan plan;
    final TaskSimulator.ServiceView v;
    final String blue;
    final String green;
    final String blueRevision;
    final String greenRevision;
    final String deployment;
    final String newDigest;
    final String stableDigest;
    final List<String> lines = new ArrayList<>();
    Optional<String> abort = Optional.empty();
    int invocations;
    long firstBad = -1;
    long logical;
    long logicalFirstBad = -1;
    double greenRequests;
    double totalRequests;

    State(Plan plan, TaskSimulator.ServiceView v, String blue, String green, String blueRevision,
        String greenRevision, String deployment, String newDigest, String stableDigest) {
      this.plan = plan;
      this.v = v;
      this.blue = blue;
      this.green = green;
      this.blueRevision = blueRevision;
      this.greenRevision = greenRevision;
      this.deployment = deployment;
      this.newDigest = newDigest;
      this.stableDigest = stableDigest;
    }

    long logicalToAbort() {
      return abort.isPresent() && logicalFirstBad >= 0 ? logical - logicalFirstBad : -1;
    }

    void say(String line) {
      lines.add(line);
      listener.accept(line);
    }

    /** One lifecycle stage: the hook until it answers SUCCEEDED (true) or FAILED (false). */
    boolean stage(String stage, Map<String, Double> production, Map<String, Double> test, boolean traffic) {
      double greenShare = production.getOrDefault(greenRevision, 0.0);
      weights.put(v.serviceName(), Map.of(blue, 100 - greenShare, green, greenShare));
      JsonNode details = null;
      for (int i = 0; i < MAX_INVOCATIONS_PER_STAGE; i++) {
        if (traffic && i > 0) window(greenShare);
        ObjectNode payload = payload(stage, production, test, details);
        LambdaHost.SyncOutcome r = host.invoke(hookFunction, payload.toString().getBytes(StandardCharsets.UTF_8));
        invocations++;
        if (!r.ok()) {
          // A function error is a FAILED hook for ECS: the deployment rolls back.
          abort = Optional.of(stage + ": the hook failed: " + r.errorType() + " " + r.errorMessage());
          say("ECS " + stage + " → " + hookFunction + " (hook): function error, deployment rolls back");
          return false;
        }
        JsonNode answer;
        try {
          answer = CloudAssembly.JSON.readTree(r.payload());
        } catch (java.io.IOException e) {
          throw new SandboxException("the hook answered something other than JSON: " + r.payloadText());
        }
        String status = answer.path("hookStatus").asText("");
        List<String> measured = new ArrayList<>();
        answer.path("hookDetails").path("lastMeasurements").forEach(m -> measured.add(m.asText()));
        String weightText = String.format("%s %.0f%%", tg(green), greenShare);
        say("ECS " + stage + " (" + weightText + ") → " + hookFunction + " (hook): " + status
            + ("IN_PROGRESS".equals(status) ? " (callBackDelay " + answer.path("callBackDelay").asLong(30) + " s)" : "")
            + (measured.isEmpty() ? "" : " " + String.join("; ", measured)));
        switch (status) {
          case "SUCCEEDED" -> {
            return true;
          }
          case "FAILED" -> {
            abort = Optional.of(stage + ": " + String.join("; ", measured));
            return false;
          }
          case "IN_PROGRESS" -> {
            details = answer.path("hookDetails");
            logical += answer.path("callBackDelay").asLong(30);
          }
          default -> {
            // ECS rolls back when no valid hookStatus comes back.
            abort = Optional.of(stage + ": no valid hookStatus in " + r.payloadText());
            return false;
          }
        }
      }
      throw new SandboxException(stage + ": the hook answered IN_PROGRESS " + MAX_INVOCATIONS_PER_STAGE + " times");
    }

    /** One window of simulated production traffic, split by weight, written to CloudWatch for both groups. */
    void window(double greenShare) {
      double greenRequests = Math.round(REQUESTS_PER_WINDOW * greenShare / 100.0);
      double blueRequests = REQUESTS_PER_WINDOW - greenRequests;
      double greenRate = errorRates.getOrDefault(newDigest, 0.0);
      double blueRate = errorRates.getOrDefault(stableDigest, 0.0);
      Instant now = Instant.now();
      Map<CloudWatchQuery.Series, Double> data = new LinkedHashMap<>();
      put(data, green, greenRequests, greenRequests * greenRate, latencies.getOrDefault(newDigest, DEFAULT_LATENCY_MS), now);
      put(data, blue, blueRequests, blueRequests * blueRate, latencies.getOrDefault(stableDigest, DEFAULT_LATENCY_MS),
          now);
      cloudWatch.put("AWS/ApplicationELB", data, now);
      this.greenRequests += greenRequests;
      this.totalRequests += REQUESTS_PER_WINDOW;
      if (firstBad < 0 && (greenRate > 0 || latencies.containsKey(newDigest)) && greenRequests > 0) {
        firstBad = System.nanoTime();
        logicalFirstBad = logical;
      }
    }

    void put(Map<CloudWatchQuery.Series, Double> data, String targetGroup, double requests, double errors,
        int latencyMs, Instant now) {
      if (requests <= 0) return;
      Map<String, String> dims = new LinkedHashMap<>();
      dims.put("LoadBalancer", plan.loadBalancer());
      dims.put("TargetGroup", targetGroup.substring(targetGroup.indexOf(":targetgroup/") + 1));
      // Every simulated request's response time, for the percentiles GetMetricData serves (ResponseTimes).
      List<Double> seconds = new ArrayList<>();
      for (int i = 0; i < requests; i++) seconds.add(latencyMs / 1000.0 * (0.75 + 0.5 * jitter.nextDouble()));
      responseTimes.record(plan.loadBalancer(), dims.get("TargetGroup"), now, seconds);
      data.put(new CloudWatchQuery.Series("AWS/ApplicationELB", "RequestCount", dims, "Sum"), requests);
      // ALB publishes the 5xx count only when there were some.
      if (errors > 0) {
        data.put(new CloudWatchQuery.Series("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", dims, "Sum"), errors);
      }
      data.put(new CloudWatchQuery.Series("AWS/ApplicationELB", "TargetResponseTime", dims, "Average"),
          seconds.stream().mapToDouble(Double::doubleValue).average().orElse(0));
    }

    /** ECS's payload (lifecycle payloads: executionDetails, executionId, lifecycleStage, resourceArn). */
    ObjectNode payload(String stage, Map<String, Double> production, Map<String, Double> test, JsonNode details) {
      ObjectNode p = Emulator.object();
      ObjectNode exec = p.putObject("executionDetails");
      ObjectNode t = exec.putObject("testTrafficWeights");
      test.forEach(t::put);
      ObjectNode w = exec.putObject("productionTrafficWeights");
      production.forEach(w::put);
      exec.put("serviceArn", v.serviceArn());
      exec.put("targetServiceRevisionArn", greenRevision);
      p.put("executionId", java.util.UUID.randomUUID().toString());
      p.put("lifecycleStage", stage);
      p.put("resourceArn", deployment);
      if (details != null && !details.isMissingNode() && !details.isNull()) p.set("hookDetails", details);
      return p;
    }
  }
}
