package io.gitops.lambdas.core;

import java.util.Optional;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The release parameters in SSM: one per service and environment, holding {@code repository-uri@sha256:...}.
 * The compute stack reads the image from it at deploy time, so a pipeline run deploys what is live.
 */
public final class ReleaseParameters {
  private final SsmClient ssm;

  public ReleaseParameters(SsmClient ssm) {
    this.ssm = ssm;
  }

  /** The current value, or empty if the parameter does not exist. */
  public Optional<String> get(String name) {
    try {
      return Optional.of(ssm.getParameter(b -> b.name(name)).parameter().value());
    } catch (ParameterNotFoundException e) {
      return Optional.empty();
    }
  }

  /** Writes the value (overwriting). Idempotent: writing the same value again changes nothing visible. */
  public void put(String name, String image) {
    ssm.putParameter(b -> b.name(name).value(image).type(ParameterType.STRING).overwrite(true));
  }

  /** {@code uri@sha256:...} for a repository URI and a digest. */
  public static String image(String repositoryUri, String digest) {
    return repositoryUri + "@" + digest;
  }

  /** The digest part of {@code uri@sha256:...}, or empty for a tag reference. */
  public static Optional<String> digestOf(String image) {
    if (image == null) return Optional.empty();
    int at = image.lastIndexOf('@');
    return at < 0 ? Optional.empty() : Optional.of(image.substring(at + 1));
  }
}
