package io.gitops.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gitops.testing.TempFolders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

/**
 * The whole app (pipeline and every stage), synthesized once per JVM with cdk.json's context and
 * shared by every test class: a synth costs seconds, and the templates do not change between tests.
 *
 * <p>{@link #get()} is the only thread-safe entry: jsii's Java runtime is not, so a test class that runs
 * concurrently with others (junit-platform.properties) reads the synthesized files and touches CDK only
 * through {@code get()}.
 */
public final class SynthesizedApp {

  public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static SynthesizedApp instance;

  final App app;
  final PipelineStack pipeline;
  public final Path outdir;
  /** cdk-nag's verdict: null when every finding is fixed or acknowledged. */
  final RuntimeException validationFailure;

  private SynthesizedApp(Path outdir) {
    this.outdir = outdir;
    app = new App(AppProps.builder().context(cdkJsonContext()).outdir(outdir.toString()).build());
    pipeline = GitOpsApp.build(app, ROOT.resolve("buildspecs"));
    RuntimeException failure = null;
    try {
      app.synth();
    } catch (RuntimeException e) {
      // The templates are written before validation runs; keep them so every other test still
      // reports on them, and let the cdk-nag test report this failure.
      if (!String.valueOf(e.getMessage()).contains("ValidationFailed")) {
        throw e;
      }
      failure = e;
    }
    validationFailure = failure;
  }

  public static synchronized SynthesizedApp get() {
    if (instance == null) {
      instance = synthesize();
    }
    return instance;
  }

  /** A fresh, independent synthesis (for determinism checks). */
  static SynthesizedApp synthesize() {
    try {
      Path outdir = Files.createTempDirectory("gitops-synth");
      // Each synthesis holds a copy of the functions' 20 MB jar: gone with the JVM, not left in /tmp.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> TempFolders.delete(outdir), "gitops-synth-cleanup"));
      return new SynthesizedApp(outdir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Template pipelineTemplate() {
    return template(pipeline);
  }

  AppStage stage(String name) {
    return pipeline.stages().stream()
        .filter(s -> s.config().name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  List<Stack> stacks(String stageName) {
    return stage(stageName).getNode().getChildren().stream()
        .filter(Stack.class::isInstance)
        .map(Stack.class::cast)
        .toList();
  }

  /** The template as written to the cloud assembly (no second synthesis). */
  @SuppressWarnings("unchecked")
  static Template template(Stack stack) {
    Path dir = Path.of(software.amazon.awscdk.Stage.of(stack).getOutdir());
    try {
      return Template.fromJSON(new ObjectMapper().readValue(dir.resolve(stack.getTemplateFile()).toFile(), Map.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every template file of the assembly, the pipeline's and each stage's. */
  List<Path> templateFiles() {
    try (var files = Files.walk(outdir)) {
      return files.filter(f -> f.toString().endsWith(".template.json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> cdkJsonContext() {
    try {
      Map<String, Object> cdkJson = new ObjectMapper().readValue(ROOT.resolve("cdk.json").toFile(), Map.class);
      return (Map<String, Object>) cdkJson.get("context");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
