package io.gitops.lambdas.core;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * The EventBridge envelope every function's events share ({@code {version, id, detail-type, source,
 * account, time, region, resources, detail}}): the size limits, the source check and the error wording, so
 * that every parser rejects bad input the same way with an {@link InvalidInputException}.
 */
public final class EventEnvelope {
  /** EventBridge's own event size limit; anything larger did not come from EventBridge. */
  public static final int MAX_EVENT_BYTES = 256 * 1024;

  private EventEnvelope() {}

  /**
   * The parsed body. Empty or oversized bodies are rejected before parsing; {@code expected} names the
   * event type(s) in the error, e.g. "an ECR Image Action event".
   */
  public static JsonNode parse(byte[] bytes, String expected) {
    if (bytes == null || bytes.length == 0) {
      throw new InvalidInputException("empty body: expected " + expected);
    }
    if (bytes.length > MAX_EVENT_BYTES) {
      throw new InvalidInputException("event too large: " + bytes.length + " bytes (limit " + MAX_EVENT_BYTES + ")");
    }
    return Json.parse(bytes);
  }

  /** The event's top-level object, with {@code source} checked. */
  public static Map<String, JsonNode> fromSource(JsonNode root, String source) {
    Map<String, JsonNode> e = Json.object(root, "$");
    String actual = Json.string(e, "source", "$");
    if (!source.equals(actual)) {
      throw new InvalidInputException("$.source: expected \"" + source + "\", got \"" + clip(actual) + "\"");
    }
    return e;
  }

  /** An ISO-8601 instant at {@code path}. */
  public static Instant instant(String text, String path) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException ex) {
      throw new InvalidInputException(path + ": not an ISO-8601 instant: \"" + clip(text) + "\"");
    }
  }

  /** A value quoted in an error: one line, at most 80 characters. */
  public static String clip(String s) {
    String one = s.replaceAll("[\\r\\n\\t]", " ");
    return one.length() > 80 ? one.substring(0, 77) + "..." : one;
  }
}
