package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.Json;
import io.gitops.testing.Events;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Builders for ECS task and deployment state change events, shaped like the fixtures under events/guard/.
 * Public (in the test-jar) for the bench's guard scenario.
 */
public final class GuardEvents {
  static final String ACCOUNT = "123456789012";
  static final String REGION = "us-east-1";

  private GuardEvents() {}

  static String clusterArn(String cluster) {
    return "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":cluster/" + cluster;
  }

  static String taskArn(String cluster, String id) {
    return "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":task/" + cluster + "/" + id;
  }

  /** A task event; {@code stopCode}, {@code reason} and {@code exitCode} only matter for STOPPED. */
  static byte[] task(String cluster, String service, String taskId, String revision, String lastStatus, long version,
      Instant updatedAt, String stopCode, String reason, Integer exitCode, String ip) {
    String arn = taskArn(cluster, taskId);
    Json.Obj container = Json.obj().put("containerArn", "arn:aws:ecs:us-east-1:123456789012:container/" + cluster
        + "/" + taskId + "/0001").put("lastStatus", lastStatus).put("name", "app").put("taskArn", arn);
    if (exitCode != null) container.put("exitCode", exitCode);
    Json.Obj detail = Json.obj()
        .put("attachments", List.of(Json.obj().put("id", "att-" + taskId).put("type", "eni")
            .put("status", "STOPPED".equals(lastStatus) ? "DELETED" : "ATTACHED")
            .put("details", List.of(Json.obj().put("name", "privateIPv4Address").put("value", ip)))))
        .put("clusterArn", clusterArn(cluster))
        .put("containers", List.of(container))
        .put("createdAt", updatedAt.minusSeconds(30).toString())
        .put("desiredStatus", "STOPPED".equals(lastStatus) ? "STOPPED" : "RUNNING")
        .put("group", "service:" + service)
        .put("launchType", "FARGATE")
        .put("lastStatus", lastStatus)
        .put("startedAt", updatedAt.minusSeconds(20).toString())
        .put("startedBy", "ecs-svc/4916584328468129104")
        .put("taskArn", arn)
        .put("taskDefinitionArn", revision)
        .put("updatedAt", updatedAt.toString())
        .put("version", version);
    if ("STOPPED".equals(lastStatus)) {
      detail.putIfPresent("stopCode", stopCode).putIfPresent("stoppedReason", reason)
          .put("stoppedAt", updatedAt.toString());
    }
    return Events.bytes(envelope("ECS Task State Change", arn, updatedAt, detail));
  }

  /** A task of {@code service} whose essential container exited with code 1. */
  public static byte[] crashed(String service, String taskId, String revision, long version, Instant at) {
    return task("test-cluster", service, taskId, revision, "STOPPED", version, at, "EssentialContainerExited",
        "Essential container in task exited", 1, ip(taskId));
  }

  public static byte[] running(String service, String taskId, String revision, long version, Instant at) {
    return task("test-cluster", service, taskId, revision, "RUNNING", version, at, null, null, null, ip(taskId));
  }

  /** A deterministic private address for a task id. */
  static String ip(String taskId) {
    return "10.0." + (Math.abs(taskId.hashCode()) % 200) + "." + (Math.abs(taskId.hashCode() / 200) % 250 + 1);
  }

  static byte[] deployment(String cluster, String service, String eventName, Instant updatedAt, String reason) {
    String serviceArn = "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":service/" + cluster + "/" + service;
    Json.Obj detail = Json.obj().put("eventType", eventName.endsWith("FAILED") ? "ERROR" : "INFO")
        .put("eventName", eventName).put("deploymentId", "ecs-svc/" + Math.abs(updatedAt.toEpochMilli() % 100000000L))
        .put("updatedAt", updatedAt.toString()).put("reason", reason);
    return Events.bytes(envelope("ECS Deployment State Change", serviceArn, updatedAt, detail));
  }

  /** SERVICE_DEPLOYMENT_COMPLETED of the deployment {@code deploymentId}. */
  static byte[] completed(String service, Instant at, String deploymentId) {
    String serviceArn = "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":service/test-cluster/" + service;
    Json.Obj detail = Json.obj().put("eventType", "INFO").put("eventName", "SERVICE_DEPLOYMENT_COMPLETED")
        .put("deploymentId", deploymentId).put("updatedAt", at.toString())
        .put("reason", "ECS deployment " + deploymentId + " completed.");
    return Events.bytes(envelope("ECS Deployment State Change", serviceArn, at, detail));
  }

  /** A deployment event of the deployment {@code deploymentId}. */
  static byte[] deployment(String cluster, String service, String eventName, Instant updatedAt, String reason,
      String deploymentId) {
    String serviceArn = "arn:aws:ecs:" + REGION + ":" + ACCOUNT + ":service/" + cluster + "/" + service;
    Json.Obj detail = Json.obj().put("eventType", eventName.endsWith("FAILED") ? "ERROR" : "INFO")
        .put("eventName", eventName).put("deploymentId", deploymentId).put("updatedAt", updatedAt.toString())
        .put("reason", reason);
    return Events.bytes(envelope("ECS Deployment State Change", serviceArn, updatedAt, detail));
  }

  public static byte[] completed(String service, Instant at) {
    return deployment("test-cluster", service, "SERVICE_DEPLOYMENT_COMPLETED", at, "ECS deployment completed.");
  }

  private static String envelope(String detailType, String resource, Instant time, Json.Obj detail) {
    return Json.obj().put("version", "0").put("id", UUID.randomUUID().toString()).put("detail-type", detailType)
        .put("source", "aws.ecs").put("account", ACCOUNT).put("time", time.toString()).put("region", REGION)
        .put("resources", List.of(resource)).put("detail", detail).toString();
  }
}
