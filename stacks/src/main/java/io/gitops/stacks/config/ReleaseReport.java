package io.gitops.stacks.config;

/**
 * Names shared by the pipeline's release report step (toolchain account) and the read role each
 * environment grants it (docs/release-report.md). Fixed names, computed here on both sides, for the same
 * reason as {@link Promotion}'s: the two live in different accounts and cloud assemblies.
 */
public final class ReleaseReport {

  /** The report step's role in the toolchain account, the only principal the environments' read roles trust. */
  public static final String STEP_ROLE_NAME = EnvironmentConfig.PROJECT + "-release-report";

  private ReleaseReport() {}

  /** The read-only role an environment grants the report step (in the environment's account). */
  public static String environmentRoleName(String environment) {
    return EnvironmentConfig.PROJECT + "-" + environment + "-release-report";
  }
}
