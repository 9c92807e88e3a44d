package io.gitops.lambdas.core;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Sorts SDK failures (after the SDK's own retries) into transient, worth another invocation, and
 * permanent, where a retry cannot help.
 */
public final class Failures {
  private static final Set<String> TRANSIENT_CODES = Set.of(
      "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
      "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
      "TransactionInProgressException", "RequestTimeout", "RequestTimeoutException",
      "ServiceUnavailable", "InternalFailure", "InternalServerError", "ServerException",
      "LimitExceededException", "PriorRequestNotComplete");

  private Failures() {}

  public static boolean isTransient(SdkException e) {
    if (e instanceof SdkClientException) {
      return true; // I/O, timeouts, connection resets
    }
    if (e instanceof AwsServiceException a) {
      if (a.isThrottlingException() || a.statusCode() >= 500 || a.statusCode() == 429 || a.statusCode() == 408) {
        return true;
      }
      String code = a.awsErrorDetails() == null ? null : a.awsErrorDetails().errorCode();
      return code != null && TRANSIENT_CODES.contains(code);
    }
    return e.retryable();
  }

  /** A one-line description: service error code and message, or the client-side cause. */
  public static String describe(Throwable e) {
    if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
      return a.awsErrorDetails().serviceName() + " " + a.awsErrorDetails().errorCode() + ": "
          + a.awsErrorDetails().errorMessage();
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
  }
}
