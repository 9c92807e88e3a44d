package io.gitops.stacks.config;

import java.util.Objects;
import java.util.regex.Pattern;

/** Where an environment lives: an AWS account and region, validated so a typo fails at synth. */
public record DeployTarget(String account, String region) {

  private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-gov)?-[a-z]+-\\d");

  public DeployTarget {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(region, "region");
    if (!ACCOUNT.matcher(account).matches()) {
      throw new IllegalArgumentException("account '" + account + "' is not a 12-digit AWS account ID");
    }
    if (!REGION.matcher(region).matches()) {
      throw new IllegalArgumentException("region '" + region + "' is not an AWS region name");
    }
  }
}
