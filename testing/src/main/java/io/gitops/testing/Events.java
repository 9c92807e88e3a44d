package io.gitops.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;

/** Event fixtures: files under src/test/resources/events/, and builders for EventBridge payloads. */
public final class Events {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Events() {}

  /** A fixture file's bytes, e.g. {@code resource("events/ecr-push-bff.json")}. */
  public static byte[] resource(String path) {
    try (InputStream in = Events.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) throw new IllegalArgumentException("no test resource " + path);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String text(String path) {
    return new String(resource(path), StandardCharsets.UTF_8);
  }

  /** A deterministic digest for a label: {@code sha256:<hex of sha256(label)>}. */
  public static String digest(String label) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(h);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An {@code ECR Image Action} event, shaped as in AWS's documentation. {@code tag} may be null. */
  public static String ecrPush(String repository, String digest, String tag, Instant time) {
    return ecrAction(UUID.randomUUID().toString(), repository, digest, tag, time, "PUSH", "SUCCESS");
  }

  public static String ecrAction(String id, String repository, String digest, String tag, Instant time,
      String actionType, String result) {
    ObjectNode event = JSON.createObjectNode()
        .put("version", "0")
        .put("id", id)
        .put("detail-type", "ECR Image Action")
        .put("source", "aws.ecr")
        .put("account", "123456789012")
        .put("time", time.toString().replaceAll("\\.\\d+Z$", "Z"))
        .put("region", "us-east-1");
    event.putArray("resources").add("arn:aws:ecr:us-east-1:123456789012:repository/" + repository);
    ObjectNode detail = event.putObject("detail").put("result", result).put("repository-name", repository)
        .put("image-digest", digest).put("action-type", actionType);
    if (tag != null) detail.put("image-tag", tag);
    return event.toString();
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

}
