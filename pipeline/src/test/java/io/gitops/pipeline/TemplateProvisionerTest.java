package io.gitops.pipeline;

import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.aws.StageWiring;
import io.gitops.sandbox.aws.TemplateProvisioner;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.testing.MotoServer;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.Service;

/** Provisioning the app's synthesized dev stage into moto. */
class TemplateProvisionerTest {
  private static URI endpoint;
  private static Emulator emulator;
  /** The stage the read-only tests share: one provisioning for all of them, made on first use. */
  private static StageWiring provisioned;

  @BeforeAll
  static void noStageYet() {
    provisioned = null;
  }

  private static void freshEmulator() {
    endpoint = MotoServer.shared().reset();
    emulator = new Emulator(endpoint, List.of());
    emulator.warmUp().join(); // moto loads each service on first use: seconds, beyond the SDK's call timeout
  }

  /** The real dev stage, provisioned into a fresh emulator once for the tests that only read it. */
  private static StageWiring stage() {
    if (provisioned == null) {
      freshEmulator();
      provisioned = provision(RealStage.assembly());
    }
    return provisioned;
  }

  private static StageWiring provision(CloudAssembly assembly) {
    TemplateProvisioner p = new TemplateProvisioner(assembly, emulator);
    p.provisionAll();
    return StageWiring.read(p);
  }

  /** The properties of the dev template's resource of {@code type} whose logical ID starts with {@code prefix}. */
  private static JsonNode template(String type, String prefix) {
    return RealStage.assembly().resources(type).stream()
        .filter(r -> r.logicalId().startsWith(prefix))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type + " " + prefix + "* in the dev stage"))
        .properties();
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new java.util.ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static LambdaConfig config(StageWiring w, String function, URI endpoint) {
    return LambdaConfig.from(Sandbox.functionEnv(w.environments().get(function), endpoint));
  }

  @Test
  void containerImagesComeFromTheReleaseParameters() {
    StageWiring w = stage();
    ServiceTarget bff = config(w, "image-deployer", endpoint).targetForRepository("bff").orElseThrow();
    Service svc = emulator.clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service())).services().get(0);
    ContainerDefinition c = emulator.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(svc.taskDefinition()))
        .taskDefinition().containerDefinitions().get(0);
    String release = emulator.clients().ssm().getParameter(b -> b.name("/gitops/dev/release/bff")).parameter().value();
    // before any push, the release parameter holds the placeholder image the stage is synthesized with
    assertThat(c.image()).isEqualTo(release)
        .endsWith(".dkr.ecr.us-east-1.amazonaws.com/gitops-dev-ecr-public/nginx/nginx-unprivileged@"
            + io.gitops.stacks.config.Placeholders.DIGEST);
  }

  @Test
  void containerDefinitionsKeepTheSynthesizedSettings() {
    StageWiring w = stage();
    ServiceTarget bff = config(w, "image-deployer", endpoint).targetForRepository("bff").orElseThrow();
    Service svc = emulator.clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service())).services().get(0);
    var td = emulator.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(svc.taskDefinition())).taskDefinition();
    ContainerDefinition c = td.containerDefinitions().get(0);
    JsonNode synthesized = template("AWS::ECS::TaskDefinition", "BffTaskDefinition");
    JsonNode container = synthesized.path("ContainerDefinitions").get(0);
    assertThat(td.cpu()).isEqualTo(synthesized.path("Cpu").asText()).isNotEmpty();
    assertThat(td.memory()).isEqualTo(synthesized.path("Memory").asText()).isNotEmpty();
    assertThat(td.runtimePlatform().cpuArchitectureAsString())
        .isEqualTo(synthesized.path("RuntimePlatform").path("CpuArchitecture").asText()).isNotEmpty();
    assertThat(c.portMappings().get(0).containerPort())
        .isEqualTo(container.path("PortMappings").get(0).path("ContainerPort").asInt()).isPositive();
    assertThat(c.healthCheck().command()).contains("CMD-SHELL")
        .containsExactlyElementsOf(texts(container.path("HealthCheck").path("Command")));
    assertThat(c.logConfiguration().options()).containsKey("awslogs-stream-prefix");
    assertThat(c.readonlyRootFilesystem()).isTrue();
  }

  @Test
  void servicesKeepDesiredCountsLoadBalancersAndDeploymentSettings() {
    StageWiring w = stage();
    ServiceTarget bff = config(w, "image-deployer", endpoint).targetForRepository("bff").orElseThrow();
    Service svc = emulator.clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service())).services().get(0);
    assertThat(svc.desiredCount()).isEqualTo(2);
    assertThat(svc.runningCount()).isEqualTo(2);
    assertThat(svc.loadBalancers().get(0).targetGroupArn()).contains(":targetgroup/");
    // bff deploys as a canary (no breaker: issue 14); the services reached through Cloud Map keep theirs.
    ServiceTarget graphql = config(w, "image-deployer", endpoint).targetForRepository("graphql").orElseThrow();
    assertThat(emulator.clients().ecs().describeServices(b -> b.cluster(graphql.cluster()).services(graphql.service()))
        .services().get(0).deploymentConfiguration().deploymentCircuitBreaker().rollback()).isTrue();
    assertThat(emulator.elb().describeTargetGroups(b -> b.targetGroupArns(svc.loadBalancers().get(0).targetGroupArn()))
        .targetGroups().get(0).healthCheckPath())
        .isEqualTo(template("AWS::ElasticLoadBalancingV2::TargetGroup", "BffTargetGroup").path("HealthCheckPath").asText())
        .startsWith("/");
  }

  @Test
  void theEnvironmentComesFromTheAutomationStacksFunctions() {
    StageWiring w = stage();
    // The canary hook (compute stack) names no ledger or topic: it reads them from the deployers' wiring when invoked.
    assertThat(w.environments()).containsOnlyKeys("image-deployer", "guard", "revision-cleanup", "canary-hook");
    assertThat(w.environments().get("canary-hook")).containsKey("CANARY_ANALYSIS")
        .doesNotContainKeys("LEDGER_TABLE", "ALARM_TOPIC_ARN", "SERVICE_MAP");
    LambdaConfig c = config(w, "image-deployer", endpoint);
    assertThat(c.services()).containsOnlyKeys("bff", "graphql", "agentcore");
    assertThat(c.services().get("bff").repositoryUri()).isEqualTo("123456789012.dkr.ecr.us-east-1.amazonaws.com/bff");
    assertThat(emulator.clients().dynamo().describeTable(b -> b.tableName(c.ledgerTable())).table().keySchema()).hasSize(2);
    assertThat(c.alarmTopicArn()).startsWith("arn:aws:sns:us-east-1:123456789012:");
  }

  @Test
  void theRulesComeFromTheAutomationStackWithTheirTargets() {
    StageWiring w = stage();
    Map<String, String> byRule = new LinkedHashMap<>();
    // the logical IDs without CDK's hash suffix
    w.rules().forEach(r -> byRule.put(r.name().replaceAll("^.*/", "").replaceAll("[0-9A-F]{8}$", ""), r.function()));
    assertThat(byRule).containsEntry("ImagePushRule", "image-deployer").containsEntry("TaskStateRule", "guard")
        .containsEntry("DeploymentStateRule", "guard");
    assertThat(w.rules().get(0).pattern().toString()).contains("\"bff\"").doesNotContain("Fn::");
  }

  @Test
  void withoutAnAutomationStackTheStageIsRefusedInOneLineWithNoStandIn() {
    provisioned = null; // this test provisions a stage of its own into a fresh emulator
    freshEmulator();
    CloudAssembly full = RealStage.assembly();
    Map<String, CloudAssembly.Stack> stacks = new LinkedHashMap<>();
    // every stack but the one holding the functions (the deployment automation)
    full.stacks().stream().filter(s -> !s.resources().toString().contains("\"Handler\":\"io.gitops.lambdas."))
        .forEach(s -> stacks.put(s.name(), s));
    assertThat(stacks.size()).isLessThan(full.stacks().size());
    assertThatThrownBy(() -> provision(new CloudAssembly("dev", stacks)))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("no AWS::Lambda::Function with a handler in io.gitops.lambdas.")
        .hasMessageNotContaining("\n");
  }
}
