package io.gitops.lambdas.canary;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.contract.EnvVar;
import io.gitops.contract.OperatorWiring;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.guard.GuardConfig;
import io.gitops.lambdas.guard.GuardHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * The canary's lifecycle hook, {@code io.gitops.lambdas.canary.CanaryHookHandler::handleRequest}: a function of its
 * own, in the compute stack, so that it exists before the service that names it (ECS validates a hook's target) and
 * so that its reserved concurrency is its own, never taken by the event stream the guard serves (issue 21, blocker
 * 3; issue 20, finding 8).
 *
 * <p>The analysis is the guard's ({@link GuardHandler#hook}). What the compute stack cannot know — the ledger table
 * and the alarm topic, created by later stacks — it reads from the deployers' wiring parameter
 * ({@link OperatorWiring}), once found. Until the deployment stack has written it there are no deployers, so no push
 * can be under way: the deployment is the pipeline's own (a new environment's first), and the hook answers
 * SUCCEEDED. Any other failure to read it answers IN_PROGRESS (ECS calls again), never an error, which ECS would
 * take for FAILED.
 */
public final class CanaryHookHandler implements RequestStreamHandler {
  /** The answer before the deployers exist. */
  public static final String NO_DEPLOYERS_YET = "NO_DEPLOYERS_YET";

  private final Map<String, String> env;
  private final Function<String, Optional<String>> parameters;
  private final Function<Map<String, String>, GuardHandler> guards;
  private volatile GuardHandler guard;

  /** Used by the Lambda runtime. */
  public CanaryHookHandler() {
    this(System.getenv(), ssmReader(System.getenv()),
        merged -> new GuardHandler(LambdaConfig.from(merged), GuardConfig.from(merged), List.of(), System.out));
  }

  /**
   * @param env        the function's own environment
   * @param parameters reads an SSM parameter's value; empty when it does not exist
   * @param guards     builds the analysis from the complete environment
   */
  public CanaryHookHandler(Map<String, String> env, Function<String, Optional<String>> parameters,
      Function<Map<String, String>, GuardHandler> guards) {
    this.env = Map.copyOf(env);
    this.parameters = parameters;
    this.guards = guards;
  }

  private static Function<String, Optional<String>> ssmReader(Map<String, String> env) {
    var ssm = AwsClients.create(AwsClients.bootstrap(env, List.of())).ssm();
    return name -> {
      try {
        return Optional.of(ssm.getParameter(b -> b.name(name)).parameter().value());
      } catch (ParameterNotFoundException e) {
        return Optional.empty();
      }
    };
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    byte[] bytes = input.readAllBytes();
    JsonNode root;
    try {
      root = Json.parse(bytes);
    } catch (InvalidInputException e) {
      output.write(answer("FAILED", "INVALID_EVENT: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
      return;
    }
    output.write(handle(root).getBytes(StandardCharsets.UTF_8));
  }

  /** ECS's answer to one hook invocation, as JSON. */
  public String handle(JsonNode root) {
    GuardHandler g = guard;
    if (g == null) {
      String wiringName = OperatorWiring.parameterName(env.getOrDefault(EnvVar.ENVIRONMENT_NAME, "dev"));
      Optional<String> wiring;
      try {
        wiring = parameters.apply(wiringName);
      } catch (RuntimeException e) {
        return answer("IN_PROGRESS", "TRANSIENT: " + wiringName + " could not be read: " + e.getMessage());
      }
      if (wiring.isEmpty()) {
        return answer("SUCCEEDED", NO_DEPLOYERS_YET + ": " + wiringName + " does not exist yet, so no push can be "
            + "under way; this deployment is the pipeline's own");
      }
      Map<String, String> merged = new HashMap<>();
      try {
        Json.object(Json.parse(wiring.get()), wiringName).forEach((k, v) -> merged.put(k, v.isString() ? v.asString()
            : v.toString()));
      } catch (InvalidInputException e) {
        return answer("IN_PROGRESS", "TRANSIENT: " + wiringName + " is not a JSON object: " + e.getMessage());
      }
      // The function's own variables win: its guard settings and its endpoint.
      merged.putAll(env);
      synchronized (this) {
        if (guard == null) guard = guards.apply(merged);
        g = guard;
      }
    }
    return g.hook(root).toJson();
  }

  private static String answer(String status, String reason) {
    Json.Obj o = Json.obj().put("hookStatus", status);
    if (status.equals("IN_PROGRESS")) o.put("callBackDelay", 30L);
    // hookDetails carry the reason, as the analysis's answers do; ECS hands them back on the next call.
    return o.put("hookDetails", Json.obj().put("reason", reason)).toString();
  }
}
