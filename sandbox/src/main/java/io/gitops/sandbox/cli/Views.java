package io.gitops.sandbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ecs.model.Service;

/** Read-only views of a sandbox's state in the emulator, and one-line renderings of deliveries. */
public final class Views {
  private Views() {}

  static Service service(Sandbox s, ServiceTarget t) {
    List<Service> found = s.emulator().clients().ecs().describeServices(b -> b.cluster(t.cluster()).services(t.service()))
        .services();
    if (found.isEmpty()) throw new SandboxException("service " + t.service() + " does not exist in the emulator");
    return found.get(0);
  }

  public static String image(Sandbox s, String taskDefinitionArn, ServiceTarget t) {
    return s.emulator().clients().ecs().describeTaskDefinition(b -> b.taskDefinition(taskDefinitionArn))
        .taskDefinition().containerDefinitions().stream().filter(c -> c.name().equals(t.container()))
        .findFirst().map(c -> c.image()).orElse("");
  }

  public static String release(Sandbox s, ServiceTarget t) {
    return new ReleaseParameters(s.emulator().clients().ssm()).get(t.releaseParameter()).orElse("");
  }

  public static Ledger ledger(Sandbox s) {
    // A deployer's environment: the canary hook's names no ledger.
    String table = s.state().environments().values().stream().map(e -> e.get("LEDGER_TABLE"))
        .filter(java.util.Objects::nonNull).findFirst().orElse(null);
    return new Ledger(s.emulator().clients().dynamo(), table, Clock.systemUTC(), Duration.ofMinutes(2));
  }

  static String status(Sandbox s, ServiceTarget t, String digest) {
    return ledger(s).find(t.service(), digest).map(Deployment::status).map(DeploymentStatus::name).orElse("(none)");
  }

  /** The ledger's reasons for a deployment, joined; empty when there is none. */
  static String reasons(Sandbox s, ServiceTarget t, String digest) {
    return ledger(s).find(t.service(), digest).map(d -> String.join("; ", d.reasons())).orElse("");
  }

  /** service | revision | digest | ledger status, one row per service, from the emulator. */
  static List<String> summary(Sandbox s) {
    List<String> rows = new ArrayList<>();
    String fmt = "%-10s %-12s %-22s %-12s %s";
    rows.add(String.format(fmt, "SERVICE", "REVISION", "DIGEST", "LEDGER", "TASK DEFINITION"));
    for (Map.Entry<String, ServiceTarget> e : s.services().entrySet()) {
      ServiceTarget t = e.getValue();
      Service svc = service(s, t);
      String image = image(s, svc.taskDefinition(), t);
      String digest = ReleaseParameters.digestOf(image).orElse(image);
      String status = digest.startsWith("sha256:") ? status(s, t, digest) : "-";
      String family = shortArn(svc.taskDefinition());
      String revision = family.contains(":") ? "rev " + family.substring(family.lastIndexOf(':') + 1) : family;
      rows.add(String.format(fmt, e.getKey(), revision, shortDigest(digest), status, family));
    }
    return rows;
  }

  /** One line per run of identical deliveries (same event kind, function and action). */
  public static List<String> fold(List<Sandbox.Delivery> deliveries) {
    List<String> lines = new ArrayList<>();
    if (deliveries.isEmpty()) {
      lines.add("no rule matched: nothing was delivered");
      return lines;
    }
    String last = null;
    int count = 0;
    for (Sandbox.Delivery d : deliveries) {
      boolean quiet = d.action().equals("NONE") || d.action().equals("IGNORED") || d.reason() == null || d.reason().isEmpty();
      String key = describe(d.event()) + " → " + d.function() + ": " + d.action() + (quiet ? "" : " (" + trim(d.reason()) + ")");
      if (key.equals(last)) {
        count++;
        continue;
      }
      if (last != null) lines.add(last + (count > 1 ? "  ×" + count : ""));
      last = key;
      count = 1;
    }
    lines.add(last + (count > 1 ? "  ×" + count : ""));
    return lines;
  }

  static String describe(JsonNode e) {
    String type = e.path("detail-type").asText();
    JsonNode d = e.path("detail");
    return switch (type) {
      case "ECR Image Action" -> "ECR push " + d.path("repository-name").asText() + ":" + d.path("image-tag").asText();
      case "ECS Task State Change" -> "task " + d.path("lastStatus").asText()
          + (d.has("stopCode") ? " (" + d.path("stopCode").asText() + ", exit "
              + d.path("containers").path(0).path("exitCode").asText() + ")" : "");
      case "ECS Deployment State Change" -> "deployment " + d.path("eventName").asText();
      default -> type;
    };
  }

  static String shortArn(String arn) {
    return arn == null ? "-" : arn.replaceAll("^.*task-definition/", "");
  }

  static String shortDigest(String digest) {
    return digest.startsWith("sha256:") ? digest.substring(0, Math.min(digest.length(), 19)) + "…" : digest;
  }

  static String trim(String s) {
    return s.length() > 100 ? s.substring(0, 97) + "..." : s;
  }
}
