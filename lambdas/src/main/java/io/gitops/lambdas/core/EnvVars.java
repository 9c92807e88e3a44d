package io.gitops.lambdas.core;

import java.util.List;
import java.util.Map;

/** Reading the functions' environment variables at init, collecting every error (see docs/lambda-config.md). */
public final class EnvVars {
  private EnvVars() {}

  /** A positive integer, or {@code dflt} when unset or blank; anything else adds an error and gives {@code dflt}. */
  public static long positive(Map<String, String> env, String name, long dflt, List<String> errors) {
    String v = env.get(name);
    if (v == null || v.isBlank()) return dflt;
    try {
      long n = Long.parseLong(v.trim());
      if (n <= 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      errors.add(name + ": expected a positive integer, got " + v);
      return dflt;
    }
  }
}
