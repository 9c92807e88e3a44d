package io.gitops.sandbox;

/** A problem the sandbox reports as one line (bad input, emulator missing, unsupported template). */
public class SandboxException extends RuntimeException {
  public SandboxException(String message) {
    super(message);
  }
}
