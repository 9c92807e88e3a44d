package io.gitops.stacks;

import io.gitops.stacks.compute.ComputeStack;
import io.gitops.stacks.compute.ComputeStackProps;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.database.DatabaseStack;
import io.gitops.stacks.monitoring.MonitoringStack;
import io.gitops.stacks.monitoring.MonitoringStackProps;
import io.gitops.stacks.network.NetworkStack;
import io.gitops.stacks.security.SecurityStack;
import io.gitops.stacks.storage.StorageStack;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.ecs.IBaseService;
import software.constructs.Construct;

/**
 * One environment's chain of stacks, wired through typed references:
 * network → security → storage → database → compute → monitoring. A pipeline stage and the tests
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

  private PlatformStacks(Construct scope, EnvironmentConfig config) {
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
        database.searchDomain(), database.searchSecurityGroup(), database::grantSearchAccess));
    // The release parameters are read by name (a CloudFormation parameter), which creates no
    // reference: the order has to be stated.
    compute.addStackDependency(storage);
    Map<String, IBaseService> services = new LinkedHashMap<>();
    compute.services().forEach((name, svc) -> services.put(name, svc.service()));
    monitoring = new MonitoringStack(scope, "Monitoring", config, new MonitoringStackProps(
        compute.cluster(), services, compute.targetGroup(), network.alb(), database.cluster()));
  }

  public static PlatformStacks create(Construct scope, EnvironmentConfig config) {
    return new PlatformStacks(scope, config);
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
}
