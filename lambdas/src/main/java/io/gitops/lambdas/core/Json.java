package io.gitops.lambdas.core;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.protocols.jsoncore.JsonNodeParser;

/**
 * Minimal JSON support without reflection: parsing uses the SDK's own tree parser (json-utils, already on
 * the classpath of every SDK client), writing uses {@link Obj}, a tiny ordered builder.
 *
 * <p>All accessors throw {@link InvalidInputException} with the JSON path of the offending field, so that
 * a malformed event always ends in one clear message.
 */
public final class Json {
  private static final JsonNodeParser PARSER = JsonNodeParser.create();

  private Json() {}

  /** Parses a document; an empty, truncated or invalid body is an {@link InvalidInputException}. */
  public static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      throw new InvalidInputException("empty body: expected a JSON object");
    }
    try {
      return PARSER.parse(text);
    } catch (RuntimeException e) {
      throw new InvalidInputException("malformed JSON: " + firstLine(e.getMessage()));
    }
  }

  public static JsonNode parse(byte[] bytes) {
    return parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
  }

  public static JsonNode parse(InputStream in) {
    try {
      return parse(in.readAllBytes());
    } catch (java.io.IOException e) {
      throw new InvalidInputException("unreadable input: " + e.getMessage());
    }
  }

  /** The node as an object, or an error naming {@code path}. */
  public static Map<String, JsonNode> object(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw new InvalidInputException(path + ": expected an object, got " + kind(node));
    }
    return node.asObject();
  }

  public static JsonNode required(Map<String, JsonNode> obj, String field, String path) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      throw new InvalidInputException(path + "." + field + ": missing");
    }
    return n;
  }

  /** A required, non-blank string field. */
  public static String string(Map<String, JsonNode> obj, String field, String path) {
    JsonNode n = required(obj, field, path);
    if (!n.isString()) {
      throw new InvalidInputException(path + "." + field + ": expected a string, got " + kind(n));
    }
    String s = n.asString();
    if (s.isBlank()) {
      throw new InvalidInputException(path + "." + field + ": empty");
    }
    return s;
  }

  /** An optional string field: absent or null gives empty; any other non-string type is an error. */
  public static Optional<String> optionalString(Map<String, JsonNode> obj, String field, String path) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isString()) {
      throw new InvalidInputException(path + "." + field + ": expected a string, got " + kind(n));
    }
    return Optional.of(n.asString());
  }

  public static List<String> stringArray(Map<String, JsonNode> obj, String field, String path) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw new InvalidInputException(path + "." + field + ": expected an array, got " + kind(n));
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n.asArray()) {
      if (!e.isString()) {
        throw new InvalidInputException(path + "." + field + "[]: expected strings, got " + kind(e));
      }
      out.add(e.asString());
    }
    return out;
  }

  static String kind(JsonNode n) {
    if (n == null || n.isNull()) return "null";
    if (n.isObject()) return "an object";
    if (n.isArray()) return "an array";
    if (n.isString()) return "a string";
    if (n.isNumber()) return "a number";
    if (n.isBoolean()) return "a boolean";
    return "an unknown value";
  }

  private static String firstLine(String s) {
    if (s == null) return "unparseable";
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    // "some.pkg.JsonParseException: Unexpected end-of-input" -> "Unexpected end-of-input"
    return line.replaceFirst("^([\\w$]+\\.)*[\\w$]+(Exception|Error): ", "");
  }

  /** Escapes and quotes a string for JSON output. */
  public static String quote(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  /** A value that is already JSON (a node passed through as it came), written as is. */
  public record Raw(String json) {}

  public static Obj obj() {
    return new Obj();
  }

  /** An insertion-ordered JSON object builder. Values: String, Number, Boolean, null, Obj, List, Map. */
  public static final class Obj {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    public Obj put(String key, Object value) {
      fields.put(key, value);
      return this;
    }

    /** Puts the value only if it is non-null. */
    public Obj putIfPresent(String key, Object value) {
      if (value != null) fields.put(key, value);
      return this;
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      write(b, this);
      return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
      if (v == null) {
        b.append("null");
      } else if (v instanceof Obj o) {
        write(b, o.fields);
      } else if (v instanceof Map<?, ?> m) {
        b.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) b.append(',');
          first = false;
          b.append(quote(String.valueOf(e.getKey()))).append(':');
          write(b, e.getValue());
        }
        b.append('}');
      } else if (v instanceof Iterable<?> it) {
        b.append('[');
        boolean first = true;
        for (Object e : it) {
          if (!first) b.append(',');
          first = false;
          write(b, e);
        }
        b.append(']');
      } else if (v instanceof Number || v instanceof Boolean) {
        b.append(v);
      } else if (v instanceof Raw r) {
        b.append(r.json());
      } else {
        b.append(quote(v.toString()));
      }
    }
  }
}
