package io.gitops.sandbox.host;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The temporary keys the host has issued to execution environments. The emulator accepts any signature;
 * the host's proxy does not: a request signed with keys Lambda never gave the function (for example the
 * emulator's static {@code testing} keys) is refused, as IAM would refuse it.
 */
final class CredentialRegistry {
  private final Map<String, RuntimeApi.Credentials> issued = new ConcurrentHashMap<>();

  void issue(RuntimeApi.Credentials c) {
    issued.put(c.accessKeyId(), c);
  }

  /** Null if the request may go on; otherwise why it is refused. */
  String check(String accessKeyId, String sessionToken) {
    RuntimeApi.Credentials c = accessKeyId == null ? null : issued.get(accessKeyId);
    if (c == null) return "The security token included in the request is invalid (access key " + accessKeyId
        + " was not issued to this function by the host)";
    if (!c.sessionToken().equals(sessionToken)) return "The security token included in the request is invalid";
    return null;
  }
}
