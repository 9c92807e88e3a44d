package io.gitops.stacks.compute;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.nag.Nag;

import io.gitops.stacks.config.CapacitySplit;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.config.ServiceConfig;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.CfnCondition;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Fn;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.ec2.Connections;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ecs.AwsLogDriverMode;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.CfnTaskDefinition;
import software.amazon.awscdk.services.ecs.CloudMapOptions;
import software.amazon.awscdk.services.ecs.ContainerDefinition;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.ecs.CpuUtilizationScalingProps;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.HealthCheck;
import software.amazon.awscdk.services.ecs.ICluster;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.ecs.MemoryUtilizationScalingProps;
import software.amazon.awscdk.services.ecs.MountPoint;
import software.amazon.awscdk.services.ecs.OperatingSystemFamily;
import software.amazon.awscdk.services.ecs.PortMapping;
import software.amazon.awscdk.services.ecs.PropagatedTagSource;
import software.amazon.awscdk.services.ecs.RuntimePlatform;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.ecs.Secret;
import software.amazon.awscdk.services.ecs.Volume;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.servicediscovery.DnsRecordType;
import software.amazon.awscdk.services.servicediscovery.INamespace;
import software.amazon.awscdk.services.ssm.StringParameter;
import software.constructs.Construct;

/**
 * One containerized service on Fargate, built entirely from its {@link ServiceConfig} entry: log
 * group, settings parameter, task role, task definition, security group, ECS service and its auto
 * scaling. Three services are three instances; a fourth is one more config entry.
 */
public final class Microservice extends Construct {

  /** Target utilization (%) for the CPU and memory target tracking policies. */
  public static final int CPU_TARGET_PERCENT = 70;
  public static final int MEMORY_TARGET_PERCENT = 75;
  /** The plan's 5-minute scale-in cooldown keeps a brief dip from shedding tasks. */
  public static final Duration SCALE_IN_COOLDOWN = Duration.minutes(5);
  public static final Duration SCALE_OUT_COOLDOWN = Duration.minutes(1);
  /**
   * Health checks sized for SC-005 (an unhealthy task detected within 90 s); the arithmetic is in
   * docs/operations.md. The ALB's grace period matches the container check's start period.
   */
  public static final Duration HEALTH_CHECK_INTERVAL = Duration.seconds(10);
  public static final Duration HEALTH_CHECK_TIMEOUT = Duration.seconds(5);
  public static final int HEALTH_CHECK_RETRIES = 3;
  public static final Duration HEALTH_CHECK_START_PERIOD = Duration.seconds(30);
  public static final Duration HEALTH_CHECK_GRACE = HEALTH_CHECK_START_PERIOD;
  public static final Duration DNS_TTL = Duration.seconds(10);
  /**
   * The user every container runs as: a fixed unprivileged UID and GID, never root (AWS Control
   * Tower CT.ECS.PR.3). It overrides the image's USER; images must run as any non-root UID.
   */
  public static final String CONTAINER_USER = "1000:1000";
  /**
   * Where ECS Exec's SSM agent writes inside the container (its state and its logs): with a read-only
   * root filesystem the agent cannot start a session unless these are writable, so where ECS Exec is
   * on each is an empty task-storage volume like the service's own writable paths. The agent's
   * binaries are bind-mounted by ECS under /managed-agents and are not written.
   */
  public static final List<String> ECS_EXEC_WRITABLE_PATHS = List.of("/var/lib/amazon", "/var/log/amazon");

  /**
   * What the construct needs from its stack.
   *
   * @param environment   the environment config
   * @param service       this service's config entry
   * @param vpc           the VPC (private subnets)
   * @param cluster       the ECS cluster
   * @param namespace     Cloud Map namespace; private services register an A record in it
   * @param executionRole the shared task execution role
   * @param logKey        KMS key that encrypts the log group
   * @param image         the container image; a token resolved from the release parameter at deploy time
   * @param settings      non-secret runtime settings (JSON values may be tokens), stored in SSM
   */
  public record Props(
      EnvironmentConfig environment,
      ServiceConfig service,
      IVpc vpc,
      ICluster cluster,
      INamespace namespace,
      IRole executionRole,
      IKey logKey,
      String image,
      Map<String, Object> settings) {

    public Props {
      Objects.requireNonNull(environment, "environment");
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(vpc, "vpc");
      Objects.requireNonNull(cluster, "cluster");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(executionRole, "executionRole");
      Objects.requireNonNull(logKey, "logKey");
      Objects.requireNonNull(image, "image");
      settings = Sorted.map(settings);
    }
  }

  private final ServiceConfig service;
  private final LogGroup logGroup;
  private final StringParameter settingsParameter;
  private final Role taskRole;
  private final FargateTaskDefinition taskDefinition;
  private final ContainerDefinition container;
  private final SecurityGroup securityGroup;
  private final FargateService fargateService;
  private final ScalableTaskCount scaling;

  public Microservice(Construct scope, String id, Props props) {
    super(scope, id);
    EnvironmentConfig env = props.environment();
    service = props.service();
    RemovalPolicy removal = env.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    logGroup = LogGroup.Builder.create(this, "Logs")
        .retention(RetentionDays.ONE_WEEK)
        .encryptionKey(props.logKey())
        .removalPolicy(removal)
        .build();

    settingsParameter = StringParameter.Builder.create(this, "Settings")
        .description("Non-secret runtime settings of " + service.name() + " (" + env.name() + ")")
        .stringValue(Stack.of(this).toJsonString(props.settings()))
        .build();

    taskRole = Role.Builder.create(this, "TaskRole")
        .assumedBy(TaskRoles.ecsTasksPrincipal(this))
        .description("Task role of " + service.name() + " (" + env.name() + "): its own logs and settings, plus its configured access")
        .build();
    logGroup.grantWrite(taskRole);
    settingsParameter.grantRead(taskRole);

    taskDefinition = FargateTaskDefinition.Builder.create(this, "TaskDefinition")
        .cpu(service.sizing().cpu())
        .memoryLimitMiB(service.sizing().memoryMiB())
        .executionRole(props.executionRole())
        .taskRole(taskRole)
        .runtimePlatform(RuntimePlatform.builder()
            .operatingSystemFamily(OperatingSystemFamily.LINUX)
            .cpuArchitecture(CpuArchitecture.X86_64)
            .build())
        .build();

    container = taskDefinition.addContainer(service.name(), ContainerDefinitionOptions.builder()
        .containerName(service.name())
        // The image is never a literal: it is the release parameter's value at deploy time, so a
        // pipeline run deploys exactly what the deployers last rolled out.
        .image(ContainerImage.fromRegistry(props.image()))
        .essential(true)
        .portMappings(List.of(PortMapping.builder().containerPort(service.port()).build()))
        .user(CONTAINER_USER)
        .readonlyRootFilesystem(true)
        // ECS Exec's SSM agent runs as a child of the container's init process; with ECS's init
        // it is reaped and signalled properly (ECS developer guide, "ECS Exec", considerations).
        .linuxParameters(env.ecsExec()
            ? software.amazon.awscdk.services.ecs.LinuxParameters.Builder.create(this, "LinuxParameters")
                .initProcessEnabled(true).build()
            : null)
        // The container's hard memory limit is the task's memory: one container per task, and a
        // container-level limit is what ECS enforces per container (CT.ECS.PR.7).
        .memoryLimitMiB(service.sizing().memoryMiB())
        .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder()
            .logGroup(logGroup)
            .streamPrefix(service.name())
            // A full log buffer must never block the application; the buffer drops instead.
            .mode(AwsLogDriverMode.NON_BLOCKING)
            .maxBufferSize(software.amazon.awscdk.Size.mebibytes(25))
            .build()))
        .healthCheck(HealthCheck.builder()
            // Images must ship curl or (busybox) wget; the placeholder image has busybox wget.
            .command(List.of("CMD-SHELL", healthCommand(service)))
            .interval(HEALTH_CHECK_INTERVAL)
            .timeout(HEALTH_CHECK_TIMEOUT)
            .retries(HEALTH_CHECK_RETRIES)
            .startPeriod(HEALTH_CHECK_START_PERIOD)
            .build())
        // The one plain environment value: the port, which the placeholder's command and the
        // services read to bind. Everything else arrives as a secret or through the settings parameter.
        .environment(Map.of("PORT", Integer.toString(service.port())))
        .secrets(Map.of("SERVICE_SETTINGS", Secret.fromSsmParameter(settingsParameter)))
        .build());
    Nag.acknowledge(taskDefinition, "AwsSolutions-ECS2",
        "The only plain environment variable is PORT, a non-secret port number the image binds to; "
            + "secrets are injected through ecs.Secret (Secrets Manager / SSM) and settings through SSM");
    addWritableVolumes(service.writablePaths());
    if (env.ecsExec()) {
      addWritableVolumes(ECS_EXEC_WRITABLE_PATHS);
    }

    keepReplacedRevisions(taskDefinition);
    commandWhileRunningThePlaceholder(env, props.image());

    securityGroup = SecurityGroup.Builder.create(this, "SecurityGroup")
        .vpc(props.vpc())
        .description(service.name() + " tasks (" + env.name() + ")")
        .allowAllOutbound(false)
        .build();
    // Egress: the endpoints and S3 (TaskEgress, added by the stack) and the named peers; no 0.0.0.0/0.

    CapacitySplit split = env.capacity();
    FargateService.Builder builder = FargateService.Builder.create(this, "Service")
        .cluster(props.cluster())
        .taskDefinition(taskDefinition)
        .desiredCount(service.counts().desired())
        .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
        .assignPublicIp(false)
        .securityGroups(List.of(securityGroup))
        .capacityProviderStrategies(strategy(split))
        .minHealthyPercent(100)
        .maxHealthyPercent(200)
        .healthCheckGracePeriod(HEALTH_CHECK_GRACE)
        .propagateTags(PropagatedTagSource.SERVICE)
        .enableEcsManagedTags(true)
        .enableExecuteCommand(env.ecsExec());
    deploymentStrategy(builder, service.deployment());
    if (service.deployment().shiftsTraffic()) {
      // The one service name the project sets, unique within the environment's own cluster: the canary's hook
      // function must name the service in its configuration, and the service names the hook (its target), so a
      // reference either way would be a cycle (issue 21, blocker 3).
      builder.serviceName(service.name());
    }
    if (!service.publicFacing()) {
      builder.cloudMapOptions(CloudMapOptions.builder()
          .cloudMapNamespace(props.namespace())
          .name(service.name())
          .dnsRecordType(DnsRecordType.A)
          .dnsTtl(DNS_TTL)
          .container(container)
          .build());
    }
    fargateService = builder.build();
    if (service.deployment().shiftsTraffic()) {
      software.amazon.awscdk.Annotations.of(fargateService).acknowledgeWarning("@aws-cdk/aws-ecs:shouldUseCircuitBreaker",
          "ECS's circuit breaker applies to rolling updates only; this service's native strategy rolls back on its "
              + "deployment alarms and on its analysis hook's FAILED instead");
    }

    scaling = fargateService.autoScaleTaskCount(EnableScalingProps.builder()
        .minCapacity(service.counts().min())
        .maxCapacity(service.counts().max())
        .build());
    scaling.scaleOnCpuUtilization("CpuScaling", CpuUtilizationScalingProps.builder()
        .targetUtilizationPercent(CPU_TARGET_PERCENT)
        .scaleInCooldown(SCALE_IN_COOLDOWN)
        .scaleOutCooldown(SCALE_OUT_COOLDOWN)
        .build());
    scaling.scaleOnMemoryUtilization("MemoryScaling", MemoryUtilizationScalingProps.builder()
        .targetUtilizationPercent(MEMORY_TARGET_PERCENT)
        .scaleInCooldown(SCALE_IN_COOLDOWN)
        .scaleOutCooldown(SCALE_OUT_COOLDOWN)
        .build());
  }

  /**
   * Rolling: ECS's circuit breaker as the second line behind the guard. A traffic-shifting strategy: ECS's
   * native strategy with its bake time (the breaker applies to rolling updates only; deployment alarms and
   * the analysis hook, added by {@link CanaryTraffic}, take its place).
   */
  private static void deploymentStrategy(FargateService.Builder builder, io.gitops.stacks.config.DeploymentStrategy s) {
    if (s instanceof io.gitops.stacks.config.DeploymentStrategy.Canary c) {
      builder.deploymentStrategy(software.amazon.awscdk.services.ecs.DeploymentStrategy.CANARY)
          .canaryConfiguration(software.amazon.awscdk.services.ecs.TrafficShiftConfig.builder()
              .stepPercent(c.percent()).stepBakeTime(minutes(c.stepBake())).build())
          .bakeTime(minutes(c.bake()));
    } else if (s instanceof io.gitops.stacks.config.DeploymentStrategy.Linear l) {
      builder.deploymentStrategy(software.amazon.awscdk.services.ecs.DeploymentStrategy.LINEAR)
          .linearConfiguration(software.amazon.awscdk.services.ecs.TrafficShiftConfig.builder()
              .stepPercent(l.stepPercent()).stepBakeTime(minutes(l.stepBake())).build())
          .bakeTime(minutes(l.bake()));
    } else if (s instanceof io.gitops.stacks.config.DeploymentStrategy.BlueGreen b) {
      builder.deploymentStrategy(software.amazon.awscdk.services.ecs.DeploymentStrategy.BLUE_GREEN)
          .bakeTime(minutes(b.bake()));
    } else {
      builder.circuitBreaker(DeploymentCircuitBreaker.builder().enable(true).rollback(true).build());
    }
  }

  private static Duration minutes(java.time.Duration d) {
    return Duration.minutes(d.toMinutes());
  }

  /**
   * A task definition change is a replacement in CloudFormation, which by default deregisters the
   * old revision. The guard's rollbacks (and a rollback by hand) go back to that old revision, so
   * it must stay registered: Retain on replacement, and on stack deletion too (a revision costs
   * nothing; cfn-lint W3011 asks for both policies together).
   */
  private static void keepReplacedRevisions(FargateTaskDefinition taskDefinition) {
    taskDefinition.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }

  /**
   * While the image parameter still holds the environment's {@link Placeholders#image}, the container gets the
   * placeholder's command (answer this service's health path, nothing else) and the label that
   * marks it. Both are conditional on the parameter's value at deploy time, so a stack deployed
   * with a real release has neither; the image deployer removes both when it clones a placeholder
   * revision for a real image (lambdas' TaskDefinitions.cloneWithImage).
   */
  private void commandWhileRunningThePlaceholder(EnvironmentConfig environment, String image) {
    CfnCondition runsPlaceholder = CfnCondition.Builder.create(this, "RunsPlaceholder")
        .expression(Fn.conditionEquals(image, Placeholders.image(environment.target(), environment.name())))
        .build();
    CfnTaskDefinition cfn = (CfnTaskDefinition) taskDefinition.getNode().getDefaultChild();
    cfn.addPropertyOverride("ContainerDefinitions.0.Command", Fn.conditionIf(runsPlaceholder.getLogicalId(),
        Placeholders.command(service.healthPath()), Aws.NO_VALUE));
    cfn.addPropertyOverride("ContainerDefinitions.0.DockerLabels", Fn.conditionIf(runsPlaceholder.getLogicalId(),
        Map.of(Placeholders.COMMAND_LABEL, "true"), Aws.NO_VALUE));
  }

  /**
   * The root filesystem is read-only; each writable path is an empty volume in the task's ephemeral
   * storage (a Fargate bind mount with no host path), discarded with the task.
   */
  private void addWritableVolumes(List<String> paths) {
    for (String path : paths) {
      // "/var/cache/agentcore" → "var-cache-agentcore" (volume names allow letters, digits, - and _).
      String name = path.substring(1).replaceAll("[^A-Za-z0-9_]", "-");
      taskDefinition.addVolume(Volume.builder().name(name).build());
      container.addMountPoints(MountPoint.builder().sourceVolume(name).containerPath(path).readOnly(false).build());
    }
  }

  /**
   * The container health check. The URL is single-quoted for the shell (a health path may carry a
   * query string, e.g. GraphQL's). The apollo-require-preflight header lets the check through
   * Apollo Server's CSRF prevention, which refuses a header-less GET; other servers ignore it.
   */
  static String healthCommand(ServiceConfig service) {
    String url = "'http://localhost:" + service.port() + service.healthPath() + "'";
    String header = "'apollo-require-preflight: true'";
    return "curl -fsS -H " + header + " " + url + " >/dev/null || wget -q --header " + header
        + " -O /dev/null " + url + " || exit 1";
  }

  /** The base runs on demand; above it, tasks split by weight (7:3 puts about 30% on Spot). */
  static List<CapacityProviderStrategy> strategy(CapacitySplit split) {
    return List.of(
        CapacityProviderStrategy.builder()
            .capacityProvider("FARGATE").base(split.onDemandBase()).weight(split.onDemandWeight()).build(),
        CapacityProviderStrategy.builder()
            .capacityProvider("FARGATE_SPOT").weight(split.spotWeight()).build());
  }

  public ServiceConfig config() {
    return service;
  }

  public LogGroup logGroup() {
    return logGroup;
  }

  public StringParameter settingsParameter() {
    return settingsParameter;
  }

  public Role taskRole() {
    return taskRole;
  }

  public FargateTaskDefinition taskDefinition() {
    return taskDefinition;
  }

  public ContainerDefinition container() {
    return container;
  }

  public SecurityGroup securityGroup() {
    return securityGroup;
  }

  public Connections connections() {
    return fargateService.getConnections();
  }

  public FargateService service() {
    return fargateService;
  }

  public ScalableTaskCount scaling() {
    return scaling;
  }
}
