package io.gitops.lambdas;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import io.gitops.contract.EnvVar;
import io.gitops.contract.FunctionEnvironment;
import io.gitops.contract.FunctionHandler;
import io.gitops.contract.ServiceMapEntry;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.guard.GuardConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The contract the stacks write (io.gitops.contract) read back by the functions: what the stack would set
 * comes out of LambdaConfig and GuardConfig unchanged, and every handler the stack names exists.
 */
class FunctionContractTest {

  private static final String TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/bff/0123456789abcdef";

  /** The stack serializes with CDK's token-aware writer; literal values serialize the same way here. */
  private static String json(Map<String, Object> map) {
    Json.Obj o = Json.obj();
    map.forEach(o::put);
    return o.toString();
  }

  @Test
  void whatTheStackWritesTheFunctionsReadBack() {
    Map<String, ServiceMapEntry> services = new LinkedHashMap<>();
    services.put("bff", new ServiceMapEntry("dev-cluster", "dev-bff", "bff", "/gitops/dev/release/bff",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bff"));
    services.put("graphql", new ServiceMapEntry("dev-cluster", "dev-graphql", "graphql",
        "/gitops/dev/release/graphql", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/graphql"));
    FunctionEnvironment written = new FunctionEnvironment("ledger-table", "arn:aws:sns:eu-west-1:123456789012:alarms",
        services, "dev", 120, 60, "-XX:TieredStopAtLevel=1",
        new FunctionEnvironment.Guard(Map.of("dev-bff", TG), Map.of("dev-bff", "https://alb.example/api/health")));

    Map<String, String> env = new HashMap<>(written.toVariables(FunctionContractTest::json));
    env.put(EnvVar.AWS_REGION, "eu-west-1"); // set by Lambda, not the stack
    LambdaConfig read = LambdaConfig.from(env);
    GuardConfig guard = GuardConfig.from(env);

    assertThat(read.ledgerTable()).isEqualTo(written.ledgerTable());
    assertThat(read.alarmTopicArn()).isEqualTo(written.alarmTopicArn());
    assertThat(read.environmentName()).isEqualTo(written.environmentName());
    assertThat(read.lockLease()).isEqualTo(Duration.ofSeconds(written.lockLeaseSeconds()));
    assertThat(read.functionTimeout()).isEqualTo(Duration.ofSeconds(written.functionTimeoutSeconds()));
    assertThat(read.services()).containsOnlyKeys("bff", "graphql");
    services.forEach((repository, e) -> assertThat(read.services().get(repository)).isEqualTo(new ServiceTarget(
        repository, e.cluster(), e.service(), e.container(), e.releaseParameter(), e.repositoryUri())));
    assertThat(guard.targetGroups()).isEqualTo(Map.of("dev-bff", TG));
    assertThat(guard.probeUrls()).isEqualTo(Map.of("dev-bff", URI.create("https://alb.example/api/health")));
  }

  @Test
  void theImageDeployersEnvironmentCarriesNoGuardSettings() {
    FunctionEnvironment written = new FunctionEnvironment("t", "arn:aws:sns:eu-west-1:123456789012:a",
        Map.of("bff", new ServiceMapEntry("c", "s", "bff", "/p", "r")), "dev", 120, 60, null, null);
    assertThat(written.toVariables(FunctionContractTest::json)).containsOnlyKeys(EnvVar.LEDGER_TABLE,
        EnvVar.ALARM_TOPIC_ARN, EnvVar.SERVICE_MAP, EnvVar.ENVIRONMENT_NAME, EnvVar.LOCK_LEASE_SECONDS,
        EnvVar.FUNCTION_TIMEOUT_SECONDS);
  }

  /** A renamed or moved handler class fails here, not on the first event in AWS. */
  @ParameterizedTest
  @EnumSource(FunctionHandler.class)
  void everyHandlerTheStackNamesIsAStreamHandlerWithThatMethod(FunctionHandler handler) throws Exception {
    Class<?> type = Class.forName(handler.className());
    assertThat(RequestStreamHandler.class).isAssignableFrom(type);
    assertThat(type.getMethod(FunctionHandler.METHOD, InputStream.class, OutputStream.class, Context.class))
        .isNotNull();
    assertThat(type.getConstructor()).isNotNull(); // Lambda instantiates it with no arguments
  }

  /** The variables are the operators' interface: each one is documented (a renamed one fails here). */
  @Test
  void everyVariableIsDocumented() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "lambda-config.md"));
    for (String name : EnvVar.ALL) {
      assertThat(doc).as(name).contains("`" + name + "`");
    }
  }
}
