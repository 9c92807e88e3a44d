package io.gitops.sandbox.host;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One function as the synthesized template defines it, and as the host runs it. Every field comes from the
 * template's {@code AWS::Lambda::Function}, its published version and alias, and the alias's
 * {@code AWS::Lambda::EventInvokeConfig} ({@link FunctionSpecs#read}); nothing is restated by hand.
 *
 * @param name the function's short name in this project (image-deployer, guard)
 * @param physicalName the name Lambda would give it ({@code AWS_LAMBDA_FUNCTION_NAME})
 * @param environment the template's environment variables, intrinsics resolved against the emulator
 * @param reservedConcurrency the reserved concurrency, or empty for the account's unreserved pool
 * @param qualifier what the event sources invoke: an alias name, a version number or {@code $LATEST}
 * @param executedVersion the version behind that qualifier (a published version is "1" locally)
 * @param onFailureQueueArn the on-failure destination (an SQS queue), or empty
 * @param code the deployment package (the jar) that becomes the task root's {@code lib/}
 */
public record FunctionSpec(
    String name,
    String physicalName,
    String handler,
    String runtime,
    int memoryMb,
    Duration timeout,
    Map<String, String> environment,
    boolean snapStart,
    Optional<Integer> reservedConcurrency,
    String qualifier,
    String executedVersion,
    int maximumRetryAttempts,
    Duration maximumEventAge,
    Optional<String> onFailureQueueArn,
    Path code,
    String logGroupName) {

  /** Lambda's documented defaults for asynchronous invocation: two retries, six hours. */
  public static final int DEFAULT_RETRIES = 2;
  public static final Duration DEFAULT_MAX_EVENT_AGE = Duration.ofHours(6);

  public FunctionSpec {
    environment = Map.copyOf(environment);
  }

  /** The ARN Lambda reports as {@code invokedFunctionArn}: the function's, with the qualifier invoked. */
  public String arn(String region, String account) {
    return "arn:aws:lambda:" + region + ":" + account + ":function:" + physicalName + ":" + qualifier;
  }

  public FunctionSpec withSnapStart(boolean on) {
    return new FunctionSpec(name, physicalName, handler, runtime, memoryMb, timeout, environment, on,
        reservedConcurrency, qualifier, executedVersion, maximumRetryAttempts, maximumEventAge, onFailureQueueArn,
        code, logGroupName);
  }

  public FunctionSpec withEnvironment(Map<String, String> env) {
    return new FunctionSpec(name, physicalName, handler, runtime, memoryMb, timeout, env, snapStart,
        reservedConcurrency, qualifier, executedVersion, maximumRetryAttempts, maximumEventAge, onFailureQueueArn,
        code, logGroupName);
  }
}
