package io.gitops.stacks.compute;

import io.gitops.contract.FunctionHandler;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.nag.Nag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

/**
 * The canary's analysis hook as a function of its own, in the compute stack (issue 21, blocker 3; issue 20,
 * finding 8):
 * <ul>
 *   <li>ECS validates a lifecycle hook's target when the service is created or updated; the BFF's service names
 *       this function's {@code hook} alias by reference, so CloudFormation creates the alias first, in the same
 *       stack, on a brand-new environment too. The guard, in the deployment stack, comes after compute;
 *   <li>ECS calls the hook synchronously, and a throttled call (429) is a failed hook: ECS rolls a good canary back.
 *       Reserved concurrency is per function, so the hook's is its own and the guard's event stream cannot use it.
 * </ul>
 * The analysis code is the guard's (same package); what only later stacks create (ledger, alarm topic) the function
 * reads from the deployers' wiring parameter when it runs (CanaryHookHandler), with the permissions the deployment
 * stack adds to {@link #role()}.
 */
public final class CanaryHookFunction extends Construct {
  /** The alias ECS invokes. */
  public static final String ALIAS = "hook";
  /**
   * ECS calls the hook once per lifecycle stage of a deployment and again after each IN_PROGRESS's callBackDelay,
   * never twice at once for one deployment; one deployment per service at a time. Two per canary service leave room
   * for a call that overlaps a slow previous one.
   */
  public static final int RESERVED_CONCURRENCY_PER_SERVICE = 2;
  public static final int MEMORY_MIB = 1024;
  public static final Duration TIMEOUT = Duration.seconds(60);

  /**
   * @param environment the environment
   * @param jar         the functions' deployment package
   * @param variables   the function's environment (the guard's canary settings; never a secret)
   * @param logKey      the key that encrypts its log group (its policy admits CloudWatch Logs)
   * @param services    canary services the hook serves (sizes its reserved concurrency)
   */
  public record Props(EnvironmentConfig environment, Path jar, Map<String, String> variables, IKey logKey,
      int services) {
    public Props {
      Objects.requireNonNull(environment, "environment");
      Objects.requireNonNull(jar, "jar");
      Objects.requireNonNull(logKey, "logKey");
      variables = Sorted.map(variables);
      if (services < 1) throw new IllegalArgumentException("a hook serves at least one canary service");
    }
  }

  private final Role role;
  private final Function function;
  private final Alias alias;
  private final LogGroup logGroup;

  public CanaryHookFunction(Construct scope, String id, Props props) {
    super(scope, id);
    if (!Files.isRegularFile(props.jar())) {
      throw new IllegalStateException("Lambda jar not found at " + props.jar()
          + ": build it first (bin/gitops synth does, or `mvn -pl lambdas package`)");
    }
    RemovalPolicy removal = props.environment().retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    String description = "Canary analysis hook (" + props.environment().name() + "): ECS lifecycle stages -> "
        + "SUCCEEDED, IN_PROGRESS or FAILED";
    // A year, as the guard's: the hook's answers are part of the audit record of every canary.
    logGroup = LogGroup.Builder.create(this, "Logs")
        .retention(RetentionDays.ONE_YEAR)
        .encryptionKey(props.logKey())
        .removalPolicy(removal)
        .build();
    role = Role.Builder.create(this, "Role")
        .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
        .description(description)
        .build();
    role.addToPolicy(PolicyStatement.Builder.create()
        .actions(List.of("logs:CreateLogStream", "logs:PutLogEvents"))
        .resources(List.of(logGroup.getLogGroupArn()))
        .build());
    function = Function.Builder.create(this, "Function")
        .description(description)
        .runtime(Runtime.JAVA_21)
        .architecture(Architecture.ARM_64)
        .code(Code.fromAsset(props.jar().toString()))
        .handler(FunctionHandler.CANARY_HOOK.handler())
        .memorySize(MEMORY_MIB)
        .timeout(TIMEOUT)
        .role(role)
        .logGroup(logGroup)
        .environment(props.variables())
        .reservedConcurrentExecutions(RESERVED_CONCURRENCY_PER_SERVICE * props.services())
        .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
        .build();
    Nag.acknowledge(function, "AwsSolutions-L1",
        "Pinned to the java21 LTS runtime on purpose, as the deployers are: the code targets Java 17 bytecode; "
            + "SnapStart and the cold-start figures in docs/performance.md are for java21");
    alias = Alias.Builder.create(this, "Alias")
        .aliasName(ALIAS)
        .version(function.getCurrentVersion())
        .build();
    software.amazon.awscdk.Annotations.of(function).acknowledgeWarning("@aws-cdk/aws-lambda:snapStartRequirePublish",
        "invoked only through the hook alias of its published version");
  }

  public void addToRolePolicy(PolicyStatement statement) {
    role.addToPolicy(statement);
  }

  public Role role() {
    return role;
  }

  public Function function() {
    return function;
  }

  /** What ECS invokes: the published, SnapStart-enabled version. */
  public Alias alias() {
    return alias;
  }

  public LogGroup logGroup() {
    return logGroup;
  }
}
