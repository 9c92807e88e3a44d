package io.gitops.contract;

/**
 * The deployer functions: the handler class the stack points Lambda at, and the name the function writes
 * in its logs and as its metrics' {@code Function} dimension (which the stack's alarms select on).
 */
public enum FunctionHandler {
  IMAGE_DEPLOYER("io.gitops.lambdas.deployer.ImageDeployerHandler", "image-deployer"),
  GUARD("io.gitops.lambdas.guard.GuardHandler", "guard"),
  /** The canary's lifecycle hook: the guard's analysis in a function of its own (compute stack). */
  CANARY_HOOK("io.gitops.lambdas.canary.CanaryHookHandler", "canary-hook"),
  REVISION_CLEANUP("io.gitops.lambdas.cleanup.RevisionCleanupHandler", "revision-cleanup");

  /** The method Lambda calls on the handler class. */
  public static final String METHOD = "handleRequest";

  private final String className;
  private final String functionName;

  FunctionHandler(String className, String functionName) {
    this.className = className;
    this.functionName = functionName;
  }

  public String className() {
    return className;
  }

  /** The {@code Function} dimension value and log field. */
  public String functionName() {
    return functionName;
  }

  /** Lambda's {@code Handler} property: {@code class::method}. */
  public String handler() {
    return className + "::" + METHOD;
  }
}
