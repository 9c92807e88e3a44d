package io.gitops.stacks;

/** {@link TestEnvironments} for tests in other packages. */
public final class TestEnvironmentsAccess {

  private TestEnvironmentsAccess() {}

  public static PlatformStacks prod() {
    return TestEnvironments.prod();
  }
}
