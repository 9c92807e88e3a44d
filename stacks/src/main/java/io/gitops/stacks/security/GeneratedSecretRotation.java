package io.gitops.stacks.security;

import io.gitops.stacks.nag.Nag;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.CfnPermission;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.secretsmanager.RotationScheduleOptions;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.constructs.Construct;

/**
 * Rotates a generated secret that no external system holds (the application signing secret).
 *
 * <p>Secrets Manager rotates only through a Lambda function, and its managed (hosted) rotations cover
 * databases only. The least code that rotates honestly is a small inline Python function
 * ({@code rotate_generated_secret.py}, 40 lines, boto3 from the Lambda runtime): a new random value
 * becomes AWSPENDING, then AWSCURRENT; the old one stays readable as AWSPREVIOUS. ECS injects the value
 * at task start, so running tasks keep the old value until they are replaced; services must accept
 * AWSCURRENT and AWSPREVIOUS for tokens signed during that window (docs/operations.md).
 */
public final class GeneratedSecretRotation extends Construct {

  public static final Duration ROTATE_AFTER = Duration.days(30);
  private static final String SOURCE = "rotate_generated_secret.py";

  private final Function function;

  public GeneratedSecretRotation(Construct scope, String id, Secret secret, IKey key, RemovalPolicy removal) {
    super(scope, id);
    LogGroup logs = LogGroup.Builder.create(this, "Logs")
        .encryptionKey(key)
        .retention(RetentionDays.ONE_YEAR)
        .removalPolicy(removal)
        .build();
    Role role = Role.Builder.create(this, "Role")
        .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
        .description("Rotates the generated application secret")
        .build();
    logs.grantWrite(role);
    role.addToPolicy(PolicyStatement.Builder.create()
        .actions(List.of("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"))
        .resources(List.of(secret.getSecretArn()))
        .build());
    role.addToPolicy(PolicyStatement.Builder.create()
        // GetRandomPassword acts on no resource: "*" is the only resource it accepts.
        .actions(List.of("secretsmanager:GetRandomPassword"))
        .resources(List.of("*"))
        .build());
    Nag.acknowledge(role, "AwsSolutions-IAM5[Resource::*]",
        "secretsmanager:GetRandomPassword supports no resource-level permissions; every other action is "
            + "limited to the one secret this function rotates");
    function = Function.Builder.create(this, "Function")
        .description("Rotates a generated secret: new random value -> AWSPENDING -> AWSCURRENT")
        .runtime(Runtime.PYTHON_3_14)
        .architecture(Architecture.ARM_64)
        .handler("index.handler")
        .code(Code.fromInline(source()))
        .role(role)
        .logGroup(logs)
        .timeout(Duration.seconds(30))
        .memorySize(128)
        .environment(Map.of("SECRET_LENGTH", "64"))
        .build();
    // The secret is encrypted with the key; the function reads and writes it through Secrets Manager.
    role.addToPolicy(PolicyStatement.Builder.create()
        .actions(List.of("kms:Decrypt", "kms:GenerateDataKey"))
        .resources(List.of(key.getKeyArn()))
        .conditions(Map.of("StringEquals", Map.of("kms:ViaService",
            "secretsmanager." + software.amazon.awscdk.Stack.of(this).getRegion() + ".amazonaws.com")))
        .build());
    secret.addRotationSchedule("Rotation", RotationScheduleOptions.builder()
        .rotationLambda(function)
        .automaticallyAfter(ROTATE_AFTER)
        .build());
    // The schedule lets Secrets Manager invoke the function; only on behalf of this account
    // (confused-deputy protection; AWS Control Tower CT.LAMBDA.PR.2).
    for (software.constructs.IConstruct child : function.getNode().getChildren()) {
      if (child instanceof CfnPermission permission) {
        permission.setSourceAccount(software.amazon.awscdk.Stack.of(this).getAccount());
      }
    }
  }

  public Function function() {
    return function;
  }

  static String source() {
    try (InputStream in = GeneratedSecretRotation.class.getResourceAsStream(SOURCE)) {
      if (in == null) {
        throw new IllegalStateException(SOURCE + " is missing from the stacks jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
