package io.gitops.stacks;

import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.database.DatabaseStack;
import io.gitops.stacks.network.NetworkStack;
import io.gitops.stacks.security.SecurityStack;
import io.gitops.stacks.storage.StorageStack;
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

  private PlatformStacks(Construct scope, EnvironmentConfig config) {
    this.config = config;
    network = new NetworkStack(scope, "Network", config);
    security = new SecurityStack(scope, "Security", config);
    storage = new StorageStack(scope, "Storage", config, security);
    database = new DatabaseStack(scope, "Database", config, network, security);
    // compute (ComputeStack: network, security, storage, database) and monitoring come next;
    // compute must addDependency(storage): it reads the release parameters by name.
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
}
