package io.gitops.lambdas.guard;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.lambdas.canary.CanaryAnalysis;
import io.gitops.lambdas.canary.CanaryChecks;
import io.gitops.lambdas.canary.CanaryHook;
import io.gitops.lambdas.canary.CanaryPlan;
import io.gitops.lambdas.canary.HookInvocation;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.CloudWatchQuery;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.Priming;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Log;
import io.gitops.lambdas.core.Metrics;
import io.gitops.lambdas.core.PermanentFailureException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The Lambda entry point for ECS task and deployment state changes:
 * {@code io.gitops.lambdas.guard.GuardHandler::handleRequest}.
 *
 * <p>Thin on purpose: parse the event into a {@link TaskStateChange} or {@link DeploymentStateChange},
 * delegate to {@link DeploymentGuard}, write the {@link GuardOutcome} as JSON. Retryable failures propagate
 * (Lambda's async retry, then the on-failure destination); invalid events and permanent failures return a
 * FAILED outcome, because retrying them cannot help.
 */
public final class GuardHandler implements RequestStreamHandler {
  public static final String FUNCTION = io.gitops.contract.FunctionHandler.GUARD.functionName();

  private final DeploymentGuard guard;
  private final Log log;
  private final Metrics metrics;

  /** Used by the Lambda runtime: configuration and clients from the environment, built once at init. */
  public GuardHandler() {
    this(LambdaConfig.fromEnvironment(), GuardConfig.fromEnvironment(), List.of(), System.out);
    this.priming = Priming.register(AwsClients.Settings.from(LambdaConfig.fromEnvironment(), List.of()),
        () -> GuardEventParser.parse(PRIMING_EVENT));
  }

  /** A representative task state change, parsed (never acted on) while priming. */
  private static final byte[] PRIMING_EVENT = ("{\"version\":\"0\",\"id\":\"priming\",\"detail-type\":"
      + "\"ECS Task State Change\",\"source\":\"aws.ecs\",\"account\":\"123456789012\",\"time\":"
      + "\"2024-01-01T00:00:00Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{"
      + "\"clusterArn\":\"arn:aws:ecs:us-east-1:123456789012:cluster/priming\",\"containers\":[],"
      + "\"group\":\"service:priming\",\"lastStatus\":\"RUNNING\",\"desiredStatus\":\"RUNNING\","
      + "\"taskArn\":\"arn:aws:ecs:us-east-1:123456789012:task/priming/0\",\"taskDefinitionArn\":"
      + "\"arn:aws:ecs:us-east-1:123456789012:task-definition/priming:1\",\"updatedAt\":"
      + "\"2024-01-01T00:00:00Z\",\"version\":1}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);

  /** The SnapStart priming hook; set only on the Lambda path (the runtime's no-argument constructor). */
  private Priming priming;

  /** The priming hook, or null when the handler was built for tests or the local invoke command. */
  public Priming priming() {
    return priming;
  }

  /** Production wiring with extra SDK interceptors (e.g. an API call counter), logging to {@code out}. */
  public GuardHandler(LambdaConfig config, GuardConfig guardConfig, List<ExecutionInterceptor> interceptors,
      PrintStream out) {
    this(config, guardConfig, AwsClients.Settings.from(config, interceptors), out);
  }

  private GuardHandler(LambdaConfig config, GuardConfig guardConfig, AwsClients.Settings settings, PrintStream out) {
    this(config, guardConfig, AwsClients.create(settings), settings, UrlConnectionHttpClient.builder()
        .connectionTimeout(java.time.Duration.ofSeconds(2)).socketTimeout(settings.sdk().attemptTimeout()).build(),
        out);
  }

  private GuardHandler(LambdaConfig config, GuardConfig guardConfig, AwsClients clients, AwsClients.Settings settings,
      software.amazon.awssdk.http.SdkHttpClient http, PrintStream out) {
    this(config, guardConfig, clients, ElbTargetHealth.create(settings, http), HttpProbeCheck.HTTP,
        CloudWatchQuery.create(settings, http)::get, CanaryPlan.parse(System.getenv()),
        io.gitops.lambdas.canary.TestRouteHeaders.from(System.getenv(),
            io.gitops.lambdas.core.SecretValues.create(settings, http)::get)::headersFor, out, Clock.systemUTC());
  }

  /** For tests and the demo: injected clients, target health source and probe; no CloudWatch metrics. */
  public GuardHandler(LambdaConfig config, GuardConfig guardConfig, AwsClients clients, TargetHealth targets,
      HttpProbeCheck.Probe probe, PrintStream out, Clock clock) {
    this(config, guardConfig, clients, targets, probe, (series, from, to, period) -> series.stream()
        .map(x -> new CloudWatchQuery.Values(List.of())).toList(), Map.of(), out, clock);
  }

  /** For tests: everything injected, the canary plans and the metric source included. */
  public GuardHandler(LambdaConfig config, GuardConfig guardConfig, AwsClients clients, TargetHealth targets,
      HttpProbeCheck.Probe probe, CanaryChecks.MetricSource metricSource, Map<String, CanaryPlan> plans,
      PrintStream out, Clock clock) {
    this(config, guardConfig, clients, targets, probe, metricSource, plans,
        io.gitops.lambdas.canary.TestRouteHeaders.NONE, out, clock);
  }

  /** For tests: everything injected, with the headers the smoke probe sends to a test URL. */
  public GuardHandler(LambdaConfig config, GuardConfig guardConfig, AwsClients clients, TargetHealth targets,
      HttpProbeCheck.Probe probe, CanaryChecks.MetricSource metricSource, Map<String, CanaryPlan> plans,
      java.util.function.Function<java.net.URI, Map<String, String>> testHeaders, PrintStream out, Clock clock) {
    this.log = new Log(out, clock, FUNCTION).with("environment", config.environmentName());
    this.metrics = new Metrics(out, clock, config.metricsNamespace(), FUNCTION);
    this.guard = new DeploymentGuard(config, guardConfig, clients,
        DeploymentGuard.defaultChecks(guardConfig, targets, probe), log, metrics, clock);
    this.canary = new CanaryHook(config, plans, guardConfig.failureThreshold(), clients.ecs(),
        io.gitops.lambdas.canary.ServiceRevisions.of(clients.ecs()), guard.ledger(), guard.guardLedger(),
        new ReleaseParameters(clients.ssm()), new Notifier(clients.sns(), config.alarmTopicArn()),
        new CanaryChecks(metricSource, targets, probe, guardConfig.probeTimeout(), testHeaders), log, metrics, clock);
  }

  private final CanaryHook canary;

  public CanaryHook canary() {
    return canary;
  }

  public DeploymentGuard guard() {
    return guard;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    byte[] bytes = input.readAllBytes();
    software.amazon.awssdk.protocols.jsoncore.JsonNode root = null;
    try {
      root = io.gitops.lambdas.core.Json.parse(bytes);
    } catch (InvalidInputException e) {
      // handle() below reports it as an invalid event
    }
    if (HookInvocation.looksLikeHook(root)) {
      output.write(hook(root).toJson().getBytes(StandardCharsets.UTF_8));
      return;
    }
    GuardOutcome outcome;
    try {
      outcome = handle(bytes);
    } catch (InvalidInputException e) {
      outcome = GuardOutcome.of(GuardOutcome.Action.FAILED, "INVALID_EVENT", e.getMessage());
    }
    output.write(outcome.toJson().toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * One lifecycle hook invocation by ECS. A transient AWS failure answers IN_PROGRESS (ECS calls again), since
   * a thrown error or a missing hookStatus would make ECS roll back a deployment nothing is wrong with; an
   * invocation that cannot be read answers FAILED with one line saying why.
   */
  public CanaryHook.Response hook(software.amazon.awssdk.protocols.jsoncore.JsonNode root) {
    boolean coldStart = Metrics.consumeColdStart();
    HookInvocation inv;
    try {
      inv = HookInvocation.parse(root);
    } catch (InvalidInputException e) {
      log.error("invalid lifecycle hook invocation", "reason", e.getMessage());
      metrics.count("InvalidEvents", coldStart);
      return new CanaryHook.Response(CanaryAnalysis.HookStatus.FAILED, 0, io.gitops.lambdas.core.Json.obj(),
          "INVALID_EVENT: " + e.getMessage(), List.of());
    }
    try {
      return canary.handle(inv, coldStart);
    } catch (io.gitops.lambdas.core.RetryableException | software.amazon.awssdk.core.exception.SdkException e) {
      if (e instanceof software.amazon.awssdk.core.exception.SdkException sdk
          && !io.gitops.lambdas.core.Failures.isTransient(sdk)) {
        throw sdk;
      }
      log.warn("transient failure in the canary hook; ECS calls again", "error", e.getMessage());
      io.gitops.lambdas.core.Json.Obj details = io.gitops.lambdas.core.Json.obj();
      inv.hookDetails().filter(software.amazon.awssdk.protocols.jsoncore.JsonNode::isObject).ifPresent(h ->
          h.asObject().forEach((k, v) -> details.put(k, new io.gitops.lambdas.core.Json.Raw(v.toString()))));
      return new CanaryHook.Response(CanaryAnalysis.HookStatus.IN_PROGRESS, TRANSIENT_CALLBACK_SECONDS, details,
          "TRANSIENT: " + e.getMessage(), List.of());
    }
  }

  /** ECS's own default callback delay. */
  static final long TRANSIENT_CALLBACK_SECONDS = 30;

  /**
   * Handles one event. Throws {@link InvalidInputException} for an event that cannot be parsed (no AWS call
   * is made) and {@link io.gitops.lambdas.core.RetryableException} when a retry could succeed.
   */
  public GuardOutcome handle(byte[] event) {
    boolean coldStart = Metrics.consumeColdStart();
    GuardEvent parsed;
    try {
      parsed = GuardEventParser.parse(event);
    } catch (InvalidInputException e) {
      log.error("invalid event", "reason", e.getMessage());
      metrics.count("InvalidEvents", coldStart);
      throw e;
    }
    try {
      return guard.handle(parsed, coldStart);
    } catch (PermanentFailureException e) {
      log.error("permanent failure", "eventId", parsed.eventId(), "reason", e.getMessage());
      return GuardOutcome.of(GuardOutcome.Action.FAILED, "PERMANENT_FAILURE", e.getMessage());
    }
  }
}
