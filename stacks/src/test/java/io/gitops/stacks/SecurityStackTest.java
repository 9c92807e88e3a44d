package io.gitops.stacks;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class SecurityStackTest {

  private static Template dev;
  private static Template prod;

  @BeforeAll
  static void synth() {
    dev = Template.fromStack(TestEnvironments.dev().security());
    prod = Template.fromStack(TestEnvironments.prod().security());
  }

  @Test
  void dataKeyRotatesAndIsRetainedInProd() {
    prod.hasResource("AWS::KMS::Key", Map.of(
        "Properties", Match.objectLike(Map.of("EnableKeyRotation", true)),
        "DeletionPolicy", "Retain"));
    dev.hasResourceProperties("AWS::KMS::Key", Map.of("EnableKeyRotation", true));
  }

  @Test
  void userPoolEnforcesPasswordPolicyMfaAndThreatProtection() {
    prod.hasResourceProperties("AWS::Cognito::UserPool", Map.of(
        "Policies", Map.of("PasswordPolicy", Map.of("MinimumLength", 12, "RequireLowercase", true,
            "RequireUppercase", true, "RequireNumbers", true, "RequireSymbols", true)),
        "MfaConfiguration", "ON",
        "AdminCreateUserConfig", Map.of("AllowAdminCreateUserOnly", true),
        "UserPoolTier", "PLUS",
        "UserPoolAddOns", Map.of("AdvancedSecurityMode", "ENFORCED")));
  }

  @Test
  void bffClientIsConfidentialAndUsesSrp() {
    prod.hasResourceProperties("AWS::Cognito::UserPoolClient", Map.of(
        "GenerateSecret", true,
        "ExplicitAuthFlows", List.of("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
        "PreventUserExistenceErrors", "ENABLED"));
  }

  @Test
  void applicationSecretIsGeneratedAndEncryptedWithTheDataKey() {
    prod.hasResourceProperties("AWS::SecretsManager::Secret", Map.of(
        "GenerateSecretString", Map.of("PasswordLength", 64, "ExcludePunctuation", true),
        "KmsKeyId", Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("DataKey.*"), "Arn"))));
  }
}
