package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.EventEnvelope;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * Parses the guard's two EventBridge event types into domain records, or throws an
 * {@link InvalidInputException} naming the first offending field. Only the fields the guard uses are
 * required; unknown fields are ignored, as EventBridge payloads grow over time.
 */
public final class GuardEventParser {
  /** EventBridge's own event size limit; anything larger did not come from EventBridge. */
  public static final int MAX_EVENT_BYTES = EventEnvelope.MAX_EVENT_BYTES;

  public static final String TASK_STATE_CHANGE = "ECS Task State Change";
  public static final String DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change";

  private static final Pattern CLUSTER_ARN = Pattern.compile("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:cluster/[A-Za-z0-9_-]{1,255}$");
  private static final Pattern TASK_ARN = Pattern.compile("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:task/[A-Za-z0-9_/-]{1,512}$");
  private static final Pattern TASK_DEFINITION_ARN =
      Pattern.compile("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\\d+$");
  private static final Pattern SERVICE_ARN =
      Pattern.compile("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:service/([A-Za-z0-9_-]{1,255})/([A-Za-z0-9_-]{1,255})$");
  private static final List<String> TASK_STATUSES = List.of("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING",
      "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED", "DELETED");

  private GuardEventParser() {}

  public static GuardEvent parse(byte[] bytes) {
    return parse(EventEnvelope.parse(bytes, "an ECS Task State Change or ECS Deployment State Change event"));
  }

  public static GuardEvent parse(JsonNode root) {
    Map<String, JsonNode> e = EventEnvelope.fromSource(root, "aws.ecs");
    String detailType = Json.string(e, "detail-type", "$");
    String id = Json.string(e, "id", "$");
    Instant time = instant(Json.string(e, "time", "$"), "$.time");
    Map<String, JsonNode> d = Json.object(Json.required(e, "detail", "$"), "$.detail");
    return switch (detailType) {
      case TASK_STATE_CHANGE -> task(id, time, d);
      case DEPLOYMENT_STATE_CHANGE -> deployment(id, time, e, d);
      default -> throw new InvalidInputException("$.detail-type: expected \"" + TASK_STATE_CHANGE + "\" or \""
          + DEPLOYMENT_STATE_CHANGE + "\", got \"" + clip(detailType) + "\"");
    };
  }

  private static TaskStateChange task(String id, Instant time, Map<String, JsonNode> d) {
    String p = "$.detail";
    String cluster = matching(d, "clusterArn", p, CLUSTER_ARN, "a cluster ARN");
    String task = matching(d, "taskArn", p, TASK_ARN, "a task ARN");
    String taskDefinition = matching(d, "taskDefinitionArn", p, TASK_DEFINITION_ARN, "a task definition ARN");
    String lastStatus = Json.string(d, "lastStatus", p);
    if (!TASK_STATUSES.contains(lastStatus)) {
      throw new InvalidInputException(p + ".lastStatus: not a task status: \"" + clip(lastStatus) + "\"");
    }
    Optional<String> group = Json.optionalString(d, "group", p);
    long version = integer(d, "version", p);
    if (version < 0) throw new InvalidInputException(p + ".version: negative");
    Instant updatedAt = instant(Json.string(d, "updatedAt", p), p + ".updatedAt");
    Optional<Instant> startedAt = Json.optionalString(d, "startedAt", p).map(s -> instant(s, p + ".startedAt"));
    List<TaskStateChange.Container> containers = new ArrayList<>();
    JsonNode cs = d.get("containers");
    if (cs != null && !cs.isNull()) {
      if (!cs.isArray()) throw new InvalidInputException(p + ".containers: expected an array, got " + kind(cs));
      int i = 0;
      for (JsonNode c : cs.asArray()) {
        String cp = p + ".containers[" + i++ + "]";
        Map<String, JsonNode> o = Json.object(c, cp);
        Optional<Integer> exit = o.get("exitCode") == null || o.get("exitCode").isNull()
            ? Optional.empty() : Optional.of((int) integer(o, "exitCode", cp));
        containers.add(new TaskStateChange.Container(Json.string(o, "name", cp),
            Json.optionalString(o, "lastStatus", cp).orElse(""), exit, Json.optionalString(o, "reason", cp),
            Json.optionalString(o, "healthStatus", cp)));
      }
    }
    Optional<String> stopCode = Json.optionalString(d, "stopCode", p).filter(s -> !s.isBlank());
    if ("STOPPED".equals(lastStatus) && stopCode.isEmpty()
        && Json.optionalString(d, "stoppedReason", p).filter(s -> !s.isBlank()).isEmpty()) {
      throw new InvalidInputException(p + ": a STOPPED task needs a stopCode or a stoppedReason");
    }
    return new TaskStateChange(id, time, cluster, task, group, taskDefinition, lastStatus,
        Json.optionalString(d, "desiredStatus", p), stopCode,
        Json.optionalString(d, "stoppedReason", p).filter(s -> !s.isBlank()), List.copyOf(containers), version,
        updatedAt, startedAt, Json.optionalString(d, "healthStatus", p), privateIp(d, p));
  }

  private static DeploymentStateChange deployment(String id, Instant time, Map<String, JsonNode> e,
      Map<String, JsonNode> d) {
    List<String> resources = Json.stringArray(e, "resources", "$");
    if (resources.size() != 1) {
      throw new InvalidInputException("$.resources: expected exactly one service ARN, got " + resources.size());
    }
    Matcher m = SERVICE_ARN.matcher(resources.get(0));
    if (!m.matches()) {
      throw new InvalidInputException("$.resources[0]: not a service ARN: \"" + clip(resources.get(0)) + "\"");
    }
    String p = "$.detail";
    String name = Json.string(d, "eventName", p);
    DeploymentStateChange.Kind kind;
    try {
      kind = DeploymentStateChange.Kind.valueOf(name);
    } catch (IllegalArgumentException ex) {
      throw new InvalidInputException(p + ".eventName: not a deployment state: \"" + clip(name) + "\"");
    }
    return new DeploymentStateChange(id, time, resources.get(0), m.group(1), m.group(2), kind,
        Json.optionalString(d, "eventType", p).orElse("INFO"), Json.string(d, "deploymentId", p),
        instant(Json.string(d, "updatedAt", p), p + ".updatedAt"), Json.optionalString(d, "reason", p).orElse(""));
  }

  /** {@code attachments[type=ElasticNetworkInterface].details[name=privateIPv4Address].value}, if present. */
  private static Optional<String> privateIp(Map<String, JsonNode> d, String p) {
    JsonNode attachments = d.get("attachments");
    if (attachments == null || !attachments.isArray()) return Optional.empty();
    for (JsonNode a : attachments.asArray()) {
      if (!a.isObject()) continue;
      JsonNode details = a.asObject().get("details");
      if (details == null || !details.isArray()) continue;
      for (JsonNode kv : details.asArray()) {
        if (!kv.isObject()) continue;
        JsonNode n = kv.asObject().get("name");
        JsonNode v = kv.asObject().get("value");
        if (n != null && n.isString() && "privateIPv4Address".equals(n.asString()) && v != null && v.isString()) {
          return Optional.of(v.asString());
        }
      }
    }
    return Optional.empty();
  }

  private static String matching(Map<String, JsonNode> o, String field, String path, Pattern p, String what) {
    String v = Json.string(o, field, path);
    if (v.length() > 1024 || !p.matcher(v).matches()) {
      throw new InvalidInputException(path + "." + field + ": not " + what + ": \"" + clip(v) + "\"");
    }
    return v;
  }

  private static long integer(Map<String, JsonNode> o, String field, String path) {
    JsonNode n = Json.required(o, field, path);
    if (!n.isNumber()) throw new InvalidInputException(path + "." + field + ": expected a number, got " + kind(n));
    try {
      return Long.parseLong(n.asNumber());
    } catch (NumberFormatException ex) {
      throw new InvalidInputException(path + "." + field + ": expected an integer, got " + clip(n.asNumber()));
    }
  }

  private static Instant instant(String text, String path) {
    return EventEnvelope.instant(text, path);
  }

  private static String kind(JsonNode n) {
    if (n.isObject()) return "an object";
    if (n.isArray()) return "an array";
    if (n.isString()) return "a string";
    if (n.isBoolean()) return "a boolean";
    return "a " + (n.isNull() ? "null" : "value");
  }

  private static String clip(String s) {
    return EventEnvelope.clip(s);
  }
}
