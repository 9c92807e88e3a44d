package io.gitops.sandbox.sim.ecs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.aws.Emulator;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.ecs.model.Deployment;
import software.amazon.awssdk.services.ecs.model.UpdateServiceRequest;
import software.amazon.awssdk.services.ecs.model.UpdateServiceResponse;

/**
 * Plays the ECS scheduler and agent, which moto lacks. It watches the handlers' {@code UpdateService} calls
 * (as an SDK interceptor on their clients) and, step by step, emits the events ECS would:
 * <ul>
 *   <li>a healthy revision: each desired task goes PROVISIONING → PENDING → RUNNING, then the service's
 *       deployment emits {@code SERVICE_DEPLOYMENT_COMPLETED};
 *   <li>a revision whose image is marked broken: each task goes PROVISIONING → PENDING → STOPPED with stop
 *       code {@code EssentialContainerExited} and the container's exit code 1; the scheduler then launches
 *       replacements, wave after wave, until the service points at another revision or
 *       {@link #MAX_WAVES} waves have failed.
 * </ul>
 * Payloads follow AWS's documented shapes for "ECS Task State Change" and "ECS Deployment State Change".
 */
public final class TaskSimulator implements ExecutionInterceptor {
  /** Failed waves after which the simulated scheduler gives up on a broken revision. */
  public static final int MAX_WAVES = 3;

  /** What the simulator needs to know about a service right now. */
  public record ServiceView(String clusterArn, String serviceArn, String serviceName, String taskDefinitionArn,
      int desiredCount, String deploymentId, Map<String, String> containerImages, List<String[]> loadBalancers) {
    public ServiceView(String clusterArn, String serviceArn, String serviceName, String taskDefinitionArn,
        int desiredCount, String deploymentId, Map<String, String> containerImages) {
      this(clusterArn, serviceArn, serviceName, taskDefinitionArn, desiredCount, deploymentId, containerImages, List.of());
    }
  }

  /** Registers a running task's address in a target group (ECS does this for services behind a load balancer). */
  @FunctionalInterface
  public interface TargetRegistrar {
    void register(String targetGroupArn, String ip, int port);
  }

  /**
   * ECS's deployment circuit breaker: rolls the service back to its last completed revision (the sandbox
   * wires it to an UpdateService outside the functions' clients).
   */
  @FunctionalInterface
  public interface Breaker {
    void rollBack(String cluster, String service, String taskDefinitionArn);
  }

  private record Rollout(String cluster, String service, String taskDefinitionArn, String deploymentId) {}

  /** The last revision of each service whose deployment completed: where the breaker rolls back to. */
  private final Map<String, String> steady = new ConcurrentHashMap<>();
  private Breaker breaker;
  private int deployments;

  private CanaryLifecycle canary;
  /** Canary rollouts whose tasks have started: their next step plays the lifecycle stages. */
  private final Set<String> canaryTasksStarted = ConcurrentHashMap.newKeySet();

  /** Services with a traffic-shifting strategy are deployed through ECS's lifecycle, played by {@code c}. */
  public TaskSimulator withCanary(CanaryLifecycle c) {
    this.canary = c;
    return this;
  }

  /**
   * Whether a task of the service can pull its images: null when it can, else the reason (the network model's
   * answer, {@code io.gitops.sandbox.sim.network}). Without a gate every image is pullable.
   */
  @FunctionalInterface
  public interface PullGate {
    String whyNot(ServiceView v);
  }

  private PullGate pullGate = v -> null;

  /** Tasks start only when {@code g} finds their images pullable; otherwise they stop as Fargate stops them. */
  public TaskSimulator withPullGate(PullGate g) {
    this.pullGate = g;
    return this;
  }

  /** With a breaker, a broken revision is rolled back after {@link #MAX_WAVES} waves (SERVICE_DEPLOYMENT_FAILED). */
  public TaskSimulator withBreaker(Breaker b) {
    this.breaker = b;
    return this;
  }

  private final Map<String, Rollout> active = new LinkedHashMap<>();
  private final Map<String, Integer> waves = new ConcurrentHashMap<>();
  private final Set<String> brokenDigests;
  private final Function<Rollout, ServiceView> describe;
  private final Clock clock;
  private final String account;
  private final String region;
  private final TargetRegistrar registrar;
  private long version = 1;
  private int nextIp = 10;

  /**
   * @param brokenDigests image digests ({@code sha256:...}) whose containers crash; the caller may add to it
   * @param describe reads the service's current state (and its task definition's images) from the emulator
   */
  public TaskSimulator(Set<String> brokenDigests, Function<String[], ServiceView> describe, Clock clock,
      String account, String region) {
    this(brokenDigests, describe, clock, account, region, (tg, ip, port) -> { });
  }

  public TaskSimulator(Set<String> brokenDigests, Function<String[], ServiceView> describe, Clock clock,
      String account, String region, TargetRegistrar registrar) {
    this.registrar = registrar;
    this.brokenDigests = brokenDigests;
    this.describe = r -> describe.apply(new String[] {r.cluster(), r.service()});
    this.clock = clock;
    this.account = account;
    this.region = region;
  }

  /** Before a handler's UpdateService: what the service runs now is steady if nothing else is known. */
  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    if (!(context.request() instanceof UpdateServiceRequest req) || req.taskDefinition() == null) return;
    beforeUpdate(req.cluster(), req.service());
  }

  /** Before an UpdateService to a revision (the functions' calls, seen in-process or by the Lambda host's proxy). */
  public synchronized void beforeUpdate(String cluster, String service) {
    ServiceView v = describe.apply(new Rollout(cluster, service, null, null));
    if (v != null) steady.putIfAbsent(v.clusterArn() + "|" + v.serviceName(), v.taskDefinitionArn());
  }

  /**
   * ECS answers UpdateService with the new deployment as PRIMARY, with its own id (moto keeps one deployment:
   * docs/emulator-gaps.md); the image deployer records that id and the guard matches events by it.
   */
  @Override
  public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
    if (!(context.request() instanceof UpdateServiceRequest req) || req.taskDefinition() == null) {
      return context.response();
    }
    if (!(context.response() instanceof UpdateServiceResponse res) || res.service() == null) return context.response();
    String id = started(res.service().clusterArn(), res.service().serviceName(), res.service().taskDefinition());
    return res.toBuilder().service(res.service().toBuilder().deployments(Deployment.builder().id(id)
        .status("PRIMARY").taskDefinition(res.service().taskDefinition()).build()).build()).build();
  }

  /** An UpdateService to a revision was answered: the rollout starts; returns its PRIMARY deployment's id. */
  public synchronized String started(String clusterArn, String serviceName, String taskDefinitionArn) {
    String key = clusterArn + "|" + serviceName;
    String id = nextDeploymentId();
    active.put(key, new Rollout(clusterArn, serviceName, taskDefinitionArn, id));
    waves.remove(key);
    return id;
  }

  private String nextDeploymentId() {
    return "ecs-svc/" + (4916584328468129104L + ++deployments);
  }

  /** Records a rollout: an UpdateService the functions made (seen by the Lambda host's proxy), or a test's. */
  public synchronized void watch(String cluster, String service, String taskDefinitionArn) {
    active.put(cluster + "|" + service, new Rollout(cluster, service, taskDefinitionArn, null));
    waves.remove(cluster + "|" + service); // a new rollout starts its own count of failed waves
  }

  public synchronized boolean idle() {
    return active.isEmpty();
  }

  /**
   * The next batch of events: one wave of tasks per active rollout (and its completion). Empty when idle.
   */
  public synchronized List<JsonNode> step() {
    List<JsonNode> out = new ArrayList<>();
    for (String key : new ArrayList<>(active.keySet())) {
      Rollout r = active.get(key);
      ServiceView v = describe.apply(r);
      if (v == null || !r.taskDefinitionArn().equals(v.taskDefinitionArn())) {
        active.remove(key); // superseded: the service points at another revision now
        continue;
      }
      boolean broken = v.containerImages().values().stream().anyMatch(this::isBroken);
      int tasks = Math.max(1, v.desiredCount());
      if (r.deploymentId() != null) v = withDeploymentId(v, r.deploymentId());
      String cannotPull = pullGate.whyNot(v);
      if (cannotPull != null) {
        out.addAll(cannotPullStep(key, r, v, tasks, cannotPull));
        continue;
      }
      if (canary != null && canary.handles(v.serviceName())) {
        out.addAll(canaryStep(key, r, v, broken, tasks));
        continue;
      }
      if (broken) {
        int wave = waves.merge(key, 1, Integer::sum);
        for (int i = 0; i < tasks; i++) out.addAll(failingTask(v));
        if (wave >= MAX_WAVES) {
          active.remove(key);
          String back = steady.get(v.clusterArn() + "|" + v.serviceName());
          if (breaker != null && back != null && !back.equals(v.taskDefinitionArn())) {
            breaker.rollBack(r.cluster(), r.service(), back);
            out.add(deploymentEvent(v, "SERVICE_DEPLOYMENT_FAILED", "ECS deployment circuit breaker: tasks failed to"
                + " start. Rolling back to " + back + "."));
            active.put(key, new Rollout(r.cluster(), r.service(), back, nextDeploymentId()));
            waves.remove(key);
          }
        }
      } else {
        for (int i = 0; i < tasks; i++) out.addAll(runningTask(v));
        out.add(deploymentEvent(v, "SERVICE_DEPLOYMENT_COMPLETED", "ECS deployment " + v.deploymentId() + " completed."));
        steady.put(v.clusterArn() + "|" + v.serviceName(), v.taskDefinitionArn());
        active.remove(key);
      }
    }
    return out;
  }

  /**
   * Fargate cannot pull an image: each task stops before its containers start (stop code
   * {@code TaskFailedToStart}, reason {@code CannotPullContainerError: ...}); after {@link #MAX_WAVES} waves the
   * deployment fails, rolled back to the last completed revision when there is one (a first deployment has
   * none, so CloudFormation's create of the service fails and the stack rolls back).
   */
  private List<JsonNode> cannotPullStep(String key, Rollout r, ServiceView v, int tasks, String reason) {
    List<JsonNode> out = new ArrayList<>();
    int wave = waves.merge(key, 1, Integer::sum);
    for (int i = 0; i < tasks; i++) {
      String taskArn = taskArn(v);
      String ip = nextAddress();
      out.add(taskEvent(v, taskArn, ip, "PROVISIONING", "RUNNING", null));
      ObjectNode stopped = taskEvent(v, taskArn, ip, "STOPPED", "STOPPED", null);
      ObjectNode d = (ObjectNode) stopped.get("detail");
      String now = Instant.now(clock).toString();
      d.put("stopCode", "TaskFailedToStart");
      d.put("stoppedReason", "CannotPullContainerError: " + reason);
      d.put("stoppingAt", now);
      d.put("stoppedAt", now);
      d.withArray("containers").forEach(c -> ((ObjectNode) c).put("lastStatus", "STOPPED"));
      out.add(stopped);
    }
    if (wave >= MAX_WAVES) {
      active.remove(key);
      waves.remove(key);
      String back = steady.get(v.clusterArn() + "|" + v.serviceName());
      boolean rollBack = breaker != null && back != null && !back.equals(v.taskDefinitionArn());
      if (rollBack) breaker.rollBack(r.cluster(), r.service(), back);
      out.add(deploymentEvent(v, "SERVICE_DEPLOYMENT_FAILED", "ECS deployment circuit breaker: tasks failed to start"
          + " (CannotPullContainerError: " + reason + ")." + (rollBack ? " Rolling back to " + back + "." : "")));
    }
    return out;
  }

  /**
   * A canary rollout: first its tasks start (their events reach the guard, which records them), then ECS's
   * lifecycle stages run with the hook; promoted, the deployment completes; aborted, ECS rolls back to the
   * stable revision, whose tasks still run (no new wave), and the deployment fails.
   */
  private List<JsonNode> canaryStep(String key, Rollout r, ServiceView v, boolean broken, int tasks) {
    List<JsonNode> out = new ArrayList<>();
    if (canaryTasksStarted.add(key)) {
      String green = canary.greenTargetGroup(v.serviceName());
      for (int i = 0; i < tasks; i++) {
        out.addAll(broken ? failingTask(v) : runningTask(v, List.<String[]>of(new String[] {green,
            v.loadBalancers().isEmpty() ? "80" : v.loadBalancers().get(0)[1]})));
      }
      return out;
    }
    canaryTasksStarted.remove(key);
    active.remove(key);
    String back = steady.get(v.clusterArn() + "|" + v.serviceName());
    String digest = v.containerImages().values().stream().filter(i -> i != null && i.contains("@"))
        .map(i -> i.substring(i.lastIndexOf('@') + 1)).findFirst().orElse("");
    if (canary.play(v, digest, "", back)) {
      out.add(deploymentEvent(v, "SERVICE_DEPLOYMENT_COMPLETED", "ECS deployment " + v.deploymentId() + " completed."));
      steady.put(v.clusterArn() + "|" + v.serviceName(), v.taskDefinitionArn());
    } else {
      if (breaker != null && back != null && !back.equals(v.taskDefinitionArn())) {
        breaker.rollBack(r.cluster(), r.service(), back);
      }
      out.add(deploymentEvent(v, "SERVICE_DEPLOYMENT_FAILED", "ECS deployment " + v.deploymentId()
          + " rolled back: a lifecycle hook returned FAILED. Rolling back to " + back + "."));
    }
    return out;
  }

  private static ServiceView withDeploymentId(ServiceView v, String id) {
    return new ServiceView(v.clusterArn(), v.serviceArn(), v.serviceName(), v.taskDefinitionArn(), v.desiredCount(),
        id, v.containerImages(), v.loadBalancers());
  }

  public boolean isBroken(String image) {
    int at = image == null ? -1 : image.lastIndexOf('@');
    return at >= 0 && brokenDigests.contains(image.substring(at + 1));
  }

  private List<JsonNode> runningTask(ServiceView v) {
    return runningTask(v, v.loadBalancers());
  }

  private List<JsonNode> runningTask(ServiceView v, List<String[]> targetGroups) {
    String taskArn = taskArn(v);
    String ip = nextAddress();
    List<JsonNode> out = new ArrayList<>();
    for (String status : List.of("PROVISIONING", "PENDING", "RUNNING")) {
      out.add(taskEvent(v, taskArn, ip, status, "RUNNING", null));
    }
    for (String[] lb : targetGroups) registrar.register(lb[0], ip, Integer.parseInt(lb[1]));
    return out;
  }

  private List<JsonNode> failingTask(ServiceView v) {
    String taskArn = taskArn(v);
    String ip = nextAddress();
    List<JsonNode> out = new ArrayList<>();
    for (String status : List.of("PROVISIONING", "PENDING")) out.add(taskEvent(v, taskArn, ip, status, "RUNNING", null));
    out.add(taskEvent(v, taskArn, ip, "STOPPED", "STOPPED", 1));
    return out;
  }

  private String nextAddress() {
    int n = nextIp++;
    return "10.0." + (n / 250) + "." + (n % 250 + 2);
  }

  private String taskArn(ServiceView v) {
    String clusterName = v.clusterArn().substring(v.clusterArn().lastIndexOf('/') + 1);
    return "arn:aws:ecs:" + region + ":" + account + ":task/" + clusterName + "/"
        + UUID.randomUUID().toString().replace("-", "");
  }

  private ObjectNode envelope(String detailType, String resource) {
    ObjectNode e = Emulator.object();
    e.put("version", "0");
    e.put("id", UUID.randomUUID().toString());
    e.put("detail-type", detailType);
    e.put("source", "aws.ecs");
    e.put("account", account);
    e.put("time", Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    e.put("region", region);
    e.putArray("resources").add(resource);
    return e;
  }

  /** An "ECS Task State Change" event; {@code exitCode} non-null makes it a crashed essential container. */
  ObjectNode taskEvent(ServiceView v, String taskArn, String ip, String lastStatus, String desiredStatus,
      Integer exitCode) {
    ObjectNode e = envelope("ECS Task State Change", taskArn);
    ObjectNode d = e.putObject("detail");
    String now = Instant.now(clock).toString();
    ObjectNode eni = d.putArray("attachments").addObject();
    eni.put("id", UUID.nameUUIDFromBytes(taskArn.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
    eni.put("type", "eni");
    eni.put("status", "STOPPED".equals(lastStatus) ? "DELETED" : ("PROVISIONING".equals(lastStatus) ? "PRECREATED" : "ATTACHED"));
    ArrayNode details = eni.putArray("details");
    details.addObject().put("name", "subnetId").put("value", "subnet-sandbox");
    details.addObject().put("name", "privateIPv4Address").put("value", ip);
    d.putArray("attributes").addObject().put("name", "ecs.cpu-architecture").put("value", "arm64");
    d.put("availabilityZone", region + "a");
    d.put("clusterArn", v.clusterArn());
    ArrayNode containers = d.putArray("containers");
    v.containerImages().forEach((name, image) -> {
      ObjectNode c = containers.addObject();
      c.put("containerArn", "arn:aws:ecs:" + region + ":" + account + ":container/" + UUID.randomUUID());
      c.put("lastStatus", exitCode != null ? "STOPPED" : ("RUNNING".equals(lastStatus) ? "RUNNING" : "PENDING"));
      c.put("name", name);
      c.put("image", image);
      int at = image.lastIndexOf('@');
      if (at >= 0) c.put("imageDigest", image.substring(at + 1));
      c.put("taskArn", taskArn);
      if (exitCode != null) c.put("exitCode", exitCode);
    });
    d.put("createdAt", now);
    d.put("desiredStatus", desiredStatus);
    d.put("group", "service:" + v.serviceName());
    d.put("launchType", "FARGATE");
    d.put("lastStatus", lastStatus);
    d.put("platformVersion", "1.4.0");
    d.put("startedBy", v.deploymentId());
    d.put("taskArn", taskArn);
    d.put("taskDefinitionArn", v.taskDefinitionArn());
    d.put("updatedAt", now);
    d.put("version", version++);
    if ("RUNNING".equals(lastStatus)) {
      d.put("startedAt", now);
      d.put("connectivity", "CONNECTED");
    }
    if (exitCode != null) {
      d.put("stopCode", "EssentialContainerExited");
      d.put("stoppedReason", "Essential container in task exited");
      d.put("stoppingAt", now);
      d.put("stoppedAt", now);
      d.put("executionStoppedAt", now);
    }
    return e;
  }

  /** An "ECS Deployment State Change" event for the service. */
  ObjectNode deploymentEvent(ServiceView v, String eventName, String reason) {
    ObjectNode e = envelope("ECS Deployment State Change", v.serviceArn());
    ObjectNode d = e.putObject("detail");
    d.put("eventType", eventName.endsWith("FAILED") ? "ERROR" : "INFO");
    d.put("eventName", eventName);
    d.put("deploymentId", v.deploymentId());
    d.put("updatedAt", Instant.now(clock).toString());
    d.put("reason", reason);
    return e;
  }
}
