package io.gitops.bench.baseline;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.guard.ElbTargetHealth;
import io.gitops.lambdas.guard.GuardConfig;
import io.gitops.lambdas.guard.GuardHandler;
import io.gitops.lambdas.guard.HttpProbeCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.EcsClientBuilder;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2ClientBuilder;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.SnsClientBuilder;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.SsmClientBuilder;

/**
 * BENCHMARK BASELINE, never deployed: the production guard handler with SDK-default clients (default HTTP
 * client, default provider chains, default retries), created lazily on the first event. Endpoint override
 * only, to reach the emulator.
 */
public final class BaselineGuardHandler implements RequestStreamHandler {
  private GuardHandler delegate;

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    if (delegate == null) {
      LambdaConfig config = LambdaConfig.fromEnvironment();
      EcsClientBuilder ecs = EcsClient.builder();
      DynamoDbClientBuilder dynamo = DynamoDbClient.builder();
      SsmClientBuilder ssm = SsmClient.builder();
      SnsClientBuilder sns = SnsClient.builder();
      ElasticLoadBalancingV2ClientBuilder elb = ElasticLoadBalancingV2Client.builder();
      config.endpoint().ifPresent(e -> {
        ecs.endpointOverride(e);
        dynamo.endpointOverride(e);
        ssm.endpointOverride(e);
        sns.endpointOverride(e);
        elb.endpointOverride(e);
      });
      AwsClients clients = new AwsClients(ecs.build(), dynamo.build(), ssm.build(), sns.build());
      delegate = new GuardHandler(config, GuardConfig.fromEnvironment(), clients, new ElbTargetHealth(elb.build()),
          HttpProbeCheck.HTTP, System.out, Clock.systemUTC());
    }
    delegate.handleRequest(input, output, context);
  }
}
