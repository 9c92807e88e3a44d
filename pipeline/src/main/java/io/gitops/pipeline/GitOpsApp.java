package io.gitops.pipeline;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import java.nio.file.Path;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Validations;

/**
 * The CDK app: the pipeline stack, which holds every environment stage. This is the only place that
 * reads context or the process environment.
 */
public final class GitOpsApp {

  private GitOpsApp() {}

  public static void main(String[] args) {
    App app = new App();
    build(app, Path.of(System.getProperty("gitops.buildspecs", "buildspecs")));
    app.synth();
  }

  /** Builds the app into {@code app}; tests call this with their own {@link App}. */
  public static PipelineStack build(App app, Path buildspecs) {
    PipelineSettings settings = PipelineSettings.fromContext(app.getNode()::tryGetContext, buildspecs);
    PipelineStack pipeline = new PipelineStack(app, "GitOpsPipeline", settings);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return pipeline;
  }
}
