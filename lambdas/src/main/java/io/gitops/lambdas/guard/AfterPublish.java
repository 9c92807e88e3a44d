package io.gitops.lambdas.guard;

import io.gitops.lambdas.core.Failures;
import io.gitops.lambdas.core.Log;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.core.exception.SdkException;

/** The guard's ledger writes that follow a notification (rollback, halt, breaker repair). */
final class AfterPublish {
  /** Attempts of the ledger write after a notification (each with the SDK's own retries): docs/lambda-config.md. */
  static final int ATTEMPTS = 2;

  private AfterPublish() {}

  /**
   * The ledger write that follows a notification. SNS publishes are not idempotent: if this write failed, the
   * retried event would publish again. So it gets more attempts than the SDK's own (each with the SDK's
   * retries) before the invocation gives up; only a crash between the two can still duplicate a notification.
   */
  static boolean write(Log log, BooleanSupplier write) {
    for (int attempt = 1; ; attempt++) {
      try {
        return write.getAsBoolean();
      } catch (SdkException e) {
        if (!Failures.isTransient(e) || attempt >= ATTEMPTS) throw e;
        log.warn("retrying the ledger write after a notification", "attempt", attempt, "error", Failures.describe(e));
        try {
          Thread.sleep(25L << Math.min(attempt, 5));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
