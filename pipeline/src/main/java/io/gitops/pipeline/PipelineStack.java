package io.gitops.pipeline;

import io.gitops.stacks.config.EnvironmentConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.pipelines.AddStageOpts;
import software.amazon.awscdk.pipelines.CodeBuildStep;
import software.amazon.awscdk.pipelines.CodePipeline;
import software.amazon.awscdk.pipelines.CodePipelineSource;
import software.amazon.awscdk.pipelines.ConnectionSourceOptions;
import software.amazon.awscdk.pipelines.ManualApprovalStep;
import software.amazon.awscdk.pipelines.Step;
import software.amazon.awscdk.services.codebuild.BuildEnvironment;
import software.amazon.awscdk.services.codebuild.ComputeType;
import software.amazon.awscdk.services.codebuild.LinuxBuildImage;
import software.amazon.awscdk.services.codepipeline.PipelineType;
import software.constructs.Construct;

/**
 * The self-mutating delivery pipeline: source → synth → update pipeline → dev → test →
 * (manual approval) → prod. Each stage ends with a smoke test against its public health endpoint.
 */
public class PipelineStack extends Stack {

  private final CodePipeline pipeline;
  private final List<AppStage> stages = new ArrayList<>();

  public PipelineStack(Construct scope, String id, PipelineSettings settings) {
    super(scope, id, StackProps.builder()
        .env(Environment.builder()
            .account(settings.toolchain().account())
            .region(settings.toolchain().region())
            .build())
        .description("Self-mutating delivery pipeline: dev -> test -> approval -> prod")
        .build());

    CodePipelineSource source = CodePipelineSource.connection(settings.repository(), settings.branch(),
        ConnectionSourceOptions.builder()
            .connectionArn(settings.connectionArn())
            .triggerOnPush(true)
            .build());

    Buildspec synthSpec = Buildspec.load(settings.buildspecs(), "synth.yml");
    pipeline = CodePipeline.Builder.create(this, "Pipeline")
        .pipelineType(PipelineType.V2)
        .crossAccountKeys(true)
        .enableKeyRotation(true)
        .selfMutation(true)
        .dockerEnabledForSynth(false)
        .synth(CodeBuildStep.Builder.create("Synth")
            .input(source)
            .buildEnvironment(buildEnvironment(ComputeType.MEDIUM))
            .partialBuildSpec(synthSpec.partialBuildSpec())
            .commands(synthSpec.commands())
            .primaryOutputDirectory("cdk.out")
            .build())
        .build();

    Buildspec smokeSpec = Buildspec.load(settings.buildspecs(), "smoke-test.yml");
    for (EnvironmentConfig config : settings.environments()) {
      AppStage stage = new AppStage(this, config);
      stages.add(stage);
      List<Step> pre = new ArrayList<>();
      if (config.isProduction()) {
        pre.add(ManualApprovalStep.Builder.create("ApproveProd")
            .comment("Promote the digests that passed test to prod?")
            .build());
      }
      pipeline.addStage(stage, AddStageOpts.builder()
          .pre(pre)
          .post(List.of(smokeTest(stage, smokeSpec)))
          .build());
    }
  }

  private static Step smokeTest(AppStage stage, Buildspec spec) {
    EnvironmentConfig config = stage.config();
    return CodeBuildStep.Builder.create("SmokeTest-" + config.name())
        .buildEnvironment(buildEnvironment(ComputeType.SMALL))
        .partialBuildSpec(spec.partialBuildSpec())
        .commands(spec.commands())
        .envFromCfnOutputs(Map.of("ALB_DNS_NAME", stage.stacks().compute().albDnsNameOutput()))
        .env(Map.of(
            "HEALTH_PATH", config.publicService().healthPath(),
            "HEALTH_SCHEME", config.certificateArn().isPresent() ? "https" : "http"))
        .build();
  }

  private static BuildEnvironment buildEnvironment(ComputeType size) {
    return BuildEnvironment.builder()
        .buildImage(LinuxBuildImage.STANDARD_7_0)
        .computeType(size)
        .build();
  }

  public CodePipeline pipeline() {
    return pipeline;
  }

  /** The environment stages in promotion order. */
  public List<AppStage> stages() {
    return List.copyOf(stages);
  }
}
