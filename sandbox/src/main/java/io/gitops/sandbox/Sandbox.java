package io.gitops.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.contract.EnvVar;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.host.AwsProxy;
import io.gitops.sandbox.host.FunctionSpec;
import io.gitops.sandbox.host.HostOptions;
import io.gitops.sandbox.host.LambdaHost;
import io.gitops.sandbox.sim.ecs.CanaryLifecycle;
import io.gitops.sandbox.sim.ecs.TaskSimulator;
import io.gitops.sandbox.sim.elb.HealthEndpoint;
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
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.Service;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A provisioned stage in the emulator, with its functions running in the local Lambda host ({@link LambdaHost}:
 * their own JVMs, the runtime interface client, Lambda's asynchronous retries and destinations): pushes
 * become ECR events, events reach the functions through the rules' patterns as asynchronous invocations, and the {@link TaskSimulator} answers every
 * rollout with task and deployment events, until nothing is left to deliver.
 */
public final class Sandbox implements AutoCloseable {
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
  private final TaskSimulator simulator;
  private final LambdaHost host;
  private final Set<String> broken = ConcurrentHashMap.newKeySet();
  private final Clock clock;
  private HealthEndpoint health;
  private final Optional<CanaryLifecycle> canary;

  /** ECS's lifecycle for the services with a traffic-shifting strategy (the BFF's canary), if any. */
  public Optional<CanaryLifecycle> canary() {
    return canary;
  }

  /** Retry delays in the sandbox: Lambda's 1 and 2 minutes become 0.6 and 1.2 s (see docs/emulator-gaps.md). */
  public static final double TIME_SCALE = 0.01;

  /** @param logs unused: the functions run in their own JVMs and write to a temporary log file */
  public Sandbox(SandboxState state, PrintStream logs, Clock clock) {
    this(state, tempLog(), clock);
  }

  /** @param functionLog where the functions' JVMs write their output (their JSON logs and EMF metrics) */
  public Sandbox(SandboxState state, java.nio.file.Path functionLog, Clock clock) {
    this(state, HostOptions.defaults(Optional.empty(), functionLog).withTimeScale(TIME_SCALE), clock);
  }

  public Sandbox(SandboxState state, HostOptions options, Clock clock) {
    this.state = state;
    this.clock = clock;
    this.emulator = new Emulator(state.endpoint(), List.of());
    this.router = new EventRouter(state.rules());
    this.broken.addAll(state.brokenDigests());
    this.simulator = new TaskSimulator(broken, this::view, clock, Emulator.ACCOUNT, Emulator.REGION,
        this::registerTarget).withBreaker((cluster, service, revision) -> emulator.clients().ecs()
            .updateService(b -> b.cluster(cluster).service(service).taskDefinition(revision)));
    List<FunctionSpec> specs = new ArrayList<>();
    for (FunctionSpec f : state.functions()) {
      Map<String, String> env = new LinkedHashMap<>(f.environment());
      emulatorSdkBudget(env);
      String probes = env.get(EnvVar.HEALTH_PROBE_URLS);
      if (probes != null && !probes.isBlank() && !probes.strip().equals("{}")) {
        if (health == null) health = new HealthEndpoint(this::productionHealthy, this::servicesBehindLoadBalancerHealthy);
        env.put(EnvVar.HEALTH_PROBE_URLS, health.rewrite(probes));
      }
      String canaries = env.get(EnvVar.CANARY_ANALYSIS);
      if (canaries != null && !canaries.isBlank()) {
        // The test listener's URL (the ALB's name in the stack) goes to the local health endpoint too.
        if (health == null) health = new HealthEndpoint(this::productionHealthy, this::servicesBehindLoadBalancerHealthy);
        env.put(EnvVar.CANARY_ANALYSIS, health.rewriteField(canaries, "testProbeUrl"));
        testRoute(canaries);
      }
      specs.add(f.withEnvironment(env));
    }
    this.host = new LambdaHost(specs, options, Optional.of(state.endpoint()), this::sendToQueue, clock);
    this.canary = CanaryLifecycle.of(host, state.environments(), emulator, state.endpoint(), Emulator.ACCOUNT,
        Emulator.REGION);
    canary.ifPresent(simulator::withCanary);
    canary.ifPresent(c -> c.exchanges().forEach(host.proxy().orElseThrow()::addExchange));
    // ECS's scheduler acts on UpdateService: so does the simulator, on each call the functions make, and it
    // answers with the PRIMARY deployment's id as ECS does (moto keeps one deployment and returns no new id).
    host.proxy().orElseThrow().addExchange(new UpdateServiceExchange());
  }

  private static java.nio.file.Path tempLog() {
    try {
      java.nio.file.Path f = java.nio.file.Files.createTempFile("gitops-functions", ".log");
      f.toFile().deleteOnExit();
      return f;
    } catch (java.io.IOException e) {
      throw new SandboxException("cannot create a log file for the functions: " + e.getMessage());
    }
  }

  /** What ECS does on the functions' UpdateService calls, played by the task simulator. */
  private final class UpdateServiceExchange implements AwsProxy.Exchange {
    @Override
    public void beforeForward(String service, String operation, byte[] requestBody) {
      if (!"UpdateService".equals(operation)) return;
      JsonNode req = read(requestBody);
      if (req.hasNonNull("taskDefinition")) {
        simulator.beforeUpdate(req.path("cluster").asText(), req.path("service").asText());
      }
    }

    @Override
    public byte[] answer(String service, String operation, int status, byte[] requestBody, byte[] responseBody) {
      if (!"UpdateService".equals(operation) || status != 200 || !read(requestBody).hasNonNull("taskDefinition")) {
        return responseBody;
      }
      JsonNode res = read(responseBody);
      if (!(res.path("service") instanceof com.fasterxml.jackson.databind.node.ObjectNode svc)) return responseBody;
      String id = simulator.started(svc.path("clusterArn").asText(), svc.path("serviceName").asText(),
          svc.path("taskDefinition").asText());
      com.fasterxml.jackson.databind.node.ArrayNode deployments = svc.putArray("deployments");
      deployments.addObject().put("id", id).put("status", "PRIMARY").put("taskDefinition",
          svc.path("taskDefinition").asText());
      try {
        return CloudAssembly.JSON.writeValueAsBytes(res);
      } catch (java.io.IOException e) {
        throw new SandboxException("cannot write an UpdateService answer: " + e.getMessage());
      }
    }

    private JsonNode read(byte[] body) {
      try {
        return CloudAssembly.JSON.readTree(body);
      } catch (java.io.IOException e) {
        throw new SandboxException("cannot read an UpdateService call: " + e.getMessage());
      }
    }
  }

  /** Lambda's part for an SQS destination: SendMessage to the queue the ARN names. */
  private void sendToQueue(String queueArn, String body) {
    String name = queueArn.substring(queueArn.lastIndexOf(':') + 1);
    String url = emulator.sqs().getQueueUrl(b -> b.queueName(name)).queueUrl();
    emulator.sqs().sendMessage(b -> b.queueUrl(url).messageBody(body));
  }

  /**
   * What publishing a SnapStart version does on Lambda: one environment per such function initialises (its
   * beforeCheckpoint hook, the priming, runs) before any event arrives. In parallel; returns their names.
   */
  public List<String> publishSnapStartVersions() {
    List<String> names = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<Void>> starts = new ArrayList<>();
    for (String f : host.functions()) {
      if (!host.spec(f).snapStart()) continue;
      // Only what the rules' patterns route events to: a scheduled function (the revision cleanup) gets no event here.
      if (state.rules().stream().noneMatch(r -> r.function().equals(f))) continue;
      names.add(f);
      starts.add(java.util.concurrent.CompletableFuture.runAsync(() -> host.warm(f)));
    }
    try {
      starts.forEach(java.util.concurrent.CompletableFuture::join);
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    return names;
  }

  /** The local Lambda host that runs this stage's functions. */
  public LambdaHost host() {
    return host;
  }

  @Override
  public void close() {
    host.close();
    if (health != null) health.close();
  }

  /** The variables a function sees in the sandbox: the stack's, plus the region and the emulator. */
  public static Map<String, String> functionEnv(Map<String, String> stackEnv, URI endpoint) {
    Map<String, String> env = new LinkedHashMap<>(stackEnv);
    env.put(EnvVar.AWS_REGION, Emulator.REGION);
    env.put(EnvVar.AWS_ENDPOINT_URL, endpoint.toString());
    emulatorSdkBudget(env);
    return env;
  }

  /**
   * The production SDK budget (1 s per attempt, 2 s per call; docs/lambda-config.md) is sized for AWS; the
   * emulator on a loaded laptop can be slower than that without anything being wrong.
   */
  static void emulatorSdkBudget(Map<String, String> env) {
    env.putIfAbsent(EnvVar.SDK_ATTEMPT_TIMEOUT_MS, "10000");
    env.putIfAbsent(EnvVar.SDK_API_CALL_TIMEOUT_MS, "30000");
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

  /** The functions' AWS API calls, as the host's proxy saw them. */
  public AwsProxy apiCalls() {
    return host.proxy().orElseThrow();
  }

  /** The functions this sandbox runs (rules to other functions deliver nowhere). */
  public java.util.Collection<String> functions() {
    return host.functions();
  }

  /**
   * The deployers' configuration, as their functions read it here. A deployer's environment: the canary hook's names
   * no ledger or service map (it reads them from the wiring parameter when invoked).
   */
  public LambdaConfig deployersConfig() {
    Map<String, String> env = state.environments().values().stream().filter(e -> e.containsKey(EnvVar.SERVICE_MAP))
        .findFirst().orElse(Map.of());
    return LambdaConfig.from(functionEnv(env, state.endpoint()));
  }

  /** The stage's services, by the container name (bff, graphql, agentcore). */
  public Map<String, ServiceTarget> services() {
    Map<String, ServiceTarget> out = new LinkedHashMap<>();
    deployersConfig().services().values().forEach(t -> out.put(t.container(), t));
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
  /** A push whose image answers {@code errorRate} of its requests with 5xx (the canary's metric source). */
  public Push push(String service, String tag, double errorRate) {
    if (!(errorRate >= 0 && errorRate <= 1)) {
      throw new SandboxException("--error-rate " + errorRate + " must be between 0 and 1");
    }
    Push p = push(service, tag, false);
    CanaryLifecycle c = canary.orElseThrow(() -> new SandboxException("no service of this stage deploys as a canary;"
        + " --error-rate needs one"));
    c.errorRate(p.digest(), errorRate);
    return p;
  }

  /** A push whose image answers in {@code latencyMs} (the canary's latency check compares its p95). */
  public Push pushWithLatency(String service, String tag, int latencyMs) {
    if (latencyMs < 1 || latencyMs > 60_000) {
      throw new SandboxException("--latency-ms " + latencyMs + " must be between 1 and 60000");
    }
    Push p = push(service, tag, false);
    CanaryLifecycle c = canary.orElseThrow(() -> new SandboxException("no service of this stage deploys as a canary;"
        + " --latency-ms needs one"));
    c.latencyMs(p.digest(), latencyMs);
    return p;
  }

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
    Deque<JsonNode> queue = new ArrayDeque<>();
    queue.add(event);
    return deliverAll(queue);
  }

  /**
   * Clients for an operator's command ({@code bin/gitops release}): straight to the emulator, with the task
   * simulator answering their UpdateService calls as ECS's scheduler answers anyone's.
   */
  public io.gitops.lambdas.core.AwsClients operatorClients() {
    return new Emulator(state.endpoint(), List.of(simulator)).clients();
  }

  /** Delivers the task and deployment events of the rollouts an operator's command started, until idle. */
  public List<Delivery> settle() {
    return deliverAll(new ArrayDeque<>());
  }

  private List<Delivery> deliverAll(Deque<JsonNode> queue) {
    List<Delivery> out = new ArrayList<>();
    int guard = 0;
    while (!queue.isEmpty() || !simulator.idle()) {
      if (++guard > 10_000) throw new SandboxException("event cascade did not settle");
      if (queue.isEmpty()) {
        queue.addAll(simulator.step());
        continue;
      }
      JsonNode e = queue.poll();
      for (String fn : router.functionsFor(e)) {
        if (!host.functions().contains(fn)) {
          out.add(new Delivery(e, fn, null, "no function '" + fn + "' in the templates (known: " + host.functions() + ")"));
          continue;
        }
        // EventBridge invokes its targets asynchronously; the host retries and records failures as Lambda does.
        LambdaHost.AsyncOutcome r = host.invokeAsync(fn, e.toString().getBytes(StandardCharsets.UTF_8)).join();
        if (r.succeeded()) {
          try {
            out.add(new Delivery(e, fn, CloudAssembly.JSON.readTree(r.responsePayload()), null));
          } catch (java.io.IOException ex) {
            out.add(new Delivery(e, fn, null, "the function answered something other than JSON: " + r.response()));
          }
        } else {
          out.add(new Delivery(e, fn, null, r.errorType() + ": " + r.errorMessage() + " (after " + r.attempts()
              + " attempt(s); " + (r.destinationRecord().isPresent() ? "recorded in the on-failure queue)" : "dropped)")));
        }
      }
    }
    return out;
  }

  /** False while a service behind a load balancer runs an image marked broken (the health endpoint's answer). */
  /**
   * The test rule's header and value, as the compute stack's condition holds them: the plan names the header and the
   * secret, whose value the provisioner put in the emulator.
   */
  private void testRoute(String canaries) {
    try {
      JsonNode plans = CloudAssembly.JSON.readTree(canaries);
      for (JsonNode plan : plans) {
        JsonNode h = plan.path("testHeader");
        if (!h.hasNonNull("name") || !h.hasNonNull("secretArn")) continue;
        String value = emulator.json("secretsmanager", "secretsmanager.GetSecretValue", "1.1",
            Emulator.object().put("SecretId", h.get("secretArn").asText())).path("SecretString").asText();
        health.testRoute(h.get("name").asText(), value);
      }
    } catch (java.io.IOException e) {
      throw new SandboxException("unreadable " + EnvVar.CANARY_ANALYSIS + ": " + e.getMessage());
    }
  }

  /** Requests the local load balancer's test rule took (the guard's smoke probes with the header). */
  public int testRouteRequests() {
    return health == null ? 0 : health.testRouteRequests();
  }

  /**
   * What the production rule reaches: during a canary's lifecycle the stable revision, which completed its own
   * deployment (healthy: a broken revision never becomes stable); otherwise the services' current images.
   */
  private boolean productionHealthy() {
    if (canary != null && canary.map(CanaryLifecycle::playing).orElse(false)) return true;
    return servicesBehindLoadBalancerHealthy();
  }

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
  public TaskSimulator.ServiceView view(String[] clusterAndService) {
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

  public static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
