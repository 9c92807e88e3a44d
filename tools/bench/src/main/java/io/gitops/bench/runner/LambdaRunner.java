package io.gitops.bench.runner;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A stand-in for the Lambda Java runtime, for benchmarks: loads the handler class by name, constructs it
 * (init), then feeds it the event files of a directory in name order. Prints {@code BENCH} lines on stdout:
 * init and first-event times, the first outcome, optional priming time, and warm latencies.
 *
 * <pre>java -cp HANDLER.jar:gitops-bench-runner.jar io.gitops.bench.runner.LambdaRunner CLASS DIR [--prime]</pre>
 */
public final class LambdaRunner {
  private LambdaRunner() {}

  public static void main(String[] args) throws Exception {
    String handlerClass = args[0];
    Path dir = Path.of(args[1]);
    boolean prime = Arrays.asList(args).contains("--prime");
    List<Path> events;
    try (Stream<Path> s = Files.list(dir)) {
      events = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
    long t0 = System.nanoTime();
    RequestStreamHandler handler =
        (RequestStreamHandler) Class.forName(handlerClass).getDeclaredConstructor().newInstance();
    long t1 = System.nanoTime();
    System.out.println("BENCH INIT_MS " + ms(t1 - t0));
    if (prime) {
      // What SnapStart's beforeCheckpoint would run before the snapshot.
      Object priming = handler.getClass().getMethod("priming").invoke(handler);
      long p = (long) priming.getClass().getMethod("prime").invoke(priming);
      System.out.println("BENCH PRIME_MS " + ms(p));
    }
    long t2 = System.nanoTime();
    String first = invoke(handler, Files.readAllBytes(events.get(0)));
    long t3 = System.nanoTime();
    System.out.println("BENCH FIRST_HANDLE_MS " + ms(t3 - t2));
    System.out.println("BENCH OUTCOME " + first);
    System.out.println("BENCH FIRST_DONE");
    System.out.flush();
    int warm = events.size() - 1;
    if (warm > 0) {
      long[] lat = new long[warm];
      for (int i = 0; i < warm; i++) {
        byte[] e = Files.readAllBytes(events.get(i + 1));
        long a = System.nanoTime();
        String out = invoke(handler, e);
        lat[i] = System.nanoTime() - a;
        if (out.contains("\"FAILED\"")) System.out.println("BENCH WARM_UNEXPECTED " + out);
      }
      Arrays.sort(lat);
      System.out.println("BENCH WARM " + warm + " " + ms(pct(lat, 50)) + " " + ms(pct(lat, 99)));
    }
    System.out.flush();
  }

  private static String invoke(RequestStreamHandler handler, byte[] event) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(event), out, null);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static long pct(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static String ms(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
  }
}
