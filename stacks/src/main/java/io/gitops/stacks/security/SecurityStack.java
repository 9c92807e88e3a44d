package io.gitops.stacks.security;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.cognito.AccountRecovery;
import software.amazon.awscdk.services.cognito.AuthFlow;
import software.amazon.awscdk.services.cognito.FeaturePlan;
import software.amazon.awscdk.services.cognito.Mfa;
import software.amazon.awscdk.services.cognito.MfaSecondFactor;
import software.amazon.awscdk.services.cognito.PasswordPolicy;
import software.amazon.awscdk.services.cognito.SignInAliases;
import software.amazon.awscdk.services.cognito.StandardThreatProtectionMode;
import software.amazon.awscdk.services.cognito.UserPool;
import software.amazon.awscdk.services.cognito.UserPoolClient;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.amazon.awscdk.services.secretsmanager.SecretStringGenerator;
import software.constructs.Construct;

/**
 * Identity and secrets of one environment: the application data key, the BFF's Cognito user pool
 * and client, and the application secret the services receive through ECS secrets injection.
 */
public class SecurityStack extends PlatformStack {

  private final Key key;
  private final UserPool userPool;
  private final UserPoolClient userPoolClient;
  private final Secret applicationSecret;
  private final GeneratedSecretRotation rotation;

  public SecurityStack(Construct scope, String id, EnvironmentConfig config) {
    super(scope, id, config, "KMS key, Cognito user pool and application secrets");
    RemovalPolicy removal = config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    key = Key.Builder.create(this, "DataKey")
        .description("Encrypts application data of " + config.name() + ": database, search, secrets")
        .enableKeyRotation(true)
        .pendingWindow(Duration.days(config.retainData() ? 30 : 7))
        .removalPolicy(removal)
        .build();
    KeyPolicies.restrictGrants(key);
    // The database's search logs and the storage stack's provider logs are encrypted with this key.
    KeyPolicies.allowCloudWatchLogs(key, config.target().account(), config.target().region());

    userPool = UserPool.Builder.create(this, "UserPool")
        .selfSignUpEnabled(false)
        .signInAliases(SignInAliases.builder().email(true).build())
        .autoVerify(software.amazon.awscdk.services.cognito.AutoVerifiedAttrs.builder().email(true).build())
        .passwordPolicy(PasswordPolicy.builder()
            .minLength(12)
            .requireLowercase(true)
            .requireUppercase(true)
            .requireDigits(true)
            .requireSymbols(true)
            .tempPasswordValidity(Duration.days(3))
            .build())
        .mfa(Mfa.REQUIRED)
        .mfaSecondFactor(MfaSecondFactor.builder().otp(true).sms(false).build())
        .accountRecovery(AccountRecovery.EMAIL_ONLY)
        .featurePlan(FeaturePlan.PLUS)
        .standardThreatProtectionMode(StandardThreatProtectionMode.FULL_FUNCTION)
        .deletionProtection(config.retainData())
        .removalPolicy(removal)
        .build();

    userPoolClient = userPool.addClient("BffClient", software.amazon.awscdk.services.cognito.UserPoolClientOptions.builder()
        .generateSecret(true)
        .authFlows(AuthFlow.builder().userSrp(true).build())
        .preventUserExistenceErrors(true)
        .enableTokenRevocation(true)
        .accessTokenValidity(Duration.minutes(60))
        .idTokenValidity(Duration.minutes(60))
        .refreshTokenValidity(Duration.days(1))
        .build());

    applicationSecret = Secret.Builder.create(this, "ApplicationSecret")
        .description("Application signing secret of " + config.name() + ", injected into the services by ECS")
        .encryptionKey(key)
        .generateSecretString(SecretStringGenerator.builder()
            .passwordLength(64)
            .excludePunctuation(true)
            .build())
        .removalPolicy(removal)
        .build();
    // Rotated every 30 days by a small function of this stack (see GeneratedSecretRotation).
    rotation = new GeneratedSecretRotation(this, "ApplicationSecretRotation", applicationSecret, key, removal);
  }

  public GeneratedSecretRotation applicationSecretRotation() {
    return rotation;
  }

  /** Customer-managed key for application data (Aurora, OpenSearch, secrets, logs); rotation on. */
  public Key key() {
    return key;
  }

  public UserPool userPool() {
    return userPool;
  }

  /** The BFF's app client (confidential: it has a generated client secret). */
  public UserPoolClient userPoolClient() {
    return userPoolClient;
  }

  /** Generated application secret (a random 64-character string) for the services, via ecs.Secret. */
  public Secret applicationSecret() {
    return applicationSecret;
  }
}
