package io.gitops.contract;

/**
 * Where an environment publishes what the operator's commands ({@code bin/gitops release}, {@code dora}) need to
 * find it in an account: an SSM String parameter holding the image deployer's environment variables (ledger table,
 * alarm topic, service map, lock lease) as a JSON object. The deployment stack writes it; the commands read it with
 * the caller's own credentials, so its name is fixed per environment, as the release parameters' names are.
 */
public final class OperatorWiring {
  private OperatorWiring() {}

  public static String parameterName(String environment) {
    return "/gitops/" + environment + "/operator/wiring";
  }
}
