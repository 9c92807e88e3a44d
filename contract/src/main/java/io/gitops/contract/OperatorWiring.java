package io.gitops.contract;

/**
 * Where an environment publishes what the operator's commands ({@code bin/gitops release}, {@code dora}) need to
 * find it in an account: an SSM String parameter holding the image deployer's environment variables (ledger table,
 * alarm topic, service map, lock lease) as a JSON object. The deployment stack writes it; the commands read it with
 * the caller's own credentials, so its name is fixed per environment, as the release parameters' names are.
 */
public final class OperatorWiring {
  private OperatorWiring() {}

  /**
   * The wiring's one key beyond the image deployer's variables: per function (its {@code FunctionHandler} name), the URL
   * of its on-failure queue, for {@code bin/gitops release redrive} (each parked record names its function).
   */
  public static final String ON_FAILURE_QUEUES = "ON_FAILURE_QUEUES";

  public static String parameterName(String environment) {
    return "/gitops/" + environment + "/operator/wiring";
  }
}
