package io.gitops.lambdas.core;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The SDK clients of one execution environment, built once (in the handler's constructor, i.e. at init,
 * where SnapStart snapshots them) and shared by every invocation.
 *
 * <p>Choices that matter for cold start (see toolchain.md): {@link UrlConnectionHttpClient} (one shared
 * instance), the region taken straight from the environment, a two-provider credentials chain instead of
 * the SDK's default chain (no profile files, no instance metadata), and no Apache or Netty client on the
 * classpath.
 */
public record AwsClients(EcsClient ecs, DynamoDbClient dynamo, SsmClient ssm, SnsClient sns) {

  /**
   * How to build the clients.
   *
   * @param endpoint an endpoint override for every service (a local emulator), or empty for AWS
   * @param interceptors extra execution interceptors, e.g. an {@link ApiCallCounter} for benchmarks
   */
  public record Settings(
      Region region,
      Optional<URI> endpoint,
      AwsCredentialsProvider credentials,
      LambdaConfig.SdkSettings sdk,
      List<ExecutionInterceptor> interceptors) {

    /** From the function's configuration and the process environment (see {@link #credentialsFor}). */
    public static Settings from(LambdaConfig config, List<ExecutionInterceptor> interceptors) {
      return from(config, interceptors, System.getenv());
    }

    public static Settings from(LambdaConfig config, List<ExecutionInterceptor> interceptors, Map<String, String> env) {
      return new Settings(Region.of(config.region()), config.endpoint(), credentialsFor(config, env), config.sdk(),
          interceptors);
    }

    /** For tests against a local emulator: static test credentials, us-east-1. */
    public static Settings forEmulator(URI endpoint, LambdaConfig.SdkSettings sdk,
        List<ExecutionInterceptor> interceptors) {
      return new Settings(Region.US_EAST_1, Optional.of(endpoint),
          StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")), sdk, interceptors);
    }
  }

  /** Where the credentials come from, named for logs and tests. */
  public enum CredentialSource { ENVIRONMENT, CONTAINER, EMULATOR_STATIC }

  /**
   * Which credentials a function uses, as Lambda provides them: environment keys on an on-demand
   * function, a container credentials endpoint ({@code AWS_CONTAINER_CREDENTIALS_FULL_URI} plus
   * {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}) under SnapStart, where Lambda sets no keys at all.
   * The emulator's static keys apply only when neither exists and an endpoint override is set, so
   * they can never mask the production path.
   */
  public static CredentialSource credentialSource(LambdaConfig config, Map<String, String> env) {
    if (present(env, "AWS_ACCESS_KEY_ID")) return CredentialSource.ENVIRONMENT;
    if (present(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") || present(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      return CredentialSource.CONTAINER;
    }
    if (config.endpoint().isPresent()) return CredentialSource.EMULATOR_STATIC;
    return CredentialSource.ENVIRONMENT;
  }

  static AwsCredentialsProvider credentialsFor(LambdaConfig config, Map<String, String> env) {
    return switch (credentialSource(config, env)) {
      // Environment first, then the container endpoint: the order of the SDK's default chain, without
      // its profile-file and instance-metadata probes, which cost cold-start time and never apply on Lambda.
      case ENVIRONMENT, CONTAINER -> AwsCredentialsProviderChain.builder()
          .reuseLastProviderEnabled(true)
          .credentialsProviders(EnvironmentVariableCredentialsProvider.create(),
              ContainerCredentialsProvider.builder().build())
          .build();
      case EMULATOR_STATIC -> StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    };
  }

  /**
   * Settings from the process environment alone (region, endpoint override, credentials as Lambda gives them, SDK
   * defaults): for reading a function's configuration from AWS before a {@link LambdaConfig} can be parsed (the
   * canary hook reads the deployers' wiring this way).
   */
  public static Settings bootstrap(Map<String, String> env, List<ExecutionInterceptor> interceptors) {
    String region = env.get(io.gitops.contract.EnvVar.AWS_REGION);
    if (region == null || region.isBlank()) {
      throw new InvalidInputException("bad configuration: " + io.gitops.contract.EnvVar.AWS_REGION + ": missing");
    }
    Optional<URI> endpoint = Optional.ofNullable(env.get(io.gitops.contract.EnvVar.AWS_ENDPOINT_URL))
        .filter(e -> !e.isBlank()).map(e -> URI.create(e.trim()));
    boolean staticKeys = !present(env, "AWS_ACCESS_KEY_ID") && !present(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        && !present(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") && endpoint.isPresent();
    AwsCredentialsProvider credentials = staticKeys
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"))
        : AwsCredentialsProviderChain.builder().reuseLastProviderEnabled(true)
            .credentialsProviders(EnvironmentVariableCredentialsProvider.create(),
                ContainerCredentialsProvider.builder().build())
            .build();
    return new Settings(Region.of(region), endpoint, credentials, LambdaConfig.SdkSettings.defaults(), interceptors);
  }

  private static boolean present(Map<String, String> env, String name) {
    String v = env.get(name);
    return v != null && !v.isBlank();
  }

  /** Builds all four clients over one shared HTTP client. */
  public static AwsClients create(Settings settings) {
    SdkHttpClient http = UrlConnectionHttpClient.builder()
        .connectionTimeout(java.time.Duration.ofSeconds(2))
        .socketTimeout(settings.sdk().attemptTimeout())
        .build();
    return new AwsClients(
        configure(EcsClient.builder(), settings, http).build(),
        configure(DynamoDbClient.builder(), settings, http).build(),
        configure(SsmClient.builder(), settings, http).build(),
        configure(SnsClient.builder(), settings, http).build());
  }

  /** The client configuration every client of this project shares; tests use it for their own clients. */
  public static <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(
      B builder, Settings settings, SdkHttpClient http) {
    LambdaConfig.SdkSettings sdk = settings.sdk();
    builder
        .region(settings.region())
        .credentialsProvider(settings.credentials())
        .httpClient(http)
        .overrideConfiguration(
            ClientOverrideConfiguration.builder()
                .retryStrategy(
                    AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(sdk.maxAttempts())
                        .backoffStrategy(BackoffStrategy.exponentialDelay(sdk.baseDelay(), sdk.maxBackoff()))
                        .throttlingBackoffStrategy(
                            BackoffStrategy.exponentialDelay(sdk.baseDelay().multipliedBy(2), sdk.maxBackoff()))
                        // The retry quota would fail fast under sustained faults; Lambda's own retry
                        // is the outer circuit here.
                        .circuitBreakerEnabled(false)
                        .build())
                .apiCallTimeout(sdk.apiCallTimeout())
                .apiCallAttemptTimeout(sdk.attemptTimeout())
                .executionInterceptors(settings.interceptors())
                .build());
    settings.endpoint().ifPresent(builder::endpointOverride);
    return builder;
  }
}
