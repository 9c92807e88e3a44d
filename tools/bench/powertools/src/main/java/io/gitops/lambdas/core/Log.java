package io.gitops.lambdas.core;

import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.logging.argument.StructuredArguments;

/**
 * Benchmark stand-in with the production {@code core/Log}'s API, written on Powertools logging (SLF4J 2 to
 * log4j2 with Powertools' JSON layout): each context field and key-value pair becomes a structured argument.
 * The stream and clock arguments are unused: log4j2 writes to stdout with its own clock, as Powertools does.
 */
public final class Log {
  private static final Logger LOGGER = LoggerFactory.getLogger("io.gitops.lambdas");

  private final Map<String, Object> context;

  public Log(PrintStream out, Clock clock, String function) {
    this(Map.of("function", function));
  }

  private Log(Map<String, Object> context) {
    this.context = context;
  }

  public Log with(String key, Object value) {
    if (value == null) return this;
    Map<String, Object> c = new LinkedHashMap<>(context);
    c.put(key, value);
    return new Log(c);
  }

  public void info(String message, Object... keyValues) {
    LOGGER.info(message, arguments(keyValues));
  }

  public void warn(String message, Object... keyValues) {
    LOGGER.warn(message, arguments(keyValues));
  }

  public void error(String message, Object... keyValues) {
    LOGGER.error(message, arguments(keyValues));
  }

  private Object[] arguments(Object[] kv) {
    List<Object> args = new ArrayList<>();
    context.forEach((k, v) -> args.add(StructuredArguments.entry(k, v)));
    for (int i = 0; i + 1 < kv.length; i += 2) {
      if (kv[i + 1] != null) args.add(StructuredArguments.entry(String.valueOf(kv[i]), kv[i + 1]));
    }
    return args.toArray();
  }
}
