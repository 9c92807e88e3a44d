package io.gitops.lambdas.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.TaskDefinitions;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.PrintStream;
import java.io.OutputStream;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.services.ecs.model.*;

/** The clone differs from the current task definition only in the one container's image. */
@ExtendWith(MotoExtension.class)
class TaskDefinitionCloneTest {
  /** Computed by ECS on registration; not registrable, so not copied. */
  private static final Set<String> COMPUTED = Set.of("taskdefinitionarn", "revision", "status", "requiresattributes",
      "compatibilities", "registeredat", "registeredby", "deregisteredat", "deleterequestedat");

  static RegisterTaskDefinitionRequest.Builder everyOptionalField(RegisterTaskDefinitionRequest.Builder b) {
    ContainerDefinition app = ContainerDefinition.builder()
        .name("app").image(AwsFixture.PLACEHOLDER_IMAGE)
        .repositoryCredentials(RepositoryCredentials.builder().credentialsParameter("arn:aws:secretsmanager:us-east-1:123456789012:secret:pull").build())
        .cpu(128).memory(512).memoryReservation(256)
        .links("db")
        .portMappings(PortMapping.builder().containerPort(8080).hostPort(8080).protocol(TransportProtocol.TCP)
            .name("http").appProtocol(ApplicationProtocol.HTTP).build())
        .essential(true)
        .restartPolicy(ContainerRestartPolicy.builder().enabled(true).ignoredExitCodes(0).restartAttemptPeriod(60).build())
        .entryPoint("/bin/sh", "-c").command("exec java -jar app.jar")
        .environment(KeyValuePair.builder().name("SPRING_PROFILES_ACTIVE").value("dev").build())
        .environmentFiles(EnvironmentFile.builder().type(EnvironmentFileType.S3).value("arn:aws:s3:::cfg/app.env").build())
        .mountPoints(MountPoint.builder().sourceVolume("data").containerPath("/data").readOnly(false).build())
        .volumesFrom(VolumeFrom.builder().sourceContainer("sidecar").readOnly(true).build())
        .linuxParameters(LinuxParameters.builder().initProcessEnabled(true)
            .capabilities(KernelCapabilities.builder().add("SYS_PTRACE").drop("NET_RAW").build())
            .sharedMemorySize(64).tmpfs(Tmpfs.builder().containerPath("/tmp").size(64).build()).build())
        .secrets(Secret.builder().name("DB_PASSWORD").valueFrom("arn:aws:secretsmanager:us-east-1:123456789012:secret:db").build())
        .dependsOn(ContainerDependency.builder().containerName("sidecar").condition(ContainerCondition.HEALTHY).build())
        .startTimeout(60).stopTimeout(30)
        .versionConsistency(VersionConsistency.DISABLED)
        .hostname("app").user("1000:1000").workingDirectory("/app")
        .disableNetworking(false).privileged(false).readonlyRootFilesystem(true)
        .dnsServers("10.0.0.2").dnsSearchDomains("svc.local")
        .extraHosts(HostEntry.builder().hostname("db").ipAddress("10.0.0.10").build())
        .dockerSecurityOptions("no-new-privileges")
        .interactive(false).pseudoTerminal(false)
        .dockerLabels(java.util.Map.of("team", "platform"))
        .ulimits(Ulimit.builder().name(UlimitName.NOFILE).softLimit(65536).hardLimit(65536).build())
        .logConfiguration(LogConfiguration.builder().logDriver(LogDriver.AWSLOGS)
            .options(java.util.Map.of("awslogs-group", "/ecs/bff", "awslogs-region", "us-east-1",
                "awslogs-stream-prefix", "bff")).build())
        .healthCheck(HealthCheck.builder().command("CMD-SHELL", "curl -f http://localhost:8080/health || exit 1")
            .interval(10).timeout(5).retries(3).startPeriod(30).build())
        .systemControls(SystemControl.builder().namespace("net.core.somaxconn").value("1024").build())
        .resourceRequirements(ResourceRequirement.builder().type(ResourceType.GPU).value("1").build())
        .firelensConfiguration(FirelensConfiguration.builder().type(FirelensConfigurationType.FLUENTBIT).build())
        .credentialSpecs("credentialspec:arn:aws:s3:::specs/gmsa.json")
        .build();
    ContainerDefinition sidecar = ContainerDefinition.builder().name("sidecar")
        .image("public.ecr.aws/aws-observability/aws-otel-collector:latest").essential(false).memory(128).build();
    return b
        .taskRoleArn("arn:aws:iam::123456789012:role/bff-task")
        .executionRoleArn("arn:aws:iam::123456789012:role/bff-execution")
        .networkMode(NetworkMode.AWSVPC)
        .containerDefinitions(app, sidecar)
        .volumes(Volume.builder().name("data").efsVolumeConfiguration(EFSVolumeConfiguration.builder()
            .fileSystemId("fs-12345678").rootDirectory("/").transitEncryption(EFSTransitEncryption.ENABLED).build()).build())
        .placementConstraints(TaskDefinitionPlacementConstraint.builder()
            .type(TaskDefinitionPlacementConstraintType.MEMBER_OF).expression("attribute:ecs.os-type == linux").build())
        .requiresCompatibilities(Compatibility.FARGATE)
        .cpu("1024").memory("2048")
        .tags(Tag.builder().key("service").value("bff").build(), Tag.builder().key("env").value("dev").build())
        .pidMode(PidMode.TASK).ipcMode(IpcMode.NONE)
        .proxyConfiguration(ProxyConfiguration.builder().type(ProxyConfigurationType.APPMESH).containerName("sidecar")
            .properties(KeyValuePair.builder().name("IgnoredUID").value("1337").build()).build())
        .inferenceAccelerators(InferenceAccelerator.builder().deviceName("device1").deviceType("eia2.medium").build())
        .ephemeralStorage(EphemeralStorage.builder().sizeInGiB(50).build())
        .runtimePlatform(RuntimePlatform.builder().cpuArchitecture(CPUArchitecture.ARM64)
            .operatingSystemFamily(OSFamily.LINUX).build())
        .enableFaultInjection(true);
  }

  @Test
  void theCloneCopiesEveryRegistrableField() {
    RegisterTaskDefinitionRequest source = everyOptionalField(RegisterTaskDefinitionRequest.builder().family("bff")).build();
    TaskDefinition td = TaskDefinition.builder().family("bff").taskDefinitionArn("arn:aws:ecs:us-east-1:123456789012:task-definition/bff:1")
        .taskRoleArn(source.taskRoleArn()).executionRoleArn(source.executionRoleArn())
        .networkMode(source.networkMode()).containerDefinitions(source.containerDefinitions())
        .volumes(source.volumes()).placementConstraints(source.placementConstraints())
        .requiresCompatibilities(source.requiresCompatibilities()).cpu(source.cpu()).memory(source.memory())
        .pidMode(source.pidMode()).ipcMode(source.ipcMode()).proxyConfiguration(source.proxyConfiguration())
        .inferenceAccelerators(source.inferenceAccelerators()).ephemeralStorage(source.ephemeralStorage())
        .runtimePlatform(source.runtimePlatform()).enableFaultInjection(source.enableFaultInjection()).build();
    DescribeTaskDefinitionResponse described = DescribeTaskDefinitionResponse.builder().taskDefinition(td)
        .tags(source.tags()).build();

    RegisterTaskDefinitionRequest clone = TaskDefinitions.cloneWithImage(described, "app", "repo@sha256:abc");

    // Every field of the request model (as of this SDK version) is set on the clone: a new SDK field
    // that cloneWithImage does not copy fails here.
    for (SdkField<?> f : clone.sdkFields()) {
      Object v = f.getValueOrDefault(clone);
      assertThat(v).as(f.memberName()).isNotNull();
      if (v instanceof Collection<?> c) assertThat(c).as(f.memberName()).isNotEmpty();
      if (!f.memberName().equalsIgnoreCase("containerDefinitions")) {
        assertThat(v).as(f.memberName()).isEqualTo(f.getValueOrDefault(source));
      }
    }
  }

  @Test
  void aRealImageNeverInheritsThePlaceholdersCommand() {
    ContainerDefinition placeholder = ContainerDefinition.builder().name("app").image(AwsFixture.PLACEHOLDER_IMAGE)
        .command("sh", "-c", "exec nginx -c /tmp/placeholder/nginx.conf")
        .dockerLabels(java.util.Map.of(TaskDefinitions.PLACEHOLDER_COMMAND_LABEL, "true", "team", "platform"))
        .environment(KeyValuePair.builder().name("PORT").value("8080").build()).build();
    ContainerDefinition sidecar = ContainerDefinition.builder().name("sidecar").image("sidecar:1")
        .command("run").dockerLabels(java.util.Map.of(TaskDefinitions.PLACEHOLDER_COMMAND_LABEL, "true")).build();
    TaskDefinition td = TaskDefinition.builder().family("bff")
        .taskDefinitionArn("arn:aws:ecs:us-east-1:123456789012:task-definition/bff:1")
        .containerDefinitions(placeholder, sidecar).build();

    RegisterTaskDefinitionRequest clone = TaskDefinitions.cloneWithImage(
        DescribeTaskDefinitionResponse.builder().taskDefinition(td).build(), "app", "repo@sha256:abc");

    ContainerDefinition app = clone.containerDefinitions().get(0);
    assertThat(app.image()).isEqualTo("repo@sha256:abc");
    assertThat(app.hasCommand()).isFalse();
    assertThat(app.dockerLabels()).containsExactly(java.util.Map.entry("team", "platform"));
    assertThat(app.environment()).isEqualTo(placeholder.environment());
    // Only the container whose image is replaced changes.
    assertThat(clone.containerDefinitions().get(1)).isEqualTo(sidecar);
    // The only label gone: no labels at all (not an empty map).
    TaskDefinition only = td.toBuilder().containerDefinitions(placeholder.toBuilder()
        .dockerLabels(java.util.Map.of(TaskDefinitions.PLACEHOLDER_COMMAND_LABEL, "true")).build()).build();
    assertThat(TaskDefinitions.cloneWithImage(DescribeTaskDefinitionResponse.builder().taskDefinition(only).build(),
        "app", "repo@sha256:abc").containerDefinitions().get(0).hasDockerLabels()).isFalse();
  }

  @Test
  void theRegisteredRevisionEqualsTheCurrentOneFieldForFieldExceptTheImage(MotoServer moto) {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff")
        .taskDefinition(TaskDefinitionCloneTest::everyOptionalField).provision();
    DescribeTaskDefinitionResponse before = fx.currentTaskDefinition("bff");
    var handler = new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(moto.endpoint(), AwsFixture.FAST_SDK),
        new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());

    Outcome o = handler.handle(Events.resource("events/ecr-push-bff.json"));
    DescribeTaskDefinitionResponse after = fx.currentTaskDefinition("bff");

    assertThat(o.action()).isEqualTo(Outcome.Action.DEPLOYED);
    TaskDefinition a = before.taskDefinition();
    TaskDefinition b = after.taskDefinition();
    assertThat(b.revision()).isEqualTo(a.revision() + 1);
    for (SdkField<?> f : a.sdkFields()) {
      if (COMPUTED.contains(f.memberName().toLowerCase()) || f.memberName().equalsIgnoreCase("containerDefinitions")) continue;
      assertThat(f.getValueOrDefault(b)).as(f.memberName()).isEqualTo(f.getValueOrDefault(a));
    }
    String image = fx.target("bff").repositoryUri() + "@" + Events.digest("bff-1.0.1");
    assertThat(b.containerDefinitions()).hasSize(2);
    assertThat(b.containerDefinitions().get(0).image()).isEqualTo(image);
    assertThat(b.containerDefinitions().get(0).toBuilder().image(null).build())
        .isEqualTo(a.containerDefinitions().get(0).toBuilder().image(null).build());
    assertThat(b.containerDefinitions().get(1)).isEqualTo(a.containerDefinitions().get(1));
    // The source's tags, exactly, plus the deployer's own two (the digest and the revision it replaced).
    assertThat(after.tags()).filteredOn(t -> !t.key().startsWith("gitops:"))
        .containsExactlyInAnyOrderElementsOf(before.tags()).isNotEmpty();
    assertThat(after.tags()).filteredOn(t -> t.key().startsWith("gitops:")).containsExactlyInAnyOrder(
        software.amazon.awssdk.services.ecs.model.Tag.builder().key(TaskDefinitions.DIGEST_TAG)
            .value(Events.digest("bff-1.0.1")).build(),
        software.amazon.awssdk.services.ecs.model.Tag.builder().key(TaskDefinitions.PREVIOUS_REVISION_TAG)
            .value(a.taskDefinitionArn()).build());
    // The emulator must really have stored the optional fields, or the comparison above proves little.
    // (moto 5.2.1 drops enableFaultInjection; theCloneCopiesEveryRegistrableField covers it without moto.)
    assertThat(List.of(a.taskRoleArn(), a.executionRoleArn(), a.ephemeralStorage(), a.runtimePlatform(),
        a.proxyConfiguration(), a.pidModeAsString(), a.ipcModeAsString(), a.cpu(), a.memory())).doesNotContainNull();
    assertThat(a.volumes()).isNotEmpty();
    assertThat(a.placementConstraints()).isNotEmpty();
    assertThat(a.inferenceAccelerators()).isNotEmpty();
    assertThat(a.containerDefinitions().get(0).secrets()).isNotEmpty();
    assertThat(a.containerDefinitions().get(0).healthCheck()).isNotNull();
    assertThat(a.containerDefinitions().get(0).ulimits()).isNotEmpty();
    assertThat(a.containerDefinitions().get(0).logConfiguration()).isNotNull();
  }
}
