package io.gitops.pipeline;

import io.gitops.pipeline.SynthesizedApp;
import io.gitops.sandbox.aws.CloudAssembly;
import java.nio.file.Path;

/**
 * The real dev stage, synthesized in-process from the app (once per JVM, shared with the pipeline's tests):
 * the sandbox's tests provision and route on the templates that would deploy, never on a stand-in.
 */
final class RealStage {
  private RealStage() {}

  /** The app's cloud assembly directory (cdk.out-like), holding assembly-GitOpsPipeline-dev. */
  static Path cdkOut() {
    return SynthesizedApp.get().outdir;
  }

  static CloudAssembly assembly() {
    return CloudAssembly.load(cdkOut(), "dev");
  }
}
