package io.gitops.lambdas.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import software.amazon.awssdk.core.SdkResponse;

/**
 * AWS's clock, read from the {@code Date} header of a service's answer: the clock the functions share (Lambda's
 * hosts keep AWS time), for a command run on an operator's machine whose own clock may be off by minutes. The
 * service lock's times compare across actors, so an operator's lock must be dated as the functions date theirs.
 */
public final class AwsTime {
  private AwsTime() {}

  /** The answer's {@code Date} (whole seconds), if it has one. */
  public static Optional<Instant> of(SdkResponse response) {
    if (response == null || response.sdkHttpResponse() == null) return Optional.empty();
    return response.sdkHttpResponse().firstMatchingHeader("Date").flatMap(d -> {
      try {
        return Optional.of(ZonedDateTime.parse(d, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (DateTimeParseException e) {
        return Optional.empty();
      }
    });
  }

  /**
   * {@code local} moved to AWS's time as {@code response} states it; {@code local} itself if the answer has no
   * date. Sub-second differences are kept as they are (the header has whole seconds).
   */
  public static Clock aligned(Clock local, SdkResponse response) {
    Instant here = local.instant();
    return of(response).map(aws -> {
      Duration skew = Duration.between(here, aws);
      return skew.abs().compareTo(Duration.ofSeconds(1)) <= 0 ? local : Clock.offset(local, skew);
    }).orElse(local);
  }
}
