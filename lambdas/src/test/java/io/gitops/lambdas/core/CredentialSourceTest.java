package io.gitops.lambdas.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.AwsClients.CredentialSource;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Which credentials a function uses. The full path (a SnapStart function that has only a container
 * credentials URI and token, fetching keys from it) runs in SandboxDemoTest through the local Lambda host.
 */
class CredentialSourceTest {
  private static Map<String, String> config(boolean emulator) {
    Map<String, String> env = new HashMap<>(Map.of("AWS_REGION", "us-east-1", "LEDGER_TABLE", "ledger",
        "ALARM_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alarms",
        "SERVICE_MAP", "{\"bff\":{\"cluster\":\"dev\",\"service\":\"bff\",\"container\":\"app\","
            + "\"releaseParameter\":\"/r\",\"repositoryUri\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/bff\"}}"));
    if (emulator) env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:5000");
    return env;
  }

  @Test
  void aSnapStartEnvironmentWithOnlyAContainerUriUsesTheContainerEndpointEvenAgainstAnEmulator() {
    Map<String, String> env = config(true);
    env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/credentials");
    env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token");

    assertThat(AwsClients.credentialSource(LambdaConfig.from(env), env)).isEqualTo(CredentialSource.CONTAINER);
    assertThat(AwsClients.Settings.from(LambdaConfig.from(env), java.util.List.of(), env).credentials())
        .isInstanceOf(AwsCredentialsProviderChain.class);
  }

  @Test
  void environmentKeysComeFirst() {
    Map<String, String> env = config(true);
    env.put("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE");
    env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9001/credentials");

    assertThat(AwsClients.credentialSource(LambdaConfig.from(env), env)).isEqualTo(CredentialSource.ENVIRONMENT);
  }

  @Test
  void theEmulatorsStaticKeysApplyOnlyWhenNeitherKeysNorAContainerUriExist() {
    Map<String, String> env = config(true);
    assertThat(AwsClients.credentialSource(LambdaConfig.from(env), env)).isEqualTo(CredentialSource.EMULATOR_STATIC);
    assertThat(AwsClients.Settings.from(LambdaConfig.from(env), java.util.List.of(), env).credentials())
        .isInstanceOf(StaticCredentialsProvider.class);

    Map<String, String> aws = config(false);
    assertThat(AwsClients.credentialSource(LambdaConfig.from(aws), aws)).isEqualTo(CredentialSource.ENVIRONMENT);
  }
}
