package io.gitops.lambdas.core;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

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
      "LimitExceededException", "PriorRequestNotComplete",
      // SSM PutParameter on a parameter being written concurrently (SSM API reference, PutParameter errors).
      "TooManyUpdates",
      // DynamoDB: a write to an item that a transaction is writing (DynamoDB developer guide,
      // "Transaction conflict handling").
      "TransactionConflictException", "TransactionConflict");

  /**
   * Cancellation reason codes of a {@code TransactionCanceledException} that say nothing about the
   * conditions: another try can succeed (DynamoDB API reference, TransactWriteItems, CancellationReasons).
   */
  private static final Set<String> TRANSIENT_CANCELLATIONS = Set.of(
      "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded",
      "InternalServerError");

  private Failures() {}

  public static boolean isTransient(SdkException e) {
    if (e instanceof SdkClientException) {
      return true; // I/O, timeouts, connection resets
    }
    if (e instanceof TransactionCanceledException t) {
      return cancelledTransiently(t);
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

  /**
   * True if a cancelled transaction lost only on its conditions ({@code ConditionalCheckFailed}, the rest
   * {@code None}): a lost race, final. A cancellation without reasons is treated as a lost race too (DynamoDB
   * always sends them; the SDK exposes them as {@code cancellationReasons()}).
   */
  public static boolean conditionsFailedOnly(TransactionCanceledException e) {
    if (!e.hasCancellationReasons() || e.cancellationReasons().isEmpty()) return true;
    boolean failed = false;
    for (CancellationReason r : e.cancellationReasons()) {
      String code = r.code();
      if (code == null || code.isEmpty() || "None".equals(code)) continue;
      if (!"ConditionalCheckFailed".equals(code)) return false;
      failed = true;
    }
    return failed;
  }

  /** True if any item was cancelled for a reason another try can fix (conflict, throttling, 500). */
  public static boolean cancelledTransiently(TransactionCanceledException e) {
    if (!e.hasCancellationReasons()) return false;
    return e.cancellationReasons().stream().map(CancellationReason::code).anyMatch(TRANSIENT_CANCELLATIONS::contains);
  }

  /** A one-line description: service error code and message, or the client-side cause. */
  public static String describe(Throwable e) {
    if (e instanceof TransactionCanceledException t && t.hasCancellationReasons()) {
      return "DynamoDB TransactionCanceledException: reasons " + t.cancellationReasons().stream()
          .map(r -> r.code() == null ? "None" : r.code()).toList();
    }
    if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
      return a.awsErrorDetails().serviceName() + " " + a.awsErrorDetails().errorCode() + ": "
          + a.awsErrorDetails().errorMessage();
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
  }
}
