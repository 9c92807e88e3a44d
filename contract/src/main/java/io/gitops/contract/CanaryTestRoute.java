package io.gitops.contract;

/**
 * The canary's test route: the test listener rule forwards a request to the new revision only when it carries this
 * header with the generated secret's value, which only the guard's smoke probe reads (from Secrets Manager). The
 * stack writes the condition, the guard sends the header, the sandbox's load balancer enforces it.
 */
public final class CanaryTestRoute {
  private CanaryTestRoute() {}

  /** Lower case: ALB matches header names case-insensitively, and HTTP/2 sends them in lower case. */
  public static final String HEADER = "x-gitops-canary-test";
  /**
   * The secret's length: letters and digits only (an ALB header condition treats {@code *} and {@code ?} as
   * wildcards and a value holds at most 128 characters).
   */
  public static final int SECRET_LENGTH = 48;
}
