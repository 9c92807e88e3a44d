package io.gitops.lambdas.core;

/**
 * How far the image deployer's rollout of one deployment got. Status says what the deployment is;
 * phase says which idempotent steps are done, so that a retried event resumes instead of repeating.
 */
public enum Phase {
  /** The ledger claim is written; nothing changed in ECS yet. */
  CLAIMED,
  /**
   * Written only by an earlier version of the protocol (the registered revision recorded separately); a
   * rollout resumed in this phase uses the recorded revision. Registration is now found by the revision's
   * digest tag instead (docs/ledger.md).
   */
  REGISTERED,
  /** UpdateService and the release parameter are done; the head points at this deployment. */
  RELEASED
}
