package io.gitops.lambdas.core;

/**
 * An event or configuration that cannot be understood. Never retried: retrying the same bytes cannot help.
 * The message names the offending field and is safe to log and print.
 */
public class InvalidInputException extends RuntimeException {
  public InvalidInputException(String message) {
    super(message);
  }
}
