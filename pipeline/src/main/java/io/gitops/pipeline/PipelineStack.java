package io.gitops.pipeline;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.EnvironmentRef;
import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.config.Promotion;
import io.gitops.stacks.config.ReleaseReport;
import io.gitops.stacks.config.ServiceConfig;
import io.gitops.stacks.storage.StorageStack;
import io.gitops.stacks.nag.Nag;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.pipelines.AddStageOpts;
import software.amazon.awscdk.pipelines.CodeBuildStep;
import software.amazon.awscdk.pipelines.CodePipeline;
import software.amazon.awscdk.pipelines.CodePipelineSource;
import software.amazon.awscdk.pipelines.ConnectionSourceOptions;
import software.amazon.awscdk.pipelines.ManualApprovalStep;
import software.amazon.awscdk.pipelines.StackSteps;
import software.amazon.awscdk.pipelines.Step;
import io.gitops.stacks.security.KeyPolicies;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.pipelines.CodeBuildOptions;
import software.amazon.awscdk.services.codebuild.BuildEnvironment;
import software.amazon.awscdk.services.codebuild.CloudWatchLoggingOptions;
import software.amazon.awscdk.services.codebuild.LoggingOptions;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.CfnBucket;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectLockRetention;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.codebuild.ComputeType;
import software.amazon.awscdk.services.codebuild.LinuxBuildImage;
import software.amazon.awscdk.services.codepipeline.PipelineType;
import software.amazon.awscdk.services.iam.PolicyDocument;
import software.amazon.awscdk.services.iam.Policy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.constructs.Construct;

/**
 * The self-mutating delivery pipeline: source → synth → update pipeline → dev → test →
 * (manual approval) → prod. Each stage ends with a smoke test against its public health endpoint.
 * In test, and in prod after the approval, a promotion step copies the previous environment's release
 * parameters (image digests) into the next one, between the stage's storage and compute stacks.
 */
public class PipelineStack extends Stack {

  private final CodePipeline pipeline;
  private final List<AppStage> stages = new ArrayList<>();
  private final Map<String, CodeBuildStep> promotionSteps = new LinkedHashMap<>();
  private final Map<String, Role> promotionRoles = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> promotionEnvironments = new LinkedHashMap<>();
  private final LogGroup buildLogs;
  private final Bucket reportBucket;
  private Key buildLogsKey;
  private final List<Role> extraStepRoles = new ArrayList<>();
  private CodeBuildStep reportStep;
  private Role confirmRole;

  /** The prod approval's action name. */
  public static final String APPROVAL = "ApproveProd";
  static final String REPORTS_PREFIX = "release-reports/";
  private static final String EXECUTION_ID = "#{codepipeline.PipelineExecutionId}";

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
    buildLogs = buildLogs();
    CodeBuildStep synth = CodeBuildStep.Builder.create("Synth")
        .input(source)
        .buildEnvironment(buildEnvironment(ComputeType.MEDIUM))
        .partialBuildSpec(synthSpec.partialBuildSpec())
        .commands(synthSpec.commands())
        .primaryOutputDirectory("cdk.out")
        .build();
    reportBucket = createReportBucket();
    pipeline = CodePipeline.Builder.create(this, "Pipeline")
        .pipelineType(PipelineType.V2)
        // Every CodeBuild project of the pipeline (synth, self-mutation, asset publishing, smoke
        // tests, promotions) logs to one encrypted log group (CT.CODEBUILD.PR.3).
        .codeBuildDefaults(CodeBuildOptions.builder()
            .logging(LoggingOptions.builder()
                .cloudWatch(CloudWatchLoggingOptions.builder().logGroup(buildLogs).build())
                .build())
            .build())
        .crossAccountKeys(true)
        .enableKeyRotation(true)
        .selfMutation(true)
        .dockerEnabledForSynth(false)
        .synth(synth)
        .build();

    Buildspec smokeSpec = Buildspec.load(settings.buildspecs(), "smoke-test.yml");
    Buildspec promoteSpec = Buildspec.load(settings.buildspecs(), "promote.yml");
    for (EnvironmentConfig config : settings.environments()) {
      AppStage stage = new AppStage(this, config);
      stages.add(stage);
      List<Step> pre = new ArrayList<>();
      ManualApprovalStep approval = null;
      CodeBuildStep gate = null;
      if (config.isProduction() && config.promotion().from().isPresent()) {
        EnvironmentConfig from = settings.environment(config.promotion().from().get());
        reportStep = reportStep(from, config, source, synth, Buildspec.load(settings.buildspecs(), "release-report.yml"));
        // The approval's comment references the report's variables, so CDK Pipelines orders it after the report.
        approval = ManualApprovalStep.Builder.create(APPROVAL)
            .comment("Promote to prod? Report: " + reportStep.exportedVariable("REPORT_SUMMARY")
                + " (full report: review link). A BROADENS-/NO-REPORT token above must be in your approval comment.")
            .reviewUrl(reportUrl(config))
            .build();
        gate = confirmStep(config, source, reportStep, Buildspec.load(settings.buildspecs(), "confirm-broadening.yml"));
        gate.addStepDependency(approval);
        pre.add(reportStep);
        pre.add(approval);
        pre.add(gate);
      } else if (config.isProduction()) {
        approval = ManualApprovalStep.Builder.create(APPROVAL)
            .comment("Promote the digests that passed test to prod?")
            .build();
        pre.add(approval);
      }
      List<StackSteps> stackSteps = new ArrayList<>();
      if (config.promotion().from().isPresent()) {
        EnvironmentConfig from = settings.environment(config.promotion().from().get());
        CodeBuildStep promote = promotionStep(from, config, source, promoteSpec);
        if (approval != null) {
          // Never before the approval, nor before the check that it named any permission broadening.
          promote.addStepDependency(gate != null ? gate : approval);
        }
        // After the target's storage stack, which creates the promotion role the step assumes (so it exists on
        // the very first run, when the stage has never been deployed), and before the compute stack, which
        // reads the release parameters when its change set is made: CDK Pipelines orders a stack's post steps
        // before every stack that depends on it.
        stackSteps.add(StackSteps.builder().stack(stage.stacks().storage()).post(List.of(promote)).build());
        // Once the compute stack applied the promoted values, their records are CONFIRMED; a promotion still
        // PENDING at the next run (the stack failed and rolled back) is restored first (buildspecs/promote.sh).
        stackSteps.add(StackSteps.builder().stack(stage.stacks().compute())
            .post(List.of(confirmPromotionStep(config, source, promoteSpec))).build());
        promotionSteps.put(config.name(), promote);
      }
      pipeline.addStage(stage, AddStageOpts.builder()
          .pre(pre)
          .stackSteps(stackSteps)
          .post(List.of(smokeTest(stage, smokeSpec)))
          .build());
    }

    // cfn-lint's E3703 asks for Fn::Sub instead of Fn::Join in the deploy actions' RoleArn. CDK
    // Pipelines writes those joins, the template is valid CloudFormation, and the rule is about
    // style; it is switched off for this template only, not in the shared .cfnlintrc.yaml. A
    // template's own list replaces the shared one, so W3005 (see .cfnlintrc.yaml) is repeated.
    addMetadata("cfn-lint", Map.of("config", Map.of("ignore_checks", List.of("E3703", "W3005"))));

    // Build now rather than at synth, so the generated roles exist to be reviewed below.
    pipeline.buildPipeline();
    GeneratedPolicyAcknowledgements.apply(pipeline);
    // The promotion steps run as roles of this stack (not below the pipeline construct), to which
    // CDK Pipelines adds the same generated CodeBuild grants as to its own step roles.
    promotionRoles.values().forEach(GeneratedPolicyAcknowledgements::apply);
    extraStepRoles.forEach(GeneratedPolicyAcknowledgements::apply);
    if (confirmRole != null) {
      // A policy of its own, not the role's default policy: the step's CodeBuild project waits for that one,
      // and the pipeline waits for the project, so naming the pipeline there would be a cycle.
      Policy.Builder.create(this, "ConfirmBroadeningReadApproval")
          .roles(List.of(confirmRole))
          .statements(List.of(PolicyStatement.Builder.create()
              .actions(List.of("codepipeline:ListActionExecutions"))
              .resources(List.of(pipeline.getPipeline().getPipelineArn()))
              .build()))
          .build();
    }
    hardenArtifactBucket();
    software.amazon.awscdk.Aspects.of(this).add(new io.gitops.stacks.storage.BucketEvents());
  }

  /**
   * The log group of every CodeBuild project, encrypted with a key of its own (the pipeline's
   * artifact key does not exist yet when the projects' defaults are given).
   */
  private LogGroup buildLogs() {
    Key key = Key.Builder.create(this, "BuildLogsKey")
        .description("Pipeline CodeBuild logs")
        .enableKeyRotation(true)
        .build();
    KeyPolicies.restrictGrants(key);
    KeyPolicies.allowCloudWatchLogs(key, getAccount(), getRegion());
    buildLogsKey = key;
    return LogGroup.Builder.create(this, "BuildLogs")
        .encryptionKey(key)
        .retention(RetentionDays.ONE_YEAR)
        .build();
  }

  /**
   * CDK Pipelines creates the artifact bucket and its key; this adds what AWS Control Tower asks of
   * every bucket and key, through the L1: versioning, a lifecycle (artifacts are transient),
   * server access logs to a bucket of their own, and the grant restriction on the key.
   */
  private void hardenArtifactBucket() {
    IBucket artifacts = pipeline.getPipeline().getArtifactBucket();
    KeyPolicies.restrictGrants(artifacts.getEncryptionKey());
    Bucket accessLogs = Bucket.Builder.create(this, "ArtifactsAccessLogs")
        // S3 server access logging delivers only to SSE-S3 buckets.
        .encryption(BucketEncryption.S3_MANAGED)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .versioned(true)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
        .lifecycleRules(List.of(expiring("expire-logs", 365, 7)))
        .removalPolicy(RemovalPolicy.RETAIN)
        .build();
    Nag.acknowledge(accessLogs, "AwsSolutions-S1",
        "This bucket is the destination of the artifact bucket's server access logs; logging it would log its own deliveries");
    allowAccessLogs(accessLogs, "S3ServerAccessLogs", artifacts.getBucketArn(), "artifacts/");
    CfnBucket bucket = (CfnBucket) artifacts.getNode().getDefaultChild();
    bucket.setVersioningConfiguration(CfnBucket.VersioningConfigurationProperty.builder().status("Enabled").build());
    bucket.setLifecycleConfiguration(CfnBucket.LifecycleConfigurationProperty.builder()
        .rules(List.of(CfnBucket.RuleProperty.builder()
            .id("expire-artifacts")
            .status("Enabled")
            // An execution reads its artifacts within hours; a month keeps them for inspection.
            .expirationInDays(30)
            .noncurrentVersionExpiration(CfnBucket.NoncurrentVersionExpirationProperty.builder().noncurrentDays(7).build())
            .abortIncompleteMultipartUpload(CfnBucket.AbortIncompleteMultipartUploadProperty.builder().daysAfterInitiation(1).build())
            .build()))
        .build());
    bucket.setLoggingConfiguration(CfnBucket.LoggingConfigurationProperty.builder()
        .destinationBucketName(accessLogs.getBucketName())
        .logFilePrefix("artifacts/")
        .build());
    // The release reports' bucket logs to the same destination, under its own prefix.
    allowAccessLogs(accessLogs, "S3ServerAccessLogsOfReleaseReports", reportBucket.getBucketArn(), REPORTS_PREFIX);
    ((CfnBucket) reportBucket.getNode().getDefaultChild()).setLoggingConfiguration(
        CfnBucket.LoggingConfigurationProperty.builder()
            .destinationBucketName(accessLogs.getBucketName())
            .logFilePrefix(REPORTS_PREFIX)
            .build());
  }

  /** S3 server access logging may write {@code source}'s logs under {@code prefix} of {@code logs}, nothing else. */
  private void allowAccessLogs(Bucket logs, String sid, String source, String prefix) {
    logs.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid(sid)
        .principals(List.of(new ServicePrincipal("logging.s3.amazonaws.com")))
        .actions(List.of("s3:PutObject"))
        .resources(List.of(logs.arnForObjects(prefix + "*")))
        .conditions(Map.of(
            "ArnLike", Map.of("aws:SourceArn", source),
            "StringEquals", Map.of("aws:SourceAccount", getAccount())))
        .build());
  }

  /** Objects expire after {@code days}, replaced versions after {@code noncurrentDays}, stalled uploads after one. */
  private static LifecycleRule expiring(String id, int days, int noncurrentDays) {
    return LifecycleRule.builder()
        .id(id)
        .expiration(software.amazon.awscdk.Duration.days(days))
        .noncurrentVersionExpiration(software.amazon.awscdk.Duration.days(noncurrentDays))
        .abortIncompleteMultipartUploadAfter(software.amazon.awscdk.Duration.days(1))
        .build();
  }

  /**
   * Where the release reports are kept: the approval's review link opens one. They are the record of what an
   * approver was shown, so they stay a year, versioned and locked (governance mode); the build log key encrypts
   * them (no key of their own).
   */
  private Bucket createReportBucket() {
    Bucket bucket = Bucket.Builder.create(this, "ReleaseReports")
        .encryption(BucketEncryption.KMS)
        .encryptionKey(buildLogsKey)
        .bucketKeyEnabled(true)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .versioned(true)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
        .lifecycleRules(List.of(expiring("expire-reports", 365, 30)))
        // Evidence of what an approver was shown: nobody rewrites or deletes a report for a year (CT.S3.PR.9).
        .objectLockEnabled(true)
        .objectLockDefaultRetention(ObjectLockRetention.governance(software.amazon.awscdk.Duration.days(365)))
        .removalPolicy(RemovalPolicy.RETAIN)
        .build();
    return bucket;
  }

  /** The console link to this execution's report (the approval's review URL). */
  private String reportUrl(EnvironmentConfig to) {
    return "https://console.aws.amazon.com/s3/object/" + reportBucket.getBucketName() + "?region=" + getRegion()
        + "&prefix=" + REPORTS_PREFIX + to.name() + "/" + EXECUTION_ID + ".md";
  }

  /**
   * The release report before {@code to}'s approval (buildspecs/release-report.yml): reads {@code from},
   * {@code to} and the registry through their read roles ({@link ReleaseReport}), diffs {@code to}'s
   * synthesized templates (the synth step's cloud assembly) against the deployed ones, stores the report
   * and exports its one-line summary and the broadening token.
   */
  private CodeBuildStep reportStep(EnvironmentConfig from, EnvironmentConfig to, CodePipelineSource source,
      CodeBuildStep synth, Buildspec spec) {
    EnvironmentRef registry = to.promotion().imageRegistry().orElse(EnvironmentRef.of(to));
    Map<String, String> readRoles = new LinkedHashMap<>();
    readRoles.put(registry.name(), Promotion.roleArn(Aws.PARTITION, registry.target().account(),
        ReleaseReport.environmentRoleName(registry.name())));
    readRoles.put(from.name(), Promotion.roleArn(Aws.PARTITION, from.target().account(),
        ReleaseReport.environmentRoleName(from.name())));
    readRoles.put(to.name(), Promotion.roleArn(Aws.PARTITION, to.target().account(),
        ReleaseReport.environmentRoleName(to.name())));
    Role role = Role.Builder.create(this, "ReleaseReportRole")
        // Fixed name: the environments' read roles trust this role by ARN.
        .roleName(ReleaseReport.STEP_ROLE_NAME)
        .description("Pipeline step writing the release report before " + to.name() + "'s approval")
        .assumedBy(new ServicePrincipal("codebuild.amazonaws.com"))
        .inlinePolicies(Map.of("ReadEnvironments", PolicyDocument.Builder.create()
            .statements(List.of(PolicyStatement.Builder.create()
                .actions(List.of("sts:AssumeRole"))
                .resources(List.copyOf(new java.util.LinkedHashSet<>(readRoles.values())))
                .build()))
            .build()))
        .build();
    role.addToPolicy(PolicyStatement.Builder.create()
        .actions(List.of("s3:PutObject"))
        .resources(List.of(reportBucket.arnForObjects(REPORTS_PREFIX + to.name() + "/*")))
        .build());
    Nag.acknowledgeWildcardResource(role.getNode().findChild("DefaultPolicy"),
        reportBucket.arnForObjects(REPORTS_PREFIX + to.name() + "/*"),
        "Report objects of this environment in the reports bucket: one key per pipeline execution");
    buildLogsKey.grant(role, "kms:GenerateDataKey");
    extraStepRoles.add(role);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("FROM_ENV", from.name());
    env.put("TO_ENV", to.name());
    env.put("REGISTRY_ENV", registry.name());
    env.put("READ_ROLES", String.join(" ", readRoles.entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue()).distinct().toList()));
    env.put("REPORT_BUCKET", reportBucket.getBucketName());
    // A CodePipeline variable: CDK Pipelines passes it through the action, which resolves it per execution.
    env.put("PIPELINE_EXECUTION_ID", EXECUTION_ID);
    return CodeBuildStep.Builder.create("Report-" + to.name())
        .input(source)
        .additionalInputs(Map.of("cdk.out", synth))
        .role(role)
        .buildEnvironment(buildEnvironment(ComputeType.SMALL))
        .partialBuildSpec(spec.partialBuildSpec())
        .commands(spec.commands())
        .env(env)
        .build();
  }

  /**
   * After the approval: stops the release when the report found a broadening the approval's comment does not
   * name (buildspecs/confirm-broadening.yml). It may read this pipeline's action executions, nothing else.
   */
  private CodeBuildStep confirmStep(EnvironmentConfig to, CodePipelineSource source, CodeBuildStep report,
      Buildspec spec) {
    Role role = Role.Builder.create(this, "ConfirmBroadeningRole")
        .description("Pipeline step checking that " + to.name() + "'s approval named any permission broadening")
        .assumedBy(new ServicePrincipal("codebuild.amazonaws.com"))
        .build();
    extraStepRoles.add(role);
    confirmRole = role; // may read this pipeline's action executions: granted once the pipeline exists
    return CodeBuildStep.Builder.create("ConfirmBroadening-" + to.name())
        .input(source)
        .role(role)
        .buildEnvironment(buildEnvironment(ComputeType.SMALL))
        .partialBuildSpec(spec.partialBuildSpec())
        .commands(spec.commands())
        .env(Sorted.map(Map.of(
            "BROADENING", report.exportedVariable("BROADENING"),
            "PIPELINE_EXECUTION_ID", EXECUTION_ID,
            "APPROVAL_STAGE", to.name(),
            "APPROVAL_ACTION", APPROVAL)))
        .build();
  }

  /**
   * The step that copies {@code from}'s release parameters into {@code to} (buildspecs/promote.yml).
   * It runs as a role of its own with a fixed name, which the two environments' promotion roles
   * trust by ARN (see {@link Promotion}); that role may assume those two roles and nothing else.
   */
  private CodeBuildStep promotionStep(EnvironmentConfig from, EnvironmentConfig to,
      CodePipelineSource source, Buildspec spec) {
    String sourceRole = Promotion.roleArn(Aws.PARTITION, from.target().account(),
        Promotion.environmentRoleName(from.name()));
    String targetRole = Promotion.roleArn(Aws.PARTITION, to.target().account(),
        Promotion.environmentRoleName(to.name()));
    // Where the promoted digests live (dev's repositories): the step checks there, before writing
    // anything, that the digest exists and that the repository policy admits the target's account.
    EnvironmentRef registry = to.promotion().imageRegistry().orElse(EnvironmentRef.of(to));
    String registryRole = Promotion.roleArn(Aws.PARTITION, registry.target().account(),
        Promotion.environmentRoleName(registry.name()));
    List<String> assumable = new ArrayList<>(List.of(sourceRole, targetRole));
    if (!assumable.contains(registryRole)) {
      assumable.add(registryRole);
    }
    Role role = Role.Builder.create(this, "PromoteTo" + capitalize(to.name()) + "Role")
        // Fixed name: the environments trust this role by ARN, from other accounts and assemblies.
        .roleName(Promotion.stepRoleName(to.name()))
        .description("Pipeline step promoting releases " + from.name() + " -> " + to.name())
        .assumedBy(new ServicePrincipal("codebuild.amazonaws.com"))
        .inlinePolicies(Map.of("AssumePromotionRoles", PolicyDocument.Builder.create()
            .statements(List.of(PolicyStatement.Builder.create()
                .actions(List.of("sts:AssumeRole"))
                .resources(assumable)
                .build()))
            .build()))
        .build();
    promotionRoles.put(to.name(), role);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SOURCE_ENV", from.name());
    env.put("TARGET_ENV", to.name());
    env.put("SOURCE_ROLE_ARN", sourceRole);
    env.put("TARGET_ROLE_ARN", targetRole);
    env.put("SOURCE_REGION", from.target().region());
    env.put("TARGET_REGION", to.target().region());
    env.put("SOURCE_PATH", StorageStack.releaseParameterPath(from.name()));
    env.put("TARGET_PATH", StorageStack.releaseParameterPath(to.name()));
    env.put("SERVICES", String.join(" ", to.services().stream().map(ServiceConfig::name).toList()));
    env.put("PLACEHOLDER_IMAGE", Placeholders.image(from.target(), from.name()));
    env.put("TARGET_PLACEHOLDER_IMAGE", Placeholders.image(to.target(), to.name()));
    env.put("RELEASE_PATTERN", Placeholders.RELEASE.pattern());
    env.put("TARGET_ACCOUNT", to.target().account());
    env.put("REGISTRY_ENV", registry.name());
    env.put("REGISTRY_ACCOUNT", registry.target().account());
    env.put("REGISTRY_REGION", registry.target().region());
    env.put("REGISTRY_ROLE_ARN", registryRole);
    env.put("SOURCE_WIRING", io.gitops.contract.OperatorWiring.parameterName(from.name()));
    env.put("SOAK_SECONDS", String.valueOf(to.promotion().soak().toSeconds()));
    env.put("RECORD_PATH", Promotion.recordParameterName(to.name(), ""));
    env.put("OVERRIDE_PATH", Promotion.overrideParameterName(to.name(), ""));
    env.put("PIPELINE_EXECUTION_ID", EXECUTION_ID);
    promotionEnvironments.put(to.name(), env);
    return CodeBuildStep.Builder.create("Promote-" + to.name())
        .input(source)
        .role(role)
        .buildEnvironment(buildEnvironment(ComputeType.SMALL))
        .partialBuildSpec(spec.partialBuildSpec())
        .commands(spec.commands())
        .env(env)
        .build();
  }

  /** The compute stack's post-step: marks {@code to}'s PENDING promotion records CONFIRMED (PROMOTE_MODE=confirm). */
  private CodeBuildStep confirmPromotionStep(EnvironmentConfig to, CodePipelineSource source, Buildspec spec) {
    Map<String, String> env = new LinkedHashMap<>(promotionEnvironments.get(to.name()));
    env.put("PROMOTE_MODE", "confirm");
    return CodeBuildStep.Builder.create("ConfirmPromotion-" + to.name())
        .input(source)
        .role(promotionRoles.get(to.name()))
        .buildEnvironment(buildEnvironment(ComputeType.SMALL))
        .partialBuildSpec(spec.partialBuildSpec())
        .commands(spec.commands())
        .env(env)
        .build();
  }

  private static String capitalize(String name) {
    return Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }

  private static Step smokeTest(AppStage stage, Buildspec spec) {
    EnvironmentConfig config = stage.config();
    return CodeBuildStep.Builder.create("SmokeTest-" + config.name())
        .buildEnvironment(buildEnvironment(ComputeType.SMALL))
        .partialBuildSpec(spec.partialBuildSpec())
        .commands(spec.commands())
        .envFromCfnOutputs(Map.of("ALB_DNS_NAME", stage.stacks().compute().albDnsNameOutput()))
        .env(Sorted.map(Map.of(
            "HEALTH_PATH", config.publicService().healthPath(),
            "HEALTH_SCHEME", config.certificateArn().isPresent() ? "https" : "http",
            // The certificate's name: the test connects to the ALB under it and checks the chain.
            "DOMAIN_NAME", config.domainName())))
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

  /** Promotion step per target environment (test, prod). */
  public Map<String, CodeBuildStep> promotionSteps() {
    return Collections.unmodifiableMap(promotionSteps);
  }

  /** The release report step before the prod approval, if any. */
  public java.util.Optional<CodeBuildStep> reportStep() {
    return java.util.Optional.ofNullable(reportStep);
  }

  public Bucket reportBucket() {
    return reportBucket;
  }

  /** Role of the promotion step per target environment. */
  public Map<String, Role> promotionRoles() {
    return Collections.unmodifiableMap(promotionRoles);
  }

  /** The environment stages in promotion order. */
  public List<AppStage> stages() {
    return List.copyOf(stages);
  }
}
