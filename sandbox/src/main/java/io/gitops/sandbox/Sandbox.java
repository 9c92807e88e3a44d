package io.gitops.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.lambdas.cli.Invoke;
import io.gitops.lambdas.core.ApiCallCounter;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.Service;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A provisioned stage in the emulator, with its functions running in-process: pushes become ECR events,
 * events reach the functions through the rules' patterns, and the {@link TaskSimulator} answers every
 * rollout with task and deployment events, until nothing is left to deliver.
 */
public final class Sandbox {
  /** A tag as Docker accepts it. */
  static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  /** One event handed to one function, and what it answered. */
  public record Delivery(JsonNode event, String function, JsonNode outcome, String error) {
    public String action() {
      return outcome == null ? "ERROR" : outcome.path("action").asText("?");
    }

    public String reason() {
      return outcome == null ? error : outcome.path("reason").asText("");
    }
  }

  /** An image pushed to the emulator's ECR. */
  public record Push(String service, String repository, String tag, String digest, boolean broken, JsonNode event) {}

  private final Emulator emulator;
  private final SandboxState state;
  private final EventRouter router;
  private final ApiCallCounter counter = new ApiCallCounter();
  private final TaskSimulator simulator;
  private final Map<String, Invoke.LocalFunction> functions = new LinkedHashMap<>();
  private final Set<String> broken = ConcurrentHashMap.newKeySet();
  private final Clock clock;
  private HealthEndpoint health;

  /**
   * @param logs where the functions' JSON logs and metrics go
   */
  public Sandbox(SandboxState state, PrintStream logs, Clock clock) {
    this.state = state;
    this.clock = clock;
    this.emulator = new Emulator(state.endpoint(), List.of());
    this.router = new EventRouter(state.rules());
    this.broken.addAll(state.brokenDigests());
    this.simulator = new TaskSimulator(broken, this::view, clock, Emulator.ACCOUNT, Emulator.REGION,
        this::registerTarget).withBreaker((cluster, service, revision) -> emulator.clients().ecs()
            .updateService(b -> b.cluster(cluster).service(service).taskDefinition(revision)));
    Map<String, Invoke.Factory> known = Invoke.functions();
    for (Map.Entry<String, Map<String, String>> e : state.environments().entrySet()) {
      Invoke.Factory f = known.get(e.getKey());
      if (f == null) continue; // a function of the stack this build cannot run locally
      Map<String, String> env = functionEnv(e.getValue(), state.endpoint());
      String probes = env.get("HEALTH_PROBE_URLS");
      if (probes != null && !probes.isBlank() && !probes.strip().equals("{}")) {
        if (health == null) health = new HealthEndpoint(this::servicesBehindLoadBalancerHealthy);
        env.put("HEALTH_PROBE_URLS", health.rewrite(probes));
      }
      LambdaConfig config = LambdaConfig.from(env);
      AwsClients.Settings settings = AwsClients.Settings.forEmulator(state.endpoint(), config.sdk(),
          List.of(counter, simulator));
      functions.put(e.getKey(), f.create(config, env, AwsClients.create(settings), settings, logs));
    }
  }

  /** The variables a function sees in the sandbox: the stack's, plus the region and the emulator. */
  static Map<String, String> functionEnv(Map<String, String> stackEnv, URI endpoint) {
    Map<String, String> env = new LinkedHashMap<>(stackEnv);
    env.put("AWS_REGION", Emulator.REGION);
    env.put("AWS_ENDPOINT_URL", endpoint.toString());
    // The production SDK budget (1 s per attempt, 2 s per call; docs/lambda-config.md) is sized for AWS; the
    // emulator on a loaded laptop can be slower than that without anything being wrong.
    env.putIfAbsent("SDK_ATTEMPT_TIMEOUT_MS", "10000");
    env.putIfAbsent("SDK_API_CALL_TIMEOUT_MS", "30000");
    return env;
  }

  public Emulator emulator() {
    return emulator;
  }

  public SandboxState state() {
    return state;
  }

  public EventRouter router() {
    return router;
  }

  public ApiCallCounter apiCalls() {
    return counter;
  }

  /** The functions this sandbox runs (rules to other functions deliver nowhere). */
  public Set<String> functions() {
    return functions.keySet();
  }

  /** The stage's services, by the container name (bff, graphql, agentcore). */
  public Map<String, ServiceTarget> services() {
    Map<String, String> env = state.environments().values().stream().findFirst().orElse(Map.of());
    LambdaConfig config = LambdaConfig.from(functionEnv(env, state.endpoint()));
    Map<String, ServiceTarget> out = new LinkedHashMap<>();
    config.services().values().forEach(t -> out.put(t.container(), t));
    return out;
  }

  public ServiceTarget service(String name) {
    ServiceTarget t = services().get(name);
    if (t == null) {
      throw new SandboxException("unknown service '" + name + "' (known: " + String.join(", ", services().keySet()) + ")");
    }
    return t;
  }

  /**
   * Pushes {@code service:tag} to the emulator's ECR (a manifest unique to the push) and returns the
   * "ECR Image Action" event EventBridge would deliver. {@code broken} marks the digest as crashing.
   */
  public Push push(String service, String tag, boolean brokenImage) {
    if (tag == null || !TAG.matcher(tag).matches()) {
      throw new SandboxException("malformed tag '" + tag + "' (letters, digits, '_', '.', '-'; at most 128)");
    }
    ServiceTarget t = service(service);
    // moto derives the image digest from the layers' digests: one layer unique to this push.
    String seed = t.repository() + ":" + tag + (brokenImage ? ":broken" : "");
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1024,\"digest\":\"sha256:"
        + sha256("config:" + seed) + "\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
        + "\"size\":4096,\"digest\":\"sha256:" + sha256("layer:" + seed) + "\"}]}";
    ObjectNode body = Emulator.object()
        .put("repositoryName", t.repository())
        .put("imageManifest", manifest)
        .put("imageManifestMediaType", "application/vnd.docker.distribution.manifest.v2+json")
        .put("imageTag", tag);
    String digest = emulator.ecr("PutImage", body).path("image").path("imageId").path("imageDigest").asText();
    if (brokenImage) {
      broken.add(digest);
      state.brokenDigests().add(digest);
    }
    return new Push(service, t.repository(), tag, digest, brokenImage, ecrEvent(t.repository(), tag, digest));
  }

  /**
   * EventBridge's {@code time} has whole seconds, and the deployer orders pushes by it: two pushes within one
   * second would tie (then the digest decides). Pushes here get strictly increasing seconds, as pushes a
   * second or more apart would.
   */
  private synchronized Instant nextPushTime() {
    Instant now = Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    lastPushTime = lastPushTime == null || now.isAfter(lastPushTime) ? now : lastPushTime.plusSeconds(1);
    return lastPushTime;
  }

  private Instant lastPushTime;

  /** An "ECR Image Action" event as EventBridge delivers it (AWS's documented shape). */
  public ObjectNode ecrEvent(String repository, String tag, String digest) {
    ObjectNode e = Emulator.object();
    e.put("version", "0");
    e.put("id", UUID.randomUUID().toString());
    e.put("detail-type", "ECR Image Action");
    e.put("source", "aws.ecr");
    e.put("account", Emulator.ACCOUNT);
    e.put("time", nextPushTime().toString());
    e.put("region", Emulator.REGION);
    e.putArray("resources");
    ObjectNode d = e.putObject("detail");
    d.put("result", "SUCCESS");
    d.put("repository-name", repository);
    d.put("image-digest", digest);
    d.put("action-type", "PUSH");
    d.put("image-tag", tag);
    return e;
  }

  /**
   * Delivers an event and everything it causes (task and deployment events of the rollouts it starts)
   * until the simulator is idle. Returns every delivery, in order.
   */
  public List<Delivery> deliver(JsonNode event) {
    List<Delivery> out = new ArrayList<>();
    Deque<JsonNode> queue = new ArrayDeque<>();
    queue.add(event);
    int guard = 0;
    while (!queue.isEmpty() || !simulator.idle()) {
      if (++guard > 10_000) throw new SandboxException("event cascade did not settle");
      if (queue.isEmpty()) {
        queue.addAll(simulator.step());
        continue;
      }
      JsonNode e = queue.poll();
      for (String fn : router.functionsFor(e)) {
        Invoke.LocalFunction f = functions.get(fn);
        if (f == null) {
          out.add(new Delivery(e, fn, null, "no function '" + fn + "' in this build (known: " + functions.keySet() + ")"));
          continue;
        }
        byte[] bytes = e.toString().getBytes(StandardCharsets.UTF_8);
        try {
          JsonNode outcome = CloudAssembly.JSON.readTree(f.handle(bytes).toString());
          out.add(new Delivery(e, fn, outcome, null));
        } catch (RuntimeException | java.io.IOException ex) {
          out.add(new Delivery(e, fn, null, ex.getClass().getSimpleName() + ": " + ex.getMessage()));
        }
      }
    }
    return out;
  }

  /** False while a service behind a load balancer runs an image marked broken (the health endpoint's answer). */
  private boolean servicesBehindLoadBalancerHealthy() {
    for (ServiceTarget t : services().values()) {
      TaskSimulator.ServiceView v = view(new String[] {t.cluster(), t.service()});
      if (v != null && !v.loadBalancers().isEmpty() && v.containerImages().values().stream().anyMatch(simulator::isBroken)) {
        return false;
      }
    }
    return true;
  }

  /** The service's state right now, as the simulator needs it; null if it does not exist. */
  TaskSimulator.ServiceView view(String[] clusterAndService) {
    List<Service> services = emulator.clients().ecs()
        .describeServices(b -> b.cluster(clusterAndService[0]).services(clusterAndService[1])).services();
    if (services.isEmpty()) return null;
    Service s = services.get(0);
    Map<String, String> images = new LinkedHashMap<>();
    for (ContainerDefinition c : emulator.clients().ecs()
        .describeTaskDefinition(b -> b.taskDefinition(s.taskDefinition())).taskDefinition().containerDefinitions()) {
      images.put(c.name(), c.image());
    }
    String deploymentId = s.hasDeployments() && !s.deployments().isEmpty() ? s.deployments().get(0).id() : "ecs-svc/0";
    List<String[]> lbs = new ArrayList<>();
    s.loadBalancers().forEach(lb -> lbs.add(new String[] {lb.targetGroupArn(), String.valueOf(lb.containerPort())}));
    return new TaskSimulator.ServiceView(s.clusterArn(), s.serviceArn(), s.serviceName(), s.taskDefinition(),
        s.desiredCount(), deploymentId, images, lbs);
  }

  /** ECS's part for a task behind a load balancer: its ENI address becomes a target of the group. */
  private void registerTarget(String targetGroupArn, String ip, int port) {
    emulator.elb().registerTargets(b -> b.targetGroupArn(targetGroupArn).targets(t -> t.id(ip).port(port)));
  }

  /** Subscribes a new queue to the alarm topic, so that notifications can be read; returns its URL. */
  static String subscribeQueue(Emulator emulator, String topicArn, String name) {
    String url = emulator.sqs().createQueue(b -> b.queueName(name)).queueUrl();
    String arn = emulator.sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    emulator.clients().sns().subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(arn));
    return url;
  }

  /** The notifications waiting in the queue (SNS envelopes' Subject and Message), consumed. */
  public List<JsonNode> drainNotifications() {
    List<JsonNode> out = new ArrayList<>();
    while (true) {
      var msgs = emulator.sqs().receiveMessage(b -> b.queueUrl(state.notificationQueueUrl()).maxNumberOfMessages(10))
          .messages();
      if (msgs.isEmpty()) return out;
      for (var m : msgs) {
        try {
          out.add(CloudAssembly.JSON.readTree(m.body()));
        } catch (java.io.IOException e) {
          out.add(CloudAssembly.JSON.createObjectNode().put("Message", m.body()));
        }
        emulator.sqs().deleteMessage(b -> b.queueUrl(state.notificationQueueUrl()).receiptHandle(m.receiptHandle()));
      }
    }
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
