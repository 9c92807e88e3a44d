package io.gitops.bench.baseline;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.deployer.ImageDeployerHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;

/**
 * BENCHMARK BASELINE, never deployed: the production image deployer handler, differing only in how its SDK
 * clients are made. Here they take the SDK's defaults (its default HTTP client, the default credential and
 * region provider chains, default retries and timeouts) and are created lazily, on the first event, as in
 * a first-cut Lambda. The endpoint override is the one concession, so it can run against the emulator.
 */
public final class BaselineImageDeployerHandler implements RequestStreamHandler {
  private ImageDeployerHandler delegate;

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    if (delegate == null) {
      LambdaConfig config = LambdaConfig.fromEnvironment();
      AwsClients clients = BaselineClients.create(config);
      delegate = new ImageDeployerHandler(config, clients, System.out, Clock.systemUTC());
    }
    delegate.handleRequest(input, output, context);
  }
}
