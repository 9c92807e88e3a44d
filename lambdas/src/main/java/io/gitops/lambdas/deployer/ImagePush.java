package io.gitops.lambdas.deployer;

import java.time.Instant;
import java.util.Optional;

/**
 * A successful ECR image push, from an EventBridge {@code ECR Image Action} event.
 *
 * @param tag empty for a digest-only (untagged) push
 */
public record ImagePush(
    String eventId,
    Instant time,
    String account,
    String region,
    String repository,
    String digest,
    Optional<String> tag) {}
