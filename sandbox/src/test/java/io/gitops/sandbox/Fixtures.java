package io.gitops.sandbox;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The CDK-synthesized test assemblies (see src/test/fixture-generator). */
final class Fixtures {
  private Fixtures() {}

  /** A cdk.out-like directory holding assembly-GitOpsPipeline-dev. */
  static Path cdkOut(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static CloudAssembly assembly() {
    return CloudAssembly.load(cdkOut("fixture-assembly"), "dev");
  }

  /** The patterns the deployer and guard keep for routing tests (the fallback rules). */
  static Path patterns() {
    return Path.of("../lambdas/src/test/resources/patterns");
  }
}
