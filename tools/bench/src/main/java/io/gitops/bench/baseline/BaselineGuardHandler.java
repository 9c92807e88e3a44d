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
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;

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
      AwsClients clients = BaselineClients.create(config);
      delegate = new GuardHandler(config, GuardConfig.fromEnvironment(), clients, new ElbTargetHealth(
          BaselineClients.build(ElasticLoadBalancingV2Client.builder(), config)),
          HttpProbeCheck.HTTP, System.out, Clock.systemUTC());
    }
    delegate.handleRequest(input, output, context);
  }
}
