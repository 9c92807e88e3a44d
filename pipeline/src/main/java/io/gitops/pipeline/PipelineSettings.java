package io.gitops.pipeline;

import io.gitops.stacks.config.DeployTarget;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Environments;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the pipeline needs from outside the code, read once from cdk.json context in the app's main.
 * Every key has a safe placeholder default, so a fresh clone synthesizes with no setup and no AWS.
 *
 * @param toolchain     account and region of the pipeline itself
 * @param repository    source repository, "owner/name"
 * @param branch        branch that triggers the pipeline
 * @param connectionArn CodeConnections connection that reads the repository
 * @param environments  dev, test and prod, in promotion order
 * @param buildspecs    directory holding the buildspec files
 */
public record PipelineSettings(
    DeployTarget toolchain,
    String repository,
    String branch,
    String connectionArn,
    List<EnvironmentConfig> environments,
    Path buildspecs) {

  public static final String PLACEHOLDER_REGION = "us-east-1";
  public static final String PLACEHOLDER_TOOLCHAIN_ACCOUNT = "100000000000";
  public static final String PLACEHOLDER_DEV_ACCOUNT = "111111111111";
  public static final String PLACEHOLDER_TEST_ACCOUNT = "222222222222";
  public static final String PLACEHOLDER_PROD_ACCOUNT = "333333333333";

  private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
  private static final Pattern CERTIFICATE =
      Pattern.compile("arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}");
  private static final Pattern CONNECTION =
      Pattern.compile("arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\\d{12}:connection/[A-Za-z0-9-]+");

  public PipelineSettings {
    Objects.requireNonNull(toolchain, "toolchain");
    environments = List.copyOf(environments);
    if (!REPOSITORY.matcher(repository).matches()) {
      throw new IllegalArgumentException("gitops:repository '" + repository + "' must look like owner/name");
    }
    if (branch == null || branch.isBlank()) {
      throw new IllegalArgumentException("gitops:branch must not be empty");
    }
    if (!CONNECTION.matcher(connectionArn).matches()) {
      throw new IllegalArgumentException("gitops:connectionArn '" + connectionArn
          + "' is not a CodeConnections connection ARN");
    }
  }

  /** The environment called {@code name}. */
  public EnvironmentConfig environment(String name) {
    return environments.stream()
        .filter(e -> e.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no environment named " + name));
  }

  /**
   * Reads the settings from a context lookup (the CDK app's {@code node.tryGetContext}).
   * Unknown or malformed values fail here, with the key named, rather than deep inside CDK.
   */
  public static PipelineSettings fromContext(Function<String, Object> context, Path buildspecs) {
    String region = read(context, "gitops:region", PLACEHOLDER_REGION);
    DeployTarget toolchain = new DeployTarget(
        read(context, "gitops:toolchainAccount", PLACEHOLDER_TOOLCHAIN_ACCOUNT), region);
    DeployTarget dev = new DeployTarget(read(context, "gitops:devAccount", PLACEHOLDER_DEV_ACCOUNT), region);
    DeployTarget test = new DeployTarget(read(context, "gitops:testAccount", PLACEHOLDER_TEST_ACCOUNT), region);
    DeployTarget prod = new DeployTarget(read(context, "gitops:prodAccount", PLACEHOLDER_PROD_ACCOUNT), region);
    Environments.Certificates certificates = new Environments.Certificates(
        certificate(context, "dev", dev),
        certificate(context, "test", test),
        certificate(context, "prod", prod));
    return new PipelineSettings(
        toolchain,
        read(context, "gitops:repository", "example-org/gitops-delivery"),
        read(context, "gitops:branch", "main"),
        read(context, "gitops:connectionArn",
            "arn:aws:codeconnections:" + region + ":" + toolchain.account()
                + ":connection/replace-with-your-connection-id"),
        Environments.all(toolchain.account(), dev, test, prod, certificates).stream()
            .map(env -> env.withDomainName(read(context, "gitops:" + env.name() + "DomainName",
                EnvironmentConfig.placeholderDomainName(env.name()))))
            .toList(),
        buildspecs);
  }

  private static String read(Function<String, Object> context, String key, String fallback) {
    Object value = context.apply(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String text) || text.isBlank()) {
      throw new IllegalArgumentException("context " + key + " must be a non-empty string, got: " + value);
    }
    return text.trim();
  }

  /**
   * The ALB certificate of one environment: an ACM certificate ARN in that environment's account and
   * region (an ALB can only use a certificate of its own region).
   */
  private static Optional<String> certificate(Function<String, Object> context, String env, DeployTarget target) {
    String key = "gitops:" + env + "CertificateArn";
    Object value = context.apply(key);
    if (value == null || (value instanceof String s && s.isBlank())) {
      return Optional.empty();
    }
    String text = value instanceof String v ? v.trim() : "";
    if (!CERTIFICATE.matcher(text).matches()) {
      throw new IllegalArgumentException("context " + key + " must be an ACM certificate ARN "
          + "(arn:aws:acm:REGION:ACCOUNT:certificate/UUID), got: " + value);
    }
    String[] parts = text.split(":");
    if (!parts[3].equals(target.region()) || !parts[4].equals(target.account())) {
      throw new IllegalArgumentException("context " + key + " names a certificate in " + parts[4] + "/" + parts[3]
          + ", but " + env + "'s ALB is in " + target.account() + "/" + target.region());
    }
    return Optional.of(text);
  }
}
