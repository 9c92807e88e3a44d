package io.gitops.lambdas.core;

/**
 * How far the image deployer's rollout of one deployment got. Status says what the deployment is;
 * phase says which idempotent steps are done, so that a retried event resumes instead of repeating.
 */
public enum Phase {
  /** The ledger claim is written; nothing changed in ECS yet. */
  CLAIMED,
  /** UpdateService and the release parameter are done; the head points at this deployment. */
  RELEASED
}
