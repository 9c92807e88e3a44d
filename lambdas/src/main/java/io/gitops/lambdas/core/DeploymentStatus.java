package io.gitops.lambdas.core;

/** The life of a deployment in the ledger. See docs/ledger.md for the allowed transitions. */
public enum DeploymentStatus {
  /** Claimed by the image deployer, or released and not yet judged by the guard. */
  ROLLING_OUT,
  /** The guard's post-deploy checks passed; a rollback target. */
  HEALTHY,
  /** A permanent failure (deployer), or a failed rollout with no healthy target (guard). Never a target. */
  FAILED,
  /** The guard rolled the service back from this deployment. Never a target. */
  ROLLED_BACK,
  /** A newer push replaced this deployment before it was judged. */
  SUPERSEDED,
  /**
   * Pushed while its service or environment was frozen ({@code bin/gitops release freeze}): recorded, never
   * rolled out. A later push of the same digest (after unfreeze) or {@code release rollback --to} rolls it out.
   */
  FROZEN
}
