package io.gitops.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The committed us-east-1 list prices and usage assumptions ({@code docs/pricing/us-east-1.json}). Every
 * price carries its source and the date it was taken; a missing key is an error, never a silent zero.
 */
public final class PriceTable {
  private final JsonNode root;

  private PriceTable(JsonNode root) {
    this.root = root;
  }

  public static PriceTable load(Path file) {
    try {
      return new PriceTable(new ObjectMapper().readTree(file.toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the price table " + file, e);
    }
  }

  public static PriceTable parse(String json) {
    try {
      return new PriceTable(new ObjectMapper().readTree(json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public double hoursPerMonth() {
    return root.path("hoursPerMonth").asDouble(730);
  }

  public String collected() {
    return root.path("collected").asText("?");
  }

  /** The price in USD of one unit of {@code key}. */
  public double price(String key) {
    JsonNode n = root.path("prices").path(key).path("usd");
    if (!n.isNumber()) throw new IllegalArgumentException("price table has no price '" + key + "'");
    return n.asDouble();
  }

  /** The hourly on-demand price of an OpenSearch instance type, if the table has it. */
  public Optional<Double> openSearchInstanceHour(String type) {
    JsonNode n = root.path("prices").path("openSearchInstanceHour").path("byType").path(type);
    return n.isNumber() ? Optional.of(n.asDouble()) : Optional.empty();
  }

  /** A usage assumption: a per-environment object ({"dev": 1, ...}) or a single number. */
  public double usage(String key, String environment) {
    JsonNode n = root.path("usageAssumptions").path(key);
    if (n.isObject()) n = n.path(environment).isMissingNode() ? n.path("dev") : n.path(environment);
    if (!n.isNumber()) throw new IllegalArgumentException("price table has no usage assumption '" + key + "'");
    return n.asDouble();
  }
}
