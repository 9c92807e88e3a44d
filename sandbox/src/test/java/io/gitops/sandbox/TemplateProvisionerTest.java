package io.gitops.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.Service;

/** Provisioning the CDK-synthesized fixture stage into moto. */
class TemplateProvisionerTest {
  private URI endpoint;
  private Emulator emulator;

  @BeforeEach
  void freshEmulator() {
    endpoint = Moto.fresh();
    emulator = new Emulator(endpoint, List.of());
  }

  private StageWiring provision(CloudAssembly assembly) {
    TemplateProvisioner p = new TemplateProvisioner(assembly, emulator);
    p.provisionAll();
    return StageWiring.read(p, Fixtures.patterns(), List.of("image-deployer", "guard"));
  }

  private static LambdaConfig config(StageWiring w, String function, URI endpoint) {
    return LambdaConfig.from(Sandbox.functionEnv(w.environments().get(function), endpoint));
  }

  @Test
  void containerImagesComeFromTheReleaseParameters() {
    StageWiring w = provision(Fixtures.assembly());
    ServiceTarget bff = config(w, "image-deployer", endpoint).targetForRepository("bff").orElseThrow();
    Service svc = emulator.clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service())).services().get(0);
    ContainerDefinition c = emulator.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(svc.taskDefinition()))
        .taskDefinition().containerDefinitions().get(0);
    String release = emulator.clients().ssm().getParameter(b -> b.name("/gitops/dev/release/bff")).parameter().value();
    assertThat(c.image()).isEqualTo(release).startsWith("docker.io/ealen/echo-server@sha256:");
  }

  @Test
  void containerDefinitionsKeepTheSynthesizedSettings() {
    StageWiring w = provision(Fixtures.assembly());
    ServiceTarget bff = config(w, "image-deployer", endpoint).targetForRepository("bff").orElseThrow();
    Service svc = emulator.clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service())).services().get(0);
    var td = emulator.clients().ecs().describeTaskDefinition(b -> b.taskDefinition(svc.taskDefinition())).taskDefinition();
    ContainerDefinition c = td.containerDefinitions().get(0);
    assertThat(td.cpu()).isEqualTo("256");
    assertThat(td.memory()).isEqualTo("512");
    assertThat(td.runtimePlatform().cpuArchitectureAsString()).isEqualTo("ARM64");
    assertThat(c.portMappings().get(0).containerPort()).isEqualTo(8080);
    assertThat(c.healthCheck().command()).contains("CMD-SHELL");
    assertThat(c.logConfiguration().options()).containsKey("awslogs-stream-prefix");
    assertThat(c.readonlyRootFilesystem()).isTrue();
  }

  @Test
  void servicesKeepDesiredCountsLoadBalancersAndDeploymentSettings() {
    StageWiring w = provision(Fixtures.assembly());
    ServiceTarget bff = config(w, "image-deployer", endpoint).targetForRepository("bff").orElseThrow();
    Service svc = emulator.clients().ecs().describeServices(b -> b.cluster(bff.cluster()).services(bff.service())).services().get(0);
    assertThat(svc.desiredCount()).isEqualTo(2);
    assertThat(svc.runningCount()).isEqualTo(2);
    assertThat(svc.loadBalancers().get(0).targetGroupArn()).contains(":targetgroup/");
    assertThat(svc.deploymentConfiguration().deploymentCircuitBreaker().rollback()).isTrue();
    assertThat(emulator.elb().describeTargetGroups(b -> b.targetGroupArns(svc.loadBalancers().get(0).targetGroupArn()))
        .targetGroups().get(0).healthCheckPath()).isEqualTo("/health");
  }

  @Test
  void theEnvironmentComesFromTheAutomationStacksFunctions() {
    StageWiring w = provision(Fixtures.assembly());
    assertThat(w.fallbacks()).isEmpty();
    assertThat(w.environments()).containsOnlyKeys("image-deployer", "guard");
    LambdaConfig c = config(w, "image-deployer", endpoint);
    assertThat(c.services()).containsOnlyKeys("bff", "graphql", "agentcore");
    assertThat(c.services().get("bff").repositoryUri()).isEqualTo("123456789012.dkr.ecr.us-east-1.amazonaws.com/bff");
    assertThat(emulator.clients().dynamo().describeTable(b -> b.tableName(c.ledgerTable())).table().keySchema()).hasSize(2);
    assertThat(c.alarmTopicArn()).startsWith("arn:aws:sns:us-east-1:123456789012:");
  }

  @Test
  void theRulesComeFromTheAutomationStackWithTheirTargets() {
    StageWiring w = provision(Fixtures.assembly());
    Map<String, String> byRule = new LinkedHashMap<>();
    w.rules().forEach(r -> byRule.put(r.name().replaceAll("^.*/", ""), r.function()));
    assertThat(byRule).containsEntry("ImagePushRule", "image-deployer").containsEntry("TaskStateRule", "guard")
        .containsEntry("DeploymentStateRule", "guard");
    assertThat(w.rules().get(0).pattern().toString()).contains("\"bff\"").doesNotContain("Fn::");
  }

  @Test
  void withoutAnAutomationStackTheEnvironmentIsDerivedAndMarkedAsAFallback() {
    CloudAssembly full = Fixtures.assembly();
    Map<String, CloudAssembly.Stack> stacks = new LinkedHashMap<>();
    full.stacks().stream().filter(s -> !s.id().equals("DeploymentAutomation")).forEach(s -> stacks.put(s.name(), s));
    StageWiring w = provision(new CloudAssembly("dev", stacks));
    assertThat(w.fallbacks()).hasSize(2);
    LambdaConfig c = config(w, "image-deployer", endpoint);
    assertThat(c.services().get("bff").service()).isEqualTo("BffService");
    assertThat(c.services().get("bff").releaseParameter()).isEqualTo("/gitops/dev/release/bff");
    assertThat(w.rules()).extracting(EventRouter.Rule::function).contains("image-deployer");
  }
}
