package io.gitops.lambdas.deployer;

import io.gitops.lambdas.core.EventEnvelope;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * Parses an EventBridge {@code ECR Image Action} event into an {@link ImagePush}, or throws an
 * {@link InvalidInputException} naming the first offending field. Shape (AWS docs, "Amazon ECR events and
 * EventBridge"): {@code {version, id, detail-type: "ECR Image Action", source: "aws.ecr", account, time,
 * region, resources, detail: {result, repository-name, image-digest, action-type, image-tag}}}.
 *
 * <p>Deletes and failed pushes parse as errors too: the routing rule never delivers them, so one arriving
 * here is misrouted input.
 */
public final class ImagePushParser {
  /** EventBridge's own event size limit; anything larger did not come from EventBridge. */
  public static final int MAX_EVENT_BYTES = EventEnvelope.MAX_EVENT_BYTES;

  private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");
  private static final Pattern REPOSITORY = Pattern.compile("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$");
  private static final Pattern TAG = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$");

  private ImagePushParser() {}

  public static ImagePush parse(byte[] bytes) {
    return parse(EventEnvelope.parse(bytes, "an ECR Image Action event"));
  }

  public static ImagePush parse(JsonNode root) {
    Map<String, JsonNode> e = EventEnvelope.fromSource(root, "aws.ecr");
    String detailType = Json.string(e, "detail-type", "$");
    if (!"ECR Image Action".equals(detailType)) {
      throw new InvalidInputException("$.detail-type: expected \"ECR Image Action\", got \"" + clip(detailType) + "\"");
    }
    String id = Json.string(e, "id", "$");
    Instant time = EventEnvelope.instant(Json.string(e, "time", "$"), "$.time");
    String account = Json.string(e, "account", "$");
    String region = Json.string(e, "region", "$");
    Map<String, JsonNode> d = Json.object(Json.required(e, "detail", "$"), "$.detail");
    String action = Json.string(d, "action-type", "$.detail");
    if (!"PUSH".equals(action)) {
      throw new InvalidInputException("$.detail.action-type: expected \"PUSH\", got \"" + clip(action) + "\"");
    }
    String result = Json.string(d, "result", "$.detail");
    if (!"SUCCESS".equals(result)) {
      throw new InvalidInputException("$.detail.result: expected \"SUCCESS\", got \"" + clip(result) + "\"");
    }
    String repository = Json.string(d, "repository-name", "$.detail");
    if (repository.length() > 256 || !REPOSITORY.matcher(repository).matches()) {
      throw new InvalidInputException("$.detail.repository-name: not a repository name: \"" + clip(repository) + "\"");
    }
    String digest = Json.string(d, "image-digest", "$.detail");
    if (!DIGEST.matcher(digest).matches()) {
      throw new InvalidInputException("$.detail.image-digest: expected sha256:<64 hex>, got \"" + clip(digest) + "\"");
    }
    Optional<String> tag = Json.optionalString(d, "image-tag", "$.detail").filter(t -> !t.isEmpty());
    if (tag.isPresent() && !TAG.matcher(tag.get()).matches()) {
      throw new InvalidInputException("$.detail.image-tag: not a valid tag: \"" + clip(tag.get()) + "\"");
    }
    return new ImagePush(id, time, account, region, repository, digest, tag);
  }

  private static String clip(String s) {
    return EventEnvelope.clip(s);
  }
}
