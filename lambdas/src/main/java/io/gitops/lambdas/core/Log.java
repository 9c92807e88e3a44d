package io.gitops.lambdas.core;

import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Structured logging: one JSON object per line (CloudWatch Logs Insights reads the fields). A {@code Log}
 * is immutable; {@link #with} returns a copy carrying more context (service, digest, tag, revision ...).
 */
public final class Log {
  private final PrintStream out;
  private final Clock clock;
  private final Map<String, Object> context;

  public Log(PrintStream out, Clock clock, String function) {
    this(out, clock, Map.of("function", function));
  }

  private Log(PrintStream out, Clock clock, Map<String, Object> context) {
    this.out = out;
    this.clock = clock;
    this.context = context;
  }

  /** A copy with one more context field; null values are left out. */
  public Log with(String key, Object value) {
    if (value == null) return this;
    Map<String, Object> c = new LinkedHashMap<>(context);
    c.put(key, value);
    return new Log(out, clock, c);
  }

  public void info(String message, Object... keyValues) {
    write("INFO", message, keyValues);
  }

  public void warn(String message, Object... keyValues) {
    write("WARN", message, keyValues);
  }

  public void error(String message, Object... keyValues) {
    write("ERROR", message, keyValues);
  }

  private void write(String level, String message, Object[] kv) {
    Json.Obj o = Json.obj().put("timestamp", clock.instant().toString()).put("level", level)
        .put("message", message);
    context.forEach(o::put);
    for (int i = 0; i + 1 < kv.length; i += 2) {
      o.putIfPresent(String.valueOf(kv[i]), kv[i + 1]);
    }
    String line = o.toString();
    synchronized (out) {
      out.println(line);
    }
  }
}
