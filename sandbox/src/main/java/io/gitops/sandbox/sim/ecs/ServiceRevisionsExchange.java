package io.gitops.sandbox.sim.ecs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.host.AwsProxy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ECS's DescribeServiceRevisions, which moto 5.2.1 lacks: the service revisions the canary lifecycle creates
 * for a deployment (the one it replaces and the new one), in the API reference's shape, with the task
 * definition, the container's image and digest, and the target group ECS associates with the revision
 * ({@code resolvedConfiguration.loadBalancers}). An ARN it never created is a failure entry ({@code MISSING}).
 */
final class ServiceRevisionsExchange implements AwsProxy.Exchange {
  private final Map<String, ObjectNode> revisions = new ConcurrentHashMap<>();

  /** Records one revision: its service, task definition, container → image, and target group. */
  void put(String arn, String serviceArn, String clusterArn, String taskDefinition, Map<String, String> images,
      String targetGroup) {
    ObjectNode r = Emulator.object();
    r.put("serviceRevisionArn", arn).put("serviceArn", serviceArn).put("clusterArn", clusterArn)
        .put("taskDefinition", taskDefinition).put("launchType", "FARGATE")
        .put("createdAt", System.currentTimeMillis() / 1000.0);
    var containers = r.putArray("containerImages");
    images.forEach((name, image) -> {
      ObjectNode c = containers.addObject().put("containerName", name).put("image", image);
      if (image != null && image.contains("@")) c.put("imageDigest", image.substring(image.lastIndexOf('@') + 1));
    });
    images.keySet().stream().findFirst().ifPresent(name -> r.putArray("loadBalancers").addObject()
        .put("targetGroupArn", targetGroup).put("containerName", name));
    r.putObject("resolvedConfiguration").putArray("loadBalancers").addObject().put("targetGroupArn", targetGroup);
    revisions.put(arn, r);
  }

  @Override
  public AwsProxy.Served serve(String service, String operation, byte[] requestBody) {
    if (!"ecs".equals(service) || !"DescribeServiceRevisions".equals(operation)) return null;
    ObjectNode answer = Emulator.object();
    var found = answer.putArray("serviceRevisions");
    var failures = answer.putArray("failures");
    try {
      for (JsonNode arn : CloudAssembly.JSON.readTree(requestBody).path("serviceRevisionArns")) {
        ObjectNode r = revisions.get(arn.asText());
        if (r != null) found.add(r);
        else failures.addObject().put("arn", arn.asText()).put("reason", "MISSING");
      }
      return new AwsProxy.Served("application/x-amz-json-1.1",
          CloudAssembly.JSON.writeValueAsString(answer).getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      return null;
    }
  }
}
