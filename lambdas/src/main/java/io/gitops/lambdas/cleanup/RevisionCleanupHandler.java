package io.gitops.lambdas.cleanup;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.contract.EnvVar;
import io.gitops.contract.FunctionHandler;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.ReleaseParameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ecr.EcrClient;

/**
 * The scheduled revision cleanup: {@code io.gitops.lambdas.cleanup.RevisionCleanupHandler::handleRequest}. The
 * schedule's event (EventBridge "Scheduled Event") runs it as configured ({@code CLEANUP_DRY_RUN}); an invoke with
 * {@code {"dryRun": true}} or {@code false} overrides that for one run. Answers the report as JSON.
 */
public final class RevisionCleanupHandler implements RequestStreamHandler {
  public static final String FUNCTION = FunctionHandler.REVISION_CLEANUP.functionName();
  static final int DEFAULT_KEEP_HEALTHY = 5;

  private final LambdaConfig config;
  private final RevisionCleanup cleanup;
  private final boolean dryRun;
  private final Log log;

  /** Used by the Lambda runtime. */
  public RevisionCleanupHandler() {
    this(LambdaConfig.fromEnvironment(), System.getenv(), null, System.out, Clock.systemUTC());
  }

  /** For tests: injected clients (null: from the configuration), logs to {@code out}. */
  public RevisionCleanupHandler(LambdaConfig config, Map<String, String> env, AwsClients clients, PrintStream out,
      Clock clock) {
    this(config, env, clients, clients != null ? null : ecrClient(config), out, clock);
  }

  /** For tests: {@code ecr} null leaves the release tags alone (the revisions only). */
  public RevisionCleanupHandler(LambdaConfig config, Map<String, String> env, AwsClients clients, EcrClient ecr,
      PrintStream out, Clock clock) {
    this.config = config;
    AwsClients c = clients != null ? clients : AwsClients.create(AwsClients.Settings.from(config, List.of()));
    this.log = new Log(out, clock, FUNCTION).with("environment", config.environmentName());
    Metrics metrics = new Metrics(out, clock, config.metricsNamespace(), FUNCTION);
    this.dryRun = !"false".equalsIgnoreCase(env.getOrDefault(EnvVar.CLEANUP_DRY_RUN, "true").strip());
    int keep;
    try {
      keep = Integer.parseInt(env.getOrDefault(EnvVar.CLEANUP_KEEP_HEALTHY, String.valueOf(DEFAULT_KEEP_HEALTHY)).strip());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("bad configuration: " + EnvVar.CLEANUP_KEEP_HEALTHY + " is not a number");
    }
    if (keep < 1) throw new InvalidInputException("bad configuration: " + EnvVar.CLEANUP_KEEP_HEALTHY + " must be >= 1");
    this.cleanup = new RevisionCleanup(c.ecs(), new Ledger(c.dynamo(), config.ledgerTable(), clock, config.lockLease()),
        new ReleaseParameters(c.ssm()), log, metrics, keep,
        ecr == null ? null : new ReleaseImages(ecr, config.environmentName(), log));
  }

  /** Only this function calls ECR, so its client is built here rather than in {@link AwsClients}. */
  private static EcrClient ecrClient(LambdaConfig config) {
    AwsClients.Settings settings = AwsClients.Settings.from(config, List.of());
    return AwsClients.configure(EcrClient.builder(), settings, UrlConnectionHttpClient.builder()
        .connectionTimeout(java.time.Duration.ofSeconds(2)).socketTimeout(settings.sdk().attemptTimeout()).build())
        .build();
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    output.write(handle(input.readAllBytes()).toJson().toString().getBytes(StandardCharsets.UTF_8));
  }

  public RevisionCleanup.Report handle(byte[] event) {
    boolean dry = dryRun;
    var root = Json.parse(event);
    if (root.isObject() && root.asObject().containsKey("dryRun")) {
      var v = root.asObject().get("dryRun");
      if (!v.isBoolean()) throw new InvalidInputException("dryRun must be true or false");
      dry = v.asBoolean();
    }
    RevisionCleanup.Report r = cleanup.run(List.copyOf(config.services().values()), dry);
    log.info("cleanup report", "report", r.toJson().toString());
    return r;
  }
}
