package io.gitops.sandbox.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reads the runtime's error documents ({@code {"errorMessage","errorType","stackTrace"}}). */
final class ErrorBody {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ErrorBody() {}

  static String type(String body) {
    return node(body).path("errorType").asText("Unhandled");
  }

  static String message(String body) {
    JsonNode n = node(body);
    return n.path("errorMessage").asText(body);
  }

  /** {@code errorType: errorMessage}, first line only. */
  static String describe(String body) {
    String m = message(body);
    String first = m.lines().findFirst().orElse("");
    return type(body) + ": " + first;
  }

  private static JsonNode node(String body) {
    try {
      return JSON.readTree(body);
    } catch (Exception e) {
      return JSON.createObjectNode();
    }
  }
}
