package io.gitops.lambdas.core;

/**
 * A failure worth retrying later as a whole invocation (Lambda's asynchronous retry, then the on-failure
 * destination): the SDK's own retries ran out, or the service is busy with another rollout.
 */
public class RetryableException extends RuntimeException {
  public RetryableException(String message, Throwable cause) {
    super(message, cause);
  }

  public RetryableException(String message) {
    super(message);
  }
}
