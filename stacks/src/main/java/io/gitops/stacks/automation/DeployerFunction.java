package io.gitops.stacks.automation;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.nag.Nag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.EventInvokeConfigOptions;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.destinations.SqsDestination;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.logs.CfnLogGroup;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.sns.ITopic;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * One deployer Lambda function with everything that keeps its events safe: a published version
 * with SnapStart behind the {@code live} alias (what EventBridge invokes), an encrypted on-failure
 * queue that receives events after Lambda's asynchronous retries (and events EventBridge could not
 * deliver), an alarm on that queue's depth, and a log group with a retention period.
 */
public final class DeployerFunction extends Construct {

  /** Sized from the cold-start measurements in docs/performance.md: more memory, more CPU for init. */
  public static final int MEMORY_MIB = 1024;
  /** Worst case: SDK retries with backoff on every call of a rollout; the lease is twice this. */
  public static final Duration TIMEOUT = Duration.seconds(60);
  /**
   * The deployers serialise per service through the ledger, so more parallelism buys nothing; a
   * bound keeps a burst of pushes from starving other functions in the account.
   */
  public static final int RESERVED_CONCURRENCY = 5;
  public static final int ASYNC_RETRIES = 2;

  /**
   * @param handler     the handler, {@code class::method}
   * @param environment the function's environment (configuration, never secrets)
   * @param alarmTopic  where the on-failure queue's alarm goes
   * @param removal     removal policy of the log group and the queue
   */
  public record Props(Path jar, String handler, String description, Map<String, String> environment,
      ITopic alarmTopic, RemovalPolicy removal) {
    public Props {
      Objects.requireNonNull(jar, "jar");
      Objects.requireNonNull(handler, "handler");
      environment = Sorted.map(environment);
    }
  }

  private final Role role;
  private final Function function;
  private final Alias alias;
  private final Queue onFailureQueue;
  private final LogGroup logGroup;
  private final Alarm onFailureAlarm;

  public DeployerFunction(Construct scope, String id, Props props) {
    super(scope, id);
    if (!Files.isRegularFile(props.jar())) {
      throw new IllegalStateException("Lambda jar not found at " + props.jar()
          + ": build it first (bin/gitops synth does, or `mvn -pl lambdas package`)");
    }

    // A year: these logs are the audit record of every automated rollout and rollback (CT.CLOUDWATCH.PR.2).
    logGroup = LogGroup.Builder.create(this, "Logs")
        .retention(RetentionDays.ONE_YEAR)
        .removalPolicy(props.removal())
        .build();

    // A role of our own instead of AWSLambdaBasicExecutionRole: log writes to this log group only.
    role = Role.Builder.create(this, "Role")
        .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
        .description(props.description())
        .build();
    role.addToPolicy(PolicyStatement.Builder.create()
        .actions(List.of("logs:CreateLogStream", "logs:PutLogEvents"))
        .resources(List.of(logGroup.getLogGroupArn()))
        .build());

    onFailureQueue = Queue.Builder.create(this, "OnFailure")
        .encryption(QueueEncryption.SQS_MANAGED)
        .enforceSsl(true)
        .retentionPeriod(Duration.days(14))
        .removalPolicy(props.removal())
        .build();
    Nag.acknowledge(onFailureQueue, "AwsSolutions-SQS3",
        "This queue is the dead-letter destination itself: events land here after Lambda's retries "
            + "and stay 14 days for inspection and redrive; a queue behind it would only move them");

    function = Function.Builder.create(this, "Function")
        .description(props.description())
        .runtime(Runtime.JAVA_21)
        .architecture(Architecture.ARM_64)
        .code(Code.fromAsset(props.jar().toString()))
        .handler(props.handler())
        .memorySize(MEMORY_MIB)
        .timeout(TIMEOUT)
        .role(role)
        .logGroup(logGroup)
        .environment(props.environment())
        .reservedConcurrentExecutions(RESERVED_CONCURRENCY)
        .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
        .build();

    Nag.acknowledge(function, "AwsSolutions-L1",
        "Pinned to the java21 LTS runtime on purpose: the code targets Java 17 bytecode and is tested "
            + "here on Java 17; SnapStart and the cold-start figures in docs/performance.md are for java21. "
            + "A newer runtime is a deliberate upgrade after re-measuring, not a silent one");

    alias = Alias.Builder.create(this, "Live")
        .aliasName("live")
        .version(function.getCurrentVersion())
        .build();
    // CDK warns that SnapStart applies to published versions only; this function is only ever invoked
    // through the live alias of its published current version, so there is nothing to act on.
    software.amazon.awscdk.Annotations.of(function).acknowledgeWarning("@aws-cdk/aws-lambda:snapStartRequirePublish",
        "invoked only through the live alias of its published version");
    alias.configureAsyncInvoke(EventInvokeConfigOptions.builder()
        .retryAttempts(ASYNC_RETRIES)
        .maxEventAge(Duration.hours(6))
        .onFailure(new SqsDestination(onFailureQueue))
        .build());

    onFailureAlarm = Alarm.Builder.create(this, "OnFailureDepth")
        .alarmDescription(props.description() + ": events are waiting in the on-failure queue; "
            + "inspect them and redrive once the cause is fixed")
        .metric(onFailureQueue.metricApproximateNumberOfMessagesVisible()
            .with(software.amazon.awscdk.services.cloudwatch.MetricOptions.builder()
                .period(Duration.minutes(1)).statistic("Maximum").build()))
        .threshold(1)
        .evaluationPeriods(1)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build();
    onFailureAlarm.addAlarmAction(new SnsAction(props.alarmTopic()));
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

  /** What EventBridge invokes: the published, SnapStart-enabled version. */
  public Alias alias() {
    return alias;
  }

  /**
   * Encrypts the function's log group with {@code key}, whose policy must admit CloudWatch Logs
   * (see {@code KeyPolicies.allowCloudWatchLogs}) (CT.CLOUDWATCH.PR.3).
   */
  public void encryptLogs(IKey key) {
    ((CfnLogGroup) logGroup.getNode().getDefaultChild()).setKmsKeyId(key.getKeyArn());
  }

  public Queue onFailureQueue() {
    return onFailureQueue;
  }

  public Alarm onFailureAlarm() {
    return onFailureAlarm;
  }
}
