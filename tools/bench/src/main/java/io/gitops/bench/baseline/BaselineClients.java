package io.gitops.bench.baseline;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.LambdaConfig;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The baseline handlers' clients: SDK defaults throughout (default HTTP client, provider chains,
 * retries), with the endpoint override as the one concession so they can reach the emulator.
 */
final class BaselineClients {

  private BaselineClients() {}

  static AwsClients create(LambdaConfig config) {
    return new AwsClients(build(EcsClient.builder(), config), build(DynamoDbClient.builder(), config),
        build(SsmClient.builder(), config), build(SnsClient.builder(), config));
  }

  static <B extends AwsClientBuilder<B, C>, C> C build(B builder, LambdaConfig config) {
    config.endpoint().ifPresent(builder::endpointOverride);
    return builder.build();
  }
}
