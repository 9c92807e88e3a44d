package io.gitops.sandbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.contract.EnvVar;
import io.gitops.contract.OperatorWiring;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;

/**
 * The operator's commands against a real account: the SDK's default region and credentials chains (never
 * credentials of this project's own), and the environment's wiring from its SSM parameter
 * ({@link OperatorWiring}).
 */
final class AwsWiring {
  private AwsWiring() {}

  static OperatorCli.Target open(String env) {
    Region region;
    try {
      region = DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkClientException e) {
      throw new SandboxException("no sandbox runs '" + env + "' (start one with 'bin/gitops sandbox up' for dev) and"
          + " no AWS region is configured for the account of the current credentials");
    }
    AwsClients.Settings settings = new AwsClients.Settings(region, Optional.empty(),
        DefaultCredentialsProvider.builder().build(), LambdaConfig.SdkSettings.defaults(), List.of());
    AwsClients clients = AwsClients.create(settings);
    String name = OperatorWiring.parameterName(env);
    String value;
    try {
      value = clients.ssm().getParameter(b -> b.name(name)).parameter().value();
    } catch (ParameterNotFoundException e) {
      throw new SandboxException("environment '" + env + "' is not deployed in this account and region (" + region
          + "): no parameter " + name);
    } catch (SdkClientException e) {
      throw new SandboxException("no sandbox runs '" + env + "' and the AWS call failed: " + e.getMessage()
          + " (no credentials? the SDK's default chain found none usable)");
    }
    Map<String, String> vars = new LinkedHashMap<>();
    try {
      JsonNode o = CloudAssembly.JSON.readTree(value);
      o.fields().forEachRemaining(f -> vars.put(f.getKey(), f.getValue().asText()));
    } catch (java.io.IOException e) {
      throw new SandboxException(name + " is not a JSON object: " + e.getMessage());
    }
    vars.put(EnvVar.AWS_REGION, region.id());
    LambdaConfig config = LambdaConfig.from(vars);
    Map<String, ServiceTarget> services = new LinkedHashMap<>();
    config.services().values().forEach(t -> services.put(t.container(), t));
    return new OperatorCli.Target(env, config, clients, services, Optional.empty(), false);
  }
}
