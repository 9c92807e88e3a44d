package io.gitops.cost;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code bin/gitops cost [ENV]}: the monthly estimate per resource and the total per environment, read
 * from a cloud assembly ({@code cdk.out}). Each stage's templates live in {@code assembly-*-ENV/}.
 */
public final class CostReport {
  private CostReport() {}

  public static void main(String[] args) {
    Path assembly = Path.of(args.length > 0 ? args[0] : "cdk.out");
    Path priceFile = Path.of(args.length > 1 ? args[1] : "docs/pricing/us-east-1.json");
    String only = args.length > 2 ? args[2] : null;
    CostEstimator estimator = new CostEstimator(PriceTable.load(priceFile));
    Map<String, List<CostEstimator.Template>> envs = environments(assembly);
    if (only != null && !envs.containsKey(only)) {
      System.err.println("gitops cost: no environment '" + only + "' in " + assembly + " (found: "
          + String.join(", ", envs.keySet()) + ")");
      System.exit(2);
    }
    List<Estimate> estimates = new ArrayList<>();
    envs.forEach((env, templates) -> {
      if (only == null || only.equals(env)) estimates.add(estimator.estimate(env, templates));
    });
    estimates.sort(Comparator.comparingInt(e -> order(e.environment())));
    PrintStream out = System.out;
    for (Estimate e : estimates) {
      out.println(detail(e));
    }
    out.println(summary(estimates, PriceTable.load(priceFile).collected()));
  }

  /** The templates of each stage, by environment name (the stage's assembly directory suffix). */
  public static Map<String, List<CostEstimator.Template>> environments(Path assembly) {
    Map<String, List<CostEstimator.Template>> out = new TreeMap<>();
    try (Stream<Path> dirs = Files.list(assembly)) {
      for (Path dir : dirs.filter(d -> Files.isDirectory(d) && d.getFileName().toString().startsWith("assembly-"))
          .sorted().toList()) {
        String name = dir.getFileName().toString();
        String env = name.substring(name.lastIndexOf('-') + 1);
        out.put(env, templates(dir));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cloud assembly " + assembly, e);
    }
    return out;
  }

  public static List<CostEstimator.Template> templates(Path dir) {
    ObjectMapper mapper = new ObjectMapper();
    try (Stream<Path> files = Files.list(dir)) {
      List<CostEstimator.Template> out = new ArrayList<>();
      for (Path f : files.filter(f -> f.toString().endsWith(".template.json")).sorted().toList()) {
        String stack = f.getFileName().toString().replace(".template.json", "");
        out.add(new CostEstimator.Template(stack, mapper.readTree(f.toFile())));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String detail(Estimate e) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%n== %s: $%,.2f / month ==%n", e.environment(), e.total()));
    b.append(String.format(Locale.ROOT, "%-22s %-46s %10s  %s%n", "category", "resource", "USD/month", "basis"));
    e.lines().stream()
        .sorted(Comparator.comparing(CostLine::category).thenComparing(CostLine::logicalId))
        .forEach(l -> b.append(String.format(Locale.ROOT, "%-22s %-46s %10.2f  %s%n", l.category(),
            abbreviate(l.logicalId(), 46), l.monthlyUsd(), l.basis())));
    if (!e.unpricedTypes().isEmpty()) {
      b.append("not priced: ").append(e.unpricedTypes()).append(System.lineSeparator());
    }
    return b.toString();
  }

  /** A markdown table: categories down, environments across, totals last. */
  public static String summary(List<Estimate> estimates, String pricesCollected) {
    TreeMap<String, Map<String, Double>> rows = new TreeMap<>();
    for (Estimate e : estimates) {
      e.byCategory().forEach((c, v) -> rows.computeIfAbsent(c, k -> new TreeMap<>()).put(e.environment(), v));
    }
    StringBuilder b = new StringBuilder(System.lineSeparator());
    b.append("| category |");
    estimates.forEach(e -> b.append(' ').append(e.environment()).append(" |"));
    b.append(System.lineSeparator()).append("| --- |");
    estimates.forEach(e -> b.append(" ---: |"));
    b.append(System.lineSeparator());
    rows.forEach((c, vals) -> {
      b.append("| ").append(c).append(" |");
      estimates.forEach(e -> b.append(String.format(Locale.ROOT, " %,.2f |", vals.getOrDefault(e.environment(), 0.0))));
      b.append(System.lineSeparator());
    });
    b.append("| **total (USD/month)** |");
    estimates.forEach(e -> b.append(String.format(Locale.ROOT, " **%,.2f** |", e.total())));
    b.append(System.lineSeparator());
    b.append(System.lineSeparator()).append("us-east-1 list prices collected ").append(pricesCollected)
        .append(" (docs/pricing/us-east-1.json); usage assumptions are in the same file.")
        .append(System.lineSeparator());
    return b.toString();
  }

  private static int order(String env) {
    return switch (env) {
      case "dev" -> 0;
      case "test" -> 1;
      case "prod" -> 2;
      default -> 3;
    };
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "~";
  }
}
