package io.gitops.lambdas.canary;

import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * One invocation of the lifecycle hook by ECS (Amazon ECS developer guide, "Lifecycle hooks for Amazon ECS
 * service deployments", lifecycle payloads): the stage, the service, the target service revision and the
 * traffic weights of each revision, plus the {@code hookDetails} the previous IN_PROGRESS answer carried.
 */
public record HookInvocation(String executionId, String lifecycleStage, String resourceArn, String serviceArn,
    String targetServiceRevisionArn, Map<String, Double> productionTrafficWeights,
    Map<String, Double> testTrafficWeights, Optional<JsonNode> hookDetails) {

  /** True if the payload looks like a lifecycle hook invocation rather than an EventBridge event. */
  public static boolean looksLikeHook(JsonNode root) {
    return root != null && root.isObject() && root.asObject().containsKey("lifecycleStage");
  }

  public static HookInvocation parse(JsonNode root) {
    Map<String, JsonNode> o = Json.object(root, "$");
    // The common fields sit in executionDetails; read them at the top level too, where older samples put them.
    Map<String, JsonNode> details = o.containsKey("executionDetails")
        ? Json.object(o.get("executionDetails"), "$.executionDetails") : o;
    String path = o.containsKey("executionDetails") ? "$.executionDetails" : "$";
    String serviceArn = Json.string(details, "serviceArn", path);
    if (!serviceArn.matches("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:service/[^/]+/[^/]+$")) {
      throw new InvalidInputException(path + ".serviceArn: not an ECS service ARN: " + serviceArn);
    }
    return new HookInvocation(Json.optionalString(o, "executionId", "$").orElse(""),
        Json.string(o, "lifecycleStage", "$"), Json.optionalString(o, "resourceArn", "$").orElse(""), serviceArn,
        Json.string(details, "targetServiceRevisionArn", path),
        weights(details, "productionTrafficWeights", path), weights(details, "testTrafficWeights", path),
        Optional.ofNullable(o.get("hookDetails")).filter(n -> !n.isNull()));
  }

  private static Map<String, Double> weights(Map<String, JsonNode> o, String field, String path) {
    JsonNode n = o.get(field);
    Map<String, Double> out = new LinkedHashMap<>();
    if (n == null || n.isNull()) return out;
    Json.object(n, path + "." + field).forEach((revision, w) -> {
      if (!w.isNumber()) throw new InvalidInputException(path + "." + field + "." + revision + ": expected a number");
      out.put(revision, Double.parseDouble(w.asNumber()));
    });
    return out;
  }

  public String serviceName() {
    return serviceArn.substring(serviceArn.lastIndexOf('/') + 1);
  }

  public String clusterName() {
    String[] parts = serviceArn.split("/");
    return parts[parts.length - 2];
  }

  /** The target revision's share of production traffic, in percent (0 when not listed). */
  public double targetProductionWeight() {
    return productionTrafficWeights.getOrDefault(targetServiceRevisionArn, 0.0);
  }
}
