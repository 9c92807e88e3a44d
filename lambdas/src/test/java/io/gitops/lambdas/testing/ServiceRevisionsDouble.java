package io.gitops.lambdas.testing;

import io.gitops.lambdas.core.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * ECS's DescribeServiceRevisions, which moto 5.2.1 lacks (docs/emulator-gaps.md), answered on the wire by the
 * {@link io.gitops.testing.FaultProxy} in the API reference's shape: the functions' SDK client parses a real
 * answer, and the proxy's faults apply to the call. A revision the test never registered is a failure entry
 * ({@code MISSING}), as ECS answers for an ARN it does not know.
 */
public final class ServiceRevisionsDouble {
  /** What one service revision runs: its task definition, the container's image, and its target group. */
  public record Revision(String taskDefinition, String container, String image, String targetGroup) {}

  private final Map<String, Revision> revisions = new ConcurrentHashMap<>();

  public void put(String serviceRevisionArn, Revision r) {
    revisions.put(serviceRevisionArn, r);
  }

  /** Installs this double on {@code proxy}; returns the proxy. */
  public io.gitops.testing.FaultProxy on(io.gitops.testing.FaultProxy proxy) {
    return proxy.serve("DescribeServiceRevisions", this::answer);
  }

  String answer(byte[] request) {
    JsonNode root = Json.parse(new String(request, StandardCharsets.UTF_8));
    List<Object> found = new ArrayList<>();
    List<Object> failures = new ArrayList<>();
    JsonNode arns = root.asObject().get("serviceRevisionArns");
    if (arns != null && arns.isArray()) {
      for (JsonNode a : arns.asArray()) {
        String arn = a.asString();
        Revision r = revisions.get(arn);
        if (r == null) {
          failures.add(Json.obj().put("arn", arn).put("reason", "MISSING"));
          continue;
        }
        String[] parts = arn.split("/");
        String digest = r.image().contains("@") ? r.image().substring(r.image().lastIndexOf('@') + 1) : null;
        Json.Obj image = Json.obj().put("containerName", r.container()).put("image", r.image());
        if (digest != null) image.put("imageDigest", digest);
        Json.Obj lb = Json.obj().put("targetGroupArn", r.targetGroup()).put("containerName", r.container())
            .put("containerPort", 8080);
        found.add(Json.obj().put("serviceRevisionArn", arn)
            .put("serviceArn", arn.replace(":service-revision/", ":service/").substring(0,
                arn.replace(":service-revision/", ":service/").lastIndexOf('/')))
            .put("clusterArn", arn.substring(0, arn.indexOf(":service-revision/")) + ":cluster/" + parts[1])
            .put("taskDefinition", r.taskDefinition()).put("launchType", "FARGATE")
            .put("containerImages", List.of(image)).put("loadBalancers", List.of(lb))
            .put("resolvedConfiguration", Json.obj().put("loadBalancers",
                List.of(Json.obj().put("targetGroupArn", r.targetGroup()))))
            .put("createdAt", 1.7e9));
      }
    }
    return Json.obj().put("serviceRevisions", found).put("failures", failures).toString();
  }
}
