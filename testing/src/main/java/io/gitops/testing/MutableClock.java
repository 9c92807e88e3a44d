package io.gitops.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock tests move by hand: e.g. past a lock lease, as the time between Lambda's async retries does, or
 * past a grace period. Either stopped at a start instant ({@link #MutableClock(Instant)}) or the system
 * clock plus the offset moved so far ({@link #ofSystem()}).
 */
public final class MutableClock extends Clock {
  private final Clock base;
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

  /** Stopped at {@code start}; only {@link #advance} moves it. */
  public MutableClock(Instant start) {
    this(Clock.fixed(start, ZoneOffset.UTC));
  }

  private MutableClock(Clock base) {
    this.base = base;
  }

  /** The system clock, moved forward by {@link #advance}. */
  public static MutableClock ofSystem() {
    return new MutableClock(Clock.systemUTC());
  }

  public void advance(Duration d) {
    offset.updateAndGet(o -> o.plus(d));
  }

  @Override
  public Instant instant() {
    return base.instant().plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
