package io.gitops.lambdas.core;

/**
 * A failure that a retry cannot fix: a missing service or task definition, access denied, a validation
 * error. The handler records it (ledger FAILED, alarm notification) and returns instead of throwing.
 */
public class PermanentFailureException extends RuntimeException {
  public PermanentFailureException(String message, Throwable cause) {
    super(message, cause);
  }

  public PermanentFailureException(String message) {
    super(message);
  }
}
