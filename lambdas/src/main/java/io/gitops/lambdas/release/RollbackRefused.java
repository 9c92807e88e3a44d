package io.gitops.lambdas.release;

/** A release command that cannot act as asked (bad input, or the ledger forbids it): one line for the operator. */
public final class RollbackRefused extends RuntimeException {
  private final boolean retryLater;

  public RollbackRefused(String message, boolean retryLater) {
    super(message);
    this.retryLater = retryLater;
  }

  public RollbackRefused(String message) {
    this(message, false);
  }

  /** True when the same command can succeed later (the service is busy), false for input the ledger refuses. */
  public boolean retryLater() {
    return retryLater;
  }
}
