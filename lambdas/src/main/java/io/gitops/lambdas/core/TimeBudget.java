package io.gitops.lambdas.core;

import java.time.Duration;

/**
 * The worst-case duration of one event, from the configuration: every AWS call of the longest path taking its
 * whole {@code apiCallTimeout} (which bounds a call's attempts and backoff together), plus the guard's extra
 * attempts of the ledger write after a notification and the HTTP probe. It must fit inside the function
 * timeout with {@link #MARGIN} to spare (docs/lambda-config.md, "Time budget"); the stack's test checks it
 * against the synthesized functions, and the model-based test checks that no event makes more calls than
 * counted here.
 */
public final class TimeBudget {
  /**
   * The image deployer's longest path: claim, its two classifying reads and the take-over (4);
   * DescribeServices, DescribeTaskDefinition (2); on a resume, one ListTaskDefinitions page and up to 3
   * DescribeTaskDefinition of newer revisions (4); RegisterTaskDefinition, UpdateService, PutParameter (3); the
   * completion: up to 3 transactions and a head read when the service had moved on (4); or, on a late
   * permanent failure instead, UpdateService and PutParameter to compensate, Publish and the failure
   * transaction (4).
   */
  public static final int DEPLOYER_MAX_CALLS = 17;
  /**
   * The guard's longest path (a rollback to an INACTIVE target): the head and deployment reads (2), the task
   * state write and its re-read (2), the failure count and a re-read (2), the rollback lease (1), the HEALTHY
   * deployment's read and up to 2 reads walking back over earlier revisions (3), DescribeTaskDefinition, ListTaskDefinitions, up to 3
   * DescribeTaskDefinition, RegisterTaskDefinition (6), UpdateService, PutParameter, Publish (3), and the
   * final transaction (1; its extra attempts are {@link #GUARD_AFTER_PUBLISH_EXTRA}).
   */
  public static final int GUARD_MAX_CALLS = 20;
  /** The final ledger write after a notification is tried this many more times (DeploymentGuard). */
  public static final int GUARD_AFTER_PUBLISH_EXTRA = 1;
  /** The sleep before that attempt: 50 ms. */
  public static final Duration GUARD_AFTER_PUBLISH_SLEEPS = Duration.ofMillis(50);
  /** Share of the function timeout the worst case may use. */
  public static final double MARGIN = 0.8;

  private TimeBudget() {}

  public static Duration deployerWorstCase(LambdaConfig.SdkSettings sdk) {
    return sdk.apiCallTimeout().multipliedBy(DEPLOYER_MAX_CALLS);
  }

  /** @param probeTimeout the guard's HTTP probe timeout (connect and read, so counted twice) */
  public static Duration guardWorstCase(LambdaConfig.SdkSettings sdk, Duration probeTimeout) {
    return sdk.apiCallTimeout().multipliedBy(GUARD_MAX_CALLS + GUARD_AFTER_PUBLISH_EXTRA)
        .plus(GUARD_AFTER_PUBLISH_SLEEPS).plus(probeTimeout.multipliedBy(2));
  }

  /** True if {@code worstCase} fits inside {@code functionTimeout} with the margin. */
  public static boolean fits(Duration worstCase, Duration functionTimeout) {
    return worstCase.toMillis() <= functionTimeout.toMillis() * MARGIN;
  }
}
