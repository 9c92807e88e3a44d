package io.gitops.lambdas.deployer;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.PermanentFailureException;
import io.gitops.lambdas.core.Priming;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;

/**
 * The Lambda entry point for ECR pushes: {@code io.gitops.lambdas.deployer.ImageDeployerHandler::handleRequest}.
 *
 * <p>A {@link RequestStreamHandler} rather than {@code RequestHandler<Map, ...>}: the runtime then does no
 * reflective (Jackson) mapping at all; the event bytes go straight to {@link ImagePushParser}, which is
 * cheaper at cold start and gives our own error messages for malformed input.
 *
 * <p>Thin on purpose: parse, delegate to {@link ImageDeployer}, write the {@link Outcome} as JSON.
 * Retryable failures propagate (Lambda's async retry, then the on-failure destination); invalid events
 * and permanent failures return a FAILED outcome, because retrying them cannot help.
 */
public final class ImageDeployerHandler implements RequestStreamHandler {
  public static final String FUNCTION = io.gitops.contract.FunctionHandler.IMAGE_DEPLOYER.functionName();

  private final ImageDeployer deployer;
  private final Log log;
  private final Metrics metrics;
  /** The SnapStart priming hook; set only on the Lambda path (the runtime's no-argument constructor). */
  private Priming priming;

  /** Used by the Lambda runtime: configuration and clients from the environment, built once at init. */
  public ImageDeployerHandler() {
    this(LambdaConfig.fromEnvironment(), System.out);
  }

  private ImageDeployerHandler(LambdaConfig config, PrintStream out) {
    this(config, AwsClients.create(AwsClients.Settings.from(config, List.of())), out, Clock.systemUTC());
    this.priming = Priming.register(AwsClients.Settings.from(config, List.of()),
        () -> Outcome.skipped("PRIMING", ImagePushParser.parse(PRIMING_EVENT).tag().orElse("")).toJson().toString());
  }

  /** A representative push, parsed (never deployed) while priming. */
  private static final byte[] PRIMING_EVENT = ("{\"version\":\"0\",\"id\":\"priming\",\"detail-type\":"
      + "\"ECR Image Action\",\"source\":\"aws.ecr\",\"account\":\"123456789012\",\"time\":"
      + "\"2024-01-01T00:00:00Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"result\":"
      + "\"SUCCESS\",\"repository-name\":\"priming\",\"image-digest\":\"sha256:"
      + "0000000000000000000000000000000000000000000000000000000000000000\",\"action-type\":\"PUSH\","
      + "\"image-tag\":\"1.0.0\"}}").getBytes(StandardCharsets.UTF_8);

  /** The priming hook, or null when the handler was built with injected clients. */
  public Priming priming() {
    return priming;
  }

  /** For tests, the local invoke command and the demo: injected clients, logs to {@code out}. */
  public ImageDeployerHandler(LambdaConfig config, AwsClients clients, PrintStream out, Clock clock) {
    this.log = new Log(out, clock, FUNCTION).with("environment", config.environmentName());
    this.metrics = new Metrics(out, clock, config.metricsNamespace(), FUNCTION);
    this.deployer = new ImageDeployer(config, clients, log, metrics, clock);
  }

  public ImageDeployer deployer() {
    return deployer;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    Outcome outcome;
    try {
      outcome = handle(input.readAllBytes());
    } catch (InvalidInputException e) {
      outcome = Outcome.failed("INVALID_EVENT", e.getMessage());
    }
    output.write(outcome.toJson().toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Handles one event. Throws {@link InvalidInputException} for an event that cannot be parsed (no AWS call
   * is made) and {@link io.gitops.lambdas.core.RetryableException} when a retry could succeed.
   */
  public Outcome handle(byte[] event) {
    boolean coldStart = Metrics.consumeColdStart();
    ImagePush push;
    try {
      push = ImagePushParser.parse(event);
    } catch (InvalidInputException e) {
      log.error("invalid event", "reason", e.getMessage());
      metrics.count("InvalidEvents", coldStart);
      throw e;
    }
    try {
      return deployer.deploy(push, coldStart);
    } catch (PermanentFailureException e) {
      // Recording the failure failed permanently too (the alarm topic or the ledger refused): the metric
      // still reaches the failure alarm.
      metrics.functionFailure();
      return Outcome.failed("PERMANENT_FAILURE", e.getMessage());
    }
  }
}
