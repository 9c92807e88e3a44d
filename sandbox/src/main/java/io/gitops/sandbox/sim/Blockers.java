package io.gitops.sandbox.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.sandbox.aws.cloudformation.CloudFormation;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount.Resource;
import io.gitops.sandbox.sim.network.NetworkModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The seven things issue 21 found that stop (or make unsafe) the pipeline's first run, one check each, over an
 * {@link EmulatedAccount} holding a stage as its templates created it (resolved properties, CloudFormation's ids).
 * Each check answers null when its blocker is absent, else one line naming it. The first run
 * ({@code sim.pipeline.FirstRun}) meets blockers 1 to 4 as failures of the models themselves (a stack rolled
 * back, a step refused) and names them with {@link #classify}; 5 to 7 it runs as checks after a stage's stacks.
 */
public final class Blockers {
  private Blockers() {}

  /** The blockers, numbered as in issue 21. */
  public enum Blocker {
    FIRST_IMAGES(1, "no task can pull its first image"),
    PROMOTION_ROLES(2, "a promote step assumes a role that does not exist yet"),
    HOOK_TARGET(3, "the canary hook's target does not exist when the service is created"),
    ALTERNATE_TARGET_GROUP(4, "the canary's alternate target group is in no listener rule"),
    TEST_ROUTE_OPEN(5, "the canary's test listener rule is open to the internet"),
    MASTER_LOGIN(6, "GraphQL receives the Aurora master login"),
    EXEC_READ_ONLY(7, "ECS Exec cannot run (SC-011's check)");

    public final int number;
    public final String summary;

    Blocker(int number, String summary) {
      this.number = number;
      this.summary = summary;
    }

    public String label() {
      return "blocker " + number + " (" + summary + ")";
    }
  }

  /** Which blocker a model's failure reason is, if any. */
  public static Optional<Blocker> classify(String reason) {
    if (reason == null) return Optional.empty();
    if (reason.contains("CannotPullContainerError")) return Optional.of(Blocker.FIRST_IMAGES);
    if (reason.contains("PROMOTION BLOCKED: cannot assume")) return Optional.of(Blocker.PROMOTION_ROLES);
    if (reason.contains("lifecycle hook target")) return Optional.of(Blocker.HOOK_TARGET);
    if (reason.contains("alternate target group") || reason.contains("must forward to both")) {
      return Optional.of(Blocker.ALTERNATE_TARGET_GROUP);
    }
    return Optional.empty();
  }

  /** Blocker 1: every service's first image (the release parameter's initial value) is pullable by the network model. */
  public static String firstImages(EmulatedAccount a) {
    NetworkModel net = new NetworkModel(a);
    for (Resource svc : a.resources("AWS::ECS::Service")) {
      Resource td = a.byPhysical(svc.properties().path("TaskDefinition").asText()).orElse(null);
      if (td == null) continue;
      NetworkModel.Eni eni = NetworkModel.Eni.of(svc.properties().path("NetworkConfiguration").path("AwsvpcConfiguration"));
      for (JsonNode c : td.properties().path("ContainerDefinitions")) {
        String why = net.imagePull(eni, c.path("Image").asText());
        if (why != null) return Blocker.FIRST_IMAGES.label() + ": " + svc.logicalId() + ": CannotPullContainerError " + why;
      }
    }
    return null;
  }

  /** Blocker 2: each role a promote step assumes exists in its account when the step runs. */
  public static String promotionRoles(Map<String, EmulatedAccount> accountsById, String step, List<String> roleArns) {
    return promotionRoles(accountsById, step, roleArns, null);
  }

  /**
   * Blocker 2, with the caller: each role the step assumes exists when the step runs and, when a stack created it,
   * its trust policy admits {@code callerArn} (the step's own role) or the caller's account, as STS requires.
   */
  public static String promotionRoles(Map<String, EmulatedAccount> accountsById, String step, List<String> roleArns,
      String callerArn) {
    for (String arn : roleArns) {
      String account = arn.split(":").length > 4 ? arn.split(":")[4] : "";
      EmulatedAccount a = accountsById.get(account);
      if (a == null || !a.exists(arn)) {
        return Blocker.PROMOTION_ROLES.label() + ": " + step + " assumes " + arn + ", which "
            + (a == null ? "is in no account of the config" : "does not exist yet in " + a.env() + "'s account (its stacks so far: " + a.stackOrder() + ")");
      }
      if (callerArn == null || !callerArn.startsWith("arn:aws:iam::")) continue;
      Optional<Resource> role = a.resources("AWS::IAM::Role").stream().filter(r -> arn.equals(r.arn())).findFirst();
      if (role.isPresent() && !trusts(role.get().properties().path("AssumeRolePolicyDocument"), callerArn)) {
        return Blocker.PROMOTION_ROLES.label() + ": " + step + " runs as " + callerArn + ", which the trust policy of "
            + arn + " does not admit (AssumeRole: AccessDenied)";
      }
    }
    return null;
  }

  private static boolean trusts(JsonNode policy, String callerArn) {
    String callerAccount = callerArn.split(":")[4];
    for (JsonNode st : policy.path("Statement")) {
      if (!"Allow".equals(st.path("Effect").asText())) continue;
      List<String> actions = new ArrayList<>();
      if (st.path("Action").isArray()) st.path("Action").forEach(x -> actions.add(x.asText()));
      else actions.add(st.path("Action").asText());
      if (!actions.contains("sts:AssumeRole")) continue;
      JsonNode aws = st.path("Principal").path("AWS");
      List<String> principals = new ArrayList<>();
      if (aws.isArray()) aws.forEach(x -> principals.add(x.asText()));
      else if (aws.isTextual()) principals.add(aws.asText());
      for (String p : principals) {
        if (p.equals(callerArn) || p.equals(callerAccount) || p.equals("arn:aws:iam::" + callerAccount + ":root")) return true;
      }
    }
    return false;
  }

  /** Blocker 3: each lifecycle hook target was created before its service's stack (or earlier in the same stack). */
  public static String hookTargets(EmulatedAccount a) {
    List<String> order = a.stackOrder();
    for (Resource svc : a.resources("AWS::ECS::Service")) {
      for (JsonNode hook : svc.properties().path("DeploymentConfiguration").path("LifecycleHooks")) {
        String target = hook.path("HookTargetArn").asText();
        Optional<Resource> t = a.byPhysical(target);
        boolean before = t.isPresent() && order.indexOf(t.get().stack()) < order.indexOf(svc.stack());
        boolean sameStackEarlier = t.isPresent() && t.get().stack().equals(svc.stack())
            && a.resources().indexOf(t.get()) < a.resources().indexOf(svc);
        if (!before && !sameStackEarlier) {
          return Blocker.HOOK_TARGET.label() + ": " + svc.stack() + "/" + svc.logicalId() + " names " + target + ", which "
              + (t.isEmpty() ? "no stack creates" : t.get().stack() + " creates only after " + svc.stack());
        }
      }
    }
    return null;
  }

  /**
   * Blocker 4: a traffic-shifting service's production and test listener rules forward to both its target groups
   * (ECS shifts traffic by the rules' weights), and each alarm on the primary group's targets has a twin on the
   * alternate (ECS swaps the two between deployments).
   */
  public static String alternateTargetGroups(EmulatedAccount a) {
    for (Resource svc : a.resources("AWS::ECS::Service")) {
      for (JsonNode lb : svc.properties().path("LoadBalancers")) {
        JsonNode adv = lb.path("AdvancedConfiguration");
        if (adv.isMissingNode()) continue;
        String primary = lb.path("TargetGroupArn").asText();
        String alternate = adv.path("AlternateTargetGroupArn").asText();
        for (String field : List.of("ProductionListenerRule", "TestListenerRule")) {
          Optional<Resource> rule = a.byPhysical(adv.path(field).asText());
          Set<String> targets = rule.map(r -> CloudFormation.forwardTargets(r.properties().path("Actions"))).orElse(Set.of());
          if (!targets.contains(primary) || !targets.contains(alternate)) {
            return Blocker.ALTERNATE_TARGET_GROUP.label() + ": " + svc.logicalId() + "'s " + field + " "
                + rule.map(Resource::logicalId).orElse("(missing)") + " forwards to " + targets.stream().map(t -> id(a, t)).toList()
                + ", not to both " + id(a, primary) + " and " + id(a, alternate);
          }
        }
        String primaryName = a.byPhysical(primary).map(r -> r.attributes().get("TargetGroupFullName")).orElse(primary);
        String alternateName = a.byPhysical(alternate).map(r -> r.attributes().get("TargetGroupFullName")).orElse(alternate);
        for (Resource alarm : a.resources("AWS::CloudWatch::Alarm")) {
          String text = alarm.properties().toString();
          if (text.contains(primaryName) && !text.contains(alternateName)) {
            boolean twin = a.resources("AWS::CloudWatch::Alarm").stream()
                .anyMatch(o -> o != alarm && o.properties().toString().contains(alternateName)
                    && o.properties().path("MetricName").asText().equals(alarm.properties().path("MetricName").asText()));
            if (!twin) {
              return Blocker.ALTERNATE_TARGET_GROUP.label() + ": alarm " + alarm.logicalId() + " watches only "
                  + id(a, primary) + "; ECS serves from " + id(a, alternate) + " after the next deployment";
            }
          }
        }
      }
    }
    return null;
  }

  /**
   * Blocker 5: the test listener rule of a traffic-shifting service is reachable only by the guard's probe: its
   * listener's load balancer is not open to 0.0.0.0/0 on the listener's port, or the rule asks for a header
   * (a secret the probe sends) or a source address inside the VPC.
   */
  public static String testRoute(EmulatedAccount a) {
    for (Resource svc : a.resources("AWS::ECS::Service")) {
      for (JsonNode lb : svc.properties().path("LoadBalancers")) {
        String testRule = lb.path("AdvancedConfiguration").path("TestListenerRule").asText("");
        if (testRule.isEmpty()) continue;
        Optional<Resource> rule = a.byPhysical(testRule);
        if (rule.isEmpty()) continue;
        boolean guarded = false;
        for (JsonNode c : rule.get().properties().path("Conditions")) {
          String field = c.path("Field").asText();
          if (field.equals("http-header")) guarded = true;
          if (field.equals("source-ip")) {
            guarded = true;
            for (JsonNode v : c.path("SourceIpConfig").path("Values")) if (v.asText().equals("0.0.0.0/0")) guarded = false;
          }
        }
        if (guarded) continue;
        Optional<Resource> listener = a.byPhysical(rule.get().properties().path("ListenerArn").asText());
        if (listener.isEmpty() || openToInternet(a, listener.get())) {
          return Blocker.TEST_ROUTE_OPEN.label() + ": " + svc.logicalId() + "'s test rule " + rule.get().logicalId()
              + " matches only " + rule.get().properties().path("Conditions").toString()
              + " on a listener open to 0.0.0.0/0: anyone reaches the new revision before it gets production traffic";
        }
      }
    }
    return null;
  }

  private static boolean openToInternet(EmulatedAccount a, Resource listener) {
    int port = listener.properties().path("Port").asInt();
    Optional<Resource> lb = a.byPhysical(listener.properties().path("LoadBalancerArn").asText());
    if (lb.isEmpty()) return true;
    for (JsonNode g : lb.get().properties().path("SecurityGroups")) {
      Optional<Resource> sg = a.byPhysical(g.asText());
      List<JsonNode> rules = new ArrayList<>();
      sg.ifPresent(s -> s.properties().path("SecurityGroupIngress").forEach(rules::add));
      a.resources("AWS::EC2::SecurityGroupIngress").stream()
          .filter(r -> r.properties().path("GroupId").asText().equals(g.asText())).forEach(r -> rules.add(r.properties()));
      for (JsonNode r : rules) {
        if ("0.0.0.0/0".equals(r.path("CidrIp").asText()) && r.path("FromPort").asInt() <= port && port <= r.path("ToPort").asInt()) {
          return true;
        }
      }
    }
    return false;
  }

  /** Blocker 6: no task definition takes its database login from the Aurora cluster's master secret. */
  public static String masterLogin(EmulatedAccount a) {
    List<String> masterSecrets = new ArrayList<>();
    for (Resource att : a.resources("AWS::SecretsManager::SecretTargetAttachment")) {
      if ("AWS::RDS::DBCluster".equals(att.properties().path("TargetType").asText())) {
        masterSecrets.add(att.properties().path("SecretId").asText());
      }
    }
    for (Resource c : a.resources("AWS::RDS::DBCluster")) {
      String s = c.attributes().get("MasterUserSecret.SecretArn");
      if (s != null) masterSecrets.add(s);
    }
    for (Resource td : a.resources("AWS::ECS::TaskDefinition")) {
      for (JsonNode c : td.properties().path("ContainerDefinitions")) {
        for (JsonNode secret : c.path("Secrets")) {
          String from = secret.path("ValueFrom").asText();
          for (String master : masterSecrets) {
            if (!master.isEmpty() && from.startsWith(master)) {
              return Blocker.MASTER_LOGIN.label() + ": container " + c.path("Name").asText() + " gets "
                  + secret.path("Name").asText() + " from the cluster's master secret (" + from.substring(master.length())
                  + "); it rotates every 30 days under running tasks, and the login can do anything";
            }
          }
        }
      }
    }
    return null;
  }

  /**
   * The paths the SSM agent that ECS Exec injects must write under a read-only root: its state and its logs
   * (aws/containers-roadmap#1359; the ECS team's workaround mounts /var/lib/amazon and /var/log/amazon as task
   * volumes). The agent's own binaries under /managed-agents are a bind mount ECS adds, writable or not by the
   * task's definition, so they are not required here; a first dev ECS Exec session verifies it (docs/operations.md).
   */
  public static final List<String> EXEC_WRITABLE = List.of("/var/lib/amazon/ssm", "/var/log/amazon/ssm");

  /**
   * Blocker 7 (SC-011's check, docs/operations.md): a service with ECS Exec enabled can open a session: its
   * containers run an init process, a read-only root filesystem has the agent's paths writable, the task role
   * may open the ssmmessages channels, and ssmmessages is reachable through the network model.
   */
  public static String exec(EmulatedAccount a, String serviceLogicalIdPrefix) {
    NetworkModel net = new NetworkModel(a);
    for (Resource svc : a.resources("AWS::ECS::Service")) {
      if (!svc.logicalId().startsWith(serviceLogicalIdPrefix)) continue;
      if (!svc.properties().path("EnableExecuteCommand").asBoolean(false)) continue;
      String where = Blocker.EXEC_READ_ONLY.label() + ": " + svc.logicalId();
      Resource td = a.byPhysical(svc.properties().path("TaskDefinition").asText()).orElse(null);
      if (td == null) continue;
      for (JsonNode c : td.properties().path("ContainerDefinitions")) {
        String name = c.path("Name").asText();
        if (!c.path("LinuxParameters").path("InitProcessEnabled").asBoolean(false)) {
          return where + ": container " + name + " runs without an init process (LinuxParameters.InitProcessEnabled), which"
              + " ECS Exec's agent needs to reap its sessions";
        }
        if (c.path("ReadonlyRootFilesystem").asBoolean(false)) {
          for (String path : EXEC_WRITABLE) {
            if (!writable(c, path)) {
              return where + ": container " + name + " has a read-only root filesystem and no writable mount at " + path
                  + " (the SSM agent exits, so execute-command fails)";
            }
          }
        }
      }
      String taskRole = td.properties().path("TaskRoleArn").asText();
      if (!roleAllows(a, taskRole, "ssmmessages:OpenDataChannel")) {
        return where + ": the task role " + id(a, taskRole) + " may not ssmmessages:OpenDataChannel";
      }
      NetworkModel.Eni eni = NetworkModel.Eni.of(svc.properties().path("NetworkConfiguration").path("AwsvpcConfiguration"));
      String why = net.https(eni, "ssmmessages");
      if (why != null) return where + ": ssmmessages is unreachable: " + why;
    }
    return null;
  }

  private static boolean writable(JsonNode container, String path) {
    for (JsonNode m : container.path("MountPoints")) {
      String p = m.path("ContainerPath").asText();
      if (!m.path("ReadOnly").asBoolean(false) && (path.equals(p) || path.startsWith(p.endsWith("/") ? p : p + "/"))) return true;
    }
    return false;
  }

  private static boolean roleAllows(EmulatedAccount a, String roleArn, String action) {
    String roleName = roleArn.substring(roleArn.lastIndexOf('/') + 1);
    for (Resource p : a.resources("AWS::IAM::Policy")) {
      boolean attached = false;
      for (JsonNode r : p.properties().path("Roles")) if (r.asText().equals(roleName)) attached = true;
      if (!attached) continue;
      for (JsonNode st : p.properties().path("PolicyDocument").path("Statement")) {
        if (!"Allow".equals(st.path("Effect").asText())) continue;
        JsonNode acts = st.path("Action");
        List<String> list = new ArrayList<>();
        if (acts.isArray()) acts.forEach(x -> list.add(x.asText()));
        else list.add(acts.asText());
        if (list.contains(action) || list.contains("ssmmessages:*")) return true;
      }
    }
    return false;
  }

  private static String id(EmulatedAccount a, String physical) {
    return a.byPhysical(physical).map(Resource::logicalId).orElse(physical);
  }
}
