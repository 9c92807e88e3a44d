package io.gitops.stacks.config;

/**
 * What a service may reach besides its own logs and settings. Each value maps to one exact set of
 * IAM statements, security group rules and injected secrets in the compute stack, so a service's
 * permissions are data in its config entry rather than code keyed on its name.
 */
public enum Access {
  /** The application secret (Secrets Manager), injected as APP_SECRET. */
  APPLICATION_SECRET,
  /** Aurora PostgreSQL on 5432: IAM `rds-db:connect` and the generated credentials as secrets. */
  DATABASE,
  /** The OpenSearch domain's HTTPS API on 443. */
  SEARCH,
  /** Object read and write in the documents bucket. */
  DOCUMENTS,
  /** `bedrock:InvokeModel*` on the environment's configured foundation models. */
  BEDROCK
}
