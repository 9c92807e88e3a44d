package io.gitops.stacks.config;

import java.util.regex.Pattern;

/** The image a fresh environment starts from, before any service team has pushed one. */
public final class Placeholders {

  /**
   * A public echo server pinned by digest. It answers HTTP 200 on every path and listens on the port
   * given in its {@code PORT} environment variable, so each service's health check passes with the
   * placeholder, whatever its port and health path.
   *
   * <p>NOT VERIFIED OFFLINE: this machine cannot reach a registry. The digest is the one that
   * public deployment logs report for {@code ealen/echo-server}; confirm it with
   * {@code docker buildx imagetools inspect docker.io/ealen/echo-server@sha256:...} before the
   * first real deployment (or mirror the image into a private ECR repository and pin that digest).
   * The promotion step recognises the placeholder by this exact value and refuses to promote it.
   */
  public static final String IMAGE =
      "docker.io/ealen/echo-server@sha256:ec8a6e95890df937a1eb5fafca033a32172d4f43c1fea1f302931d5f230a137f";

  /** What a real release looks like: an image reference pinned by a sha256 digest. */
  public static final Pattern RELEASE =
      Pattern.compile("[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}");

  private Placeholders() {}
}
