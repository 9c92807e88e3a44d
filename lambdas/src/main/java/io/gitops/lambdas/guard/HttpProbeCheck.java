package io.gitops.lambdas.guard;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/** The service's health endpoint (HEALTH_PROBE_URLS) answers 2xx to a GET. Skipped when none is configured. */
public final class HttpProbeCheck implements HealthCheck {
  public static final String NAME = "http-probe";

  /** Issues the GET; returns the status code, or throws IOException. A test can substitute it. */
  @FunctionalInterface
  public interface Probe {
    int get(URI url, Duration timeout) throws IOException;

    /**
     * The same GET with request headers (the canary's test route needs one). A probe that stands in for the network
     * in a test may ignore them; {@link #HTTP} sends them.
     */
    default int get(URI url, java.util.Map<String, String> headers, Duration timeout) throws IOException {
      return get(url, timeout);
    }
  }

  /** Plain {@link HttpURLConnection}, no redirects followed, body discarded. */
  public static final Probe HTTP = new Probe() {
    @Override
    public int get(URI url, Duration timeout) throws IOException {
      return get(url, java.util.Map.of(), timeout);
    }

    @Override
    public int get(URI url, java.util.Map<String, String> headers, Duration timeout) throws IOException {
      return http(url, headers, timeout);
    }
  };

  private static int http(URI url, java.util.Map<String, String> headers, Duration timeout) throws IOException {
    HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
    headers.forEach(c::setRequestProperty);
    c.setInstanceFollowRedirects(false);
    c.setConnectTimeout((int) timeout.toMillis());
    c.setReadTimeout((int) timeout.toMillis());
    try {
      int code = c.getResponseCode();
      try (var in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
        if (in != null) in.readAllBytes();
      }
      return code;
    } finally {
      c.disconnect();
    }
  }

  private final Probe probe;
  private final Function<String, Optional<URI>> urlOf;
  private final Duration timeout;

  public HttpProbeCheck(Probe probe, Function<String, Optional<URI>> urlOf, Duration timeout) {
    this.probe = probe;
    this.urlOf = urlOf;
    this.timeout = timeout;
  }

  @Override
  public Result check(Subject s) {
    Optional<URI> url = urlOf.apply(s.target().service());
    if (url.isEmpty()) return Result.skip(NAME, "no probe URL configured for " + s.target().service());
    try {
      int code = probe.get(url.get(), timeout);
      return code >= 200 && code < 300 ? Result.pass(NAME, url.get() + " answered " + code)
          : Result.fail(NAME, url.get() + " answered " + code);
    } catch (IOException | RuntimeException e) {
      return Result.fail(NAME, url.get() + " unreachable: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
  }
}
