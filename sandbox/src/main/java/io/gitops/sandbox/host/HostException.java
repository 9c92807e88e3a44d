package io.gitops.sandbox.host;

import io.gitops.sandbox.SandboxException;

/** A function the host cannot run as defined (bad handler, failed init, no such function): one line. */
public final class HostException extends SandboxException {
  public HostException(String message) {
    super(message);
  }
}
