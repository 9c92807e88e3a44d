package io.gitops.stacks;

import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.network.NetworkStack;
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
  private final StorageStack storage;

  private PlatformStacks(Construct scope, EnvironmentConfig config) {
    this.config = config;
    network = new NetworkStack(scope, "Network", config);
    storage = new StorageStack(scope, "Storage", config);
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

  public StorageStack storage() {
    return storage;
  }
}
