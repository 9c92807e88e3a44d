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
    PipelineStack pipeline = build(app, Path.of(System.getProperty("gitops.buildspecs", "buildspecs")));
    // Printed here, once per synth: a stack annotation is repeated by the CLI for every stack it lists.
    httpOnlyWarnings(pipeline.stages().stream().map(AppStage::config).toList()).forEach(System.err::println);
    app.synth();
  }

  /** One line per environment that serves plain HTTP (never prod: its config refuses that). */
  static java.util.List<String> httpOnlyWarnings(java.util.List<io.gitops.stacks.config.EnvironmentConfig> environments) {
    return environments.stream()
        .filter(env -> env.certificateArn().isEmpty())
        .map(env -> "gitops: warning: environment '" + env.name() + "' has no certificate (context gitops:"
            + env.name() + "CertificateArn): its ALB serves plain HTTP only. Set a certificate for "
            + env.domainName() + " before real traffic reaches it.")
        .toList();
  }

  /** Builds the app into {@code app}; tests call this with their own {@link App}. */
  public static PipelineStack build(App app, Path buildspecs) {
    PipelineSettings settings = PipelineSettings.fromContext(app.getNode()::tryGetContext, buildspecs);
    PipelineStack pipeline = new PipelineStack(app, "GitOpsPipeline", settings);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return pipeline;
  }
}
