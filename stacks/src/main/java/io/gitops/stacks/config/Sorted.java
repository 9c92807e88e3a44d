package io.gitops.stacks.config;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Maps with a fixed iteration order for what reaches a template. {@code Map.of} and {@code Map.copyOf}
 * iterate in an order that changes from one JVM to the next, and jsii hands a map to CDK in iteration
 * order: in a JSON string, a list built from a map, or a Lambda environment, that order would change the
 * template between two synths of the same commit (and CloudFormation would update the resource).
 */
public final class Sorted {
  private Sorted() {}

  /** An unmodifiable copy that iterates by key. */
  public static <K extends Comparable<K>, V> Map<K, V> map(Map<K, V> map) {
    return Collections.unmodifiableMap(new TreeMap<>(map));
  }
}
