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
    Region region = region(env);
    AwsClients.Settings settings = new AwsClients.Settings(region, Optional.empty(),
        DefaultCredentialsProvider.builder().build(), LambdaConfig.SdkSettings.defaults(), List.of());
    AwsClients clients = AwsClients.create(settings);
    JsonNode o = wiring(env, region, clients);
    Map<String, String> vars = new LinkedHashMap<>();
    o.fields().forEachRemaining(f -> {
      if (!f.getValue().isContainerNode()) vars.put(f.getKey(), f.getValue().asText());
    });
    vars.put(EnvVar.AWS_REGION, region.id());
    LambdaConfig config = LambdaConfig.from(vars);
    Map<String, ServiceTarget> services = new LinkedHashMap<>();
    config.services().values().forEach(t -> services.put(t.container(), t));
    return new OperatorCli.Target(env, config, clients, services, Optional.empty(), false);
  }

  /**
   * The account's on-failure queues, from the wiring's {@link OperatorWiring#ON_FAILURE_QUEUES}: each parked event goes
   * back to the function (alias) its record names (Lambda's {@code requestContext.functionArn}, or EventBridge's
   * {@code TARGET_ARN} attribute), synchronously (one attempt, no Lambda retry and no destination), with a
   * SigV4-signed Lambda {@code Invoke} under the operator's own credentials.
   */
  static Redrive redrive(String env, java.io.PrintStream out) {
    Region region = region(env);
    var credentials = DefaultCredentialsProvider.builder().build();
    AwsClients clients = AwsClients.create(new AwsClients.Settings(region, Optional.empty(), credentials,
        LambdaConfig.SdkSettings.defaults(), List.of()));
    JsonNode queues = wiring(env, region, clients).path(OperatorWiring.ON_FAILURE_QUEUES);
    if (!queues.isObject() || queues.isEmpty()) {
      throw new SandboxException(OperatorWiring.parameterName(env) + " names no on-failure queues ("
          + OperatorWiring.ON_FAILURE_QUEUES + "): deploy the current Deployment stack first");
    }
    var http = software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create();
    var sqs = software.amazon.awssdk.services.sqs.SqsClient.builder().region(region).credentialsProvider(credentials)
        .httpClient(http).build();
    List<Redrive.Function> fns = new java.util.ArrayList<>();
    queues.fields().forEachRemaining(f -> {
      String queue = f.getValue().asText();
      fns.add(new Redrive.Function() {
        public String name() {
          return f.getKey();
        }

        public String queueUrl() {
          return queue;
        }

        public Redrive.Outcome invoke(byte[] event, String target, java.io.PrintStream print) {
          if (target == null || target.isBlank()) {
            return new Redrive.Outcome(false, null, "the parked record names no function to invoke");
          }
          return new LambdaInvoke(http, credentials, region, target).call(event);
        }
      });
    });
    return new Redrive(sqs, fns, out);
  }

  private static JsonNode wiring(String env, Region region, AwsClients clients) {
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
    try {
      JsonNode o = CloudAssembly.JSON.readTree(value);
      if (!o.isObject()) throw new java.io.IOException("not an object");
      return o;
    } catch (java.io.IOException e) {
      throw new SandboxException(name + " is not a JSON object: " + e.getMessage());
    }
  }

  private static Region region(String env) {
    Region region;
    try {
      region = DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkClientException e) {
      throw new SandboxException("no sandbox runs '" + env + "' (start one with 'bin/gitops sandbox up' for dev) and"
          + " no AWS region is configured for the account of the current credentials");
    }
    return region;
  }
}
