package io.gitops.stacks;

import io.gitops.stacks.automation.DeploymentStack;
import io.gitops.stacks.automation.DeploymentStackProps;
import io.gitops.stacks.automation.DeploymentStackProps.DeployedService;
import io.gitops.stacks.compute.ComputeStack;
import io.gitops.stacks.compute.ComputeStackProps;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.database.DatabaseStack;
import io.gitops.stacks.monitoring.MonitoringStack;
import io.gitops.stacks.monitoring.MonitoringStackProps;
import io.gitops.stacks.network.NetworkStack;
import io.gitops.stacks.security.SecurityStack;
import io.gitops.stacks.storage.StorageStack;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.ecs.IBaseService;
import software.constructs.Construct;

/**
 * One environment's chain of stacks, wired through typed references:
 * network → security → storage → database → compute → monitoring → deployment (the event-driven
 * deployers). A pipeline stage and the tests
 * both build an environment through this class, so they cannot drift apart.
 */
public final class PlatformStacks {

  private final EnvironmentConfig config;
  private final NetworkStack network;
  private final SecurityStack security;
  private final StorageStack storage;
  private final DatabaseStack database;
  private final ComputeStack compute;
  private final MonitoringStack monitoring;
  private final DeploymentStack deployment;

  private PlatformStacks(Construct scope, EnvironmentConfig config, Path lambdaJar) {
    this.config = config;
    network = new NetworkStack(scope, "Network", config);
    security = new SecurityStack(scope, "Security", config);
    storage = new StorageStack(scope, "Storage", config, security);
    database = new DatabaseStack(scope, "Database", config, network, security);
    compute = new ComputeStack(scope, "Compute", config, new ComputeStackProps(
        network.vpc(), network.alb(), network.albSecurityGroup(), network.listener(),
        new LinkedHashMap<String, IRepository>(storage.repositories()),
        StorageStack::releaseParameterName,
        storage.documentsBucket(), security.applicationSecret(),
        database.cluster(), database.databaseSecurityGroup(), database.credentials(),
        database.searchDomain(), database.searchSecurityGroup(), database::grantSearchAccess,
        database.searchAccessRole().getRoleArn(), network.endpointSecurityGroup(),
        storage.s3PrefixList().prefixListId()));
    // The release parameters are read by name (a CloudFormation parameter), which creates no
    // reference: the order has to be stated.
    compute.addStackDependency(storage);
    Map<String, IBaseService> services = new LinkedHashMap<>();
    compute.services().forEach((name, svc) -> services.put(name, svc.service()));
    monitoring = new MonitoringStack(scope, "Monitoring", config, new MonitoringStackProps(
        compute.cluster(), services, publicTargetGroups(), network.alb(), database.cluster()));
    // Where a web ACL guards the ALB (prod), its traffic is logged by the monitoring stack, with its key.
    network.webAcl().ifPresent(acl -> new io.gitops.stacks.monitoring.WafLogging(monitoring, "WafLogging",
        config, acl.getAttrArn(), monitoring.key()));

    // The canary's hook: a function of its own in the compute stack, before the service that names it.
    String albDnsName = config.certificateArn().isPresent() ? config.domainName() : network.alb().getLoadBalancerDnsName();
    String healthScheme = config.certificateArn().isPresent() ? "https" : "http";
    List<DeploymentStackProps.Canary> canaries = canaries(config);
    compute.canary().ifPresent(c -> compute.addCanaryHook(lambdaJar, hookVariables(config, canaries, albDnsName,
        healthScheme), io.gitops.contract.OperatorWiring.parameterName(config.name())));

    List<DeployedService> deployed = new ArrayList<>();
    compute.services().forEach((name, svc) -> {
      var repository = storage.repositories().get(name);
      deployed.add(new DeployedService(name,
          svc.service().getServiceName(), svc.service().getServiceArn(),
          svc.taskDefinition().getFamily(), svc.taskRole(),
          repository.getRepositoryName(), repository.getRepositoryUri(),
          StorageStack.releaseParameterName(config.name(), name),
          storage.releaseParameters().get(name).getParameterArn(),
          svc.config().publicFacing() ? compute.targetGroup().getTargetGroupArn() : null,
          svc.config().healthPath()));
    });
    deployment = new DeploymentStack(scope, "Deployment", config, new DeploymentStackProps(
        lambdaJar, compute.cluster(), deployed, compute.executionRole(),
        monitoring.alarmTopic(), monitoring.key(),
        // Over HTTPS the guard's probe must use the certificate's name (DNS points it at the ALB).
        albDnsName, healthScheme, canaries,
        compute.canaryHook().map(h -> (software.amazon.awscdk.services.iam.IRole) h.role())));
    // Production data only: dev and test are rebuilt from code, their ledgers and databases hold test
    // data, and Aurora's automated backups and the ledger's point-in-time recovery already cover a
    // bad deploy there; a plan would add storage for copies nobody restores (docs/cost.md).
    if (config.isProduction()) {
      new io.gitops.stacks.backup.DataBackups(deployment, "Backups", config, List.of(
          software.amazon.awscdk.services.backup.BackupResource.fromArn(database.cluster().getClusterArn()),
          software.amazon.awscdk.services.backup.BackupResource.fromDynamoDbTable(deployment.ledger())));
    }
  }

  /**
   * The canary hook's own environment: the guard's canary settings, which name only resources of this and earlier
   * stacks. The ledger, the topic and the service map it reads from the deployers' wiring parameter when it runs.
   */
  private Map<String, String> hookVariables(EnvironmentConfig config, List<DeploymentStackProps.Canary> canaries,
      String albDnsName, String healthScheme) {
    var front = compute.services().get(config.publicService().name());
    Map<String, String> env = new LinkedHashMap<>();
    env.put(io.gitops.contract.EnvVar.ENVIRONMENT_NAME, config.name());
    env.put(io.gitops.contract.EnvVar.JAVA_TOOL_OPTIONS, DeploymentStack.JAVA_TOOL_OPTIONS);
    env.put(io.gitops.contract.EnvVar.FUNCTION_TIMEOUT_SECONDS,
        Integer.toString(io.gitops.stacks.compute.CanaryHookFunction.TIMEOUT.toSeconds().intValue()));
    // Keyed by the service's set name, not a reference to it: the service references the hook.
    String service = front.config().name();
    env.put(io.gitops.contract.EnvVar.TARGET_GROUP_ARNS, compute.toJsonString(
        Map.of(service, compute.targetGroup().getTargetGroupArn())));
    env.put(io.gitops.contract.EnvVar.HEALTH_PROBE_URLS, compute.toJsonString(
        Map.of(service, healthScheme + "://" + albDnsName + front.config().healthPath())));
    env.put(io.gitops.contract.EnvVar.CANARY_ANALYSIS, compute.toJsonString(
        DeploymentStack.canaryPlans(canaries.stream().map(c -> c.named(service)).toList(), albDnsName, healthScheme)));
    return env;
  }

  /** The public service's target groups: the primary, and the canary's alternate one (either can serve). */
  private List<software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup> publicTargetGroups() {
    List<software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup> groups = new ArrayList<>();
    groups.add(compute.targetGroup());
    compute.canary().ifPresent(c -> groups.add(c.alternateTargetGroup()));
    return groups;
  }

  /** The public service's canary, if its strategy shifts traffic: what the guard analyses as its hook. */
  private List<DeploymentStackProps.Canary> canaries(EnvironmentConfig config) {
    return compute.canary().map(c -> {
      var front = compute.services().get(config.publicService().name());
      int interval = (int) io.gitops.stacks.compute.CanaryTraffic.ANALYSIS_INTERVAL.toSeconds();
      io.gitops.stacks.config.DeploymentStrategy s = front.config().deployment();
      long step = s instanceof io.gitops.stacks.config.DeploymentStrategy.Canary k ? k.stepBake().toSeconds()
          : s instanceof io.gitops.stacks.config.DeploymentStrategy.Linear k ? k.stepBake().toSeconds() : interval;
      return List.of(new DeploymentStackProps.Canary(front.service().getServiceName(),
          compute.targetGroup().getFirstLoadBalancerFullName(),
          List.of(compute.targetGroup().getTargetGroupArn(), c.alternateTargetGroup().getTargetGroupArn()),
          front.config().healthPath(), c.testRouteSecret().getSecretArn(),
          s instanceof io.gitops.stacks.config.DeploymentStrategy.Canary k ? k.percent()
              : s instanceof io.gitops.stacks.config.DeploymentStrategy.Linear k ? k.stepPercent() : 100,
          interval, (int) Math.max(1, step / interval),
          (int) Math.max(1, s.bake().toSeconds() / interval)));
    }).orElse(List.of());
  }

  /** The environment's stacks, with the deployers' code from {@link LambdaArtifact#locate()}. */
  public static PlatformStacks create(Construct scope, EnvironmentConfig config) {
    return create(scope, config, LambdaArtifact.locate());
  }

  public static PlatformStacks create(Construct scope, EnvironmentConfig config, Path lambdaJar) {
    return new PlatformStacks(scope, config, lambdaJar);
  }

  public EnvironmentConfig config() {
    return config;
  }

  public NetworkStack network() {
    return network;
  }

  public SecurityStack security() {
    return security;
  }

  public StorageStack storage() {
    return storage;
  }

  public DatabaseStack database() {
    return database;
  }

  public ComputeStack compute() {
    return compute;
  }

  public MonitoringStack monitoring() {
    return monitoring;
  }

  public DeploymentStack deployment() {
    return deployment;
  }
}
