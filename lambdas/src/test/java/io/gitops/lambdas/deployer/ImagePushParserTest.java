package io.gitops.lambdas.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.testing.Events;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ImagePushParserTest {
  @Test
  void parsesTheDocumentedPushShapeIntoARecord() {
    ImagePush p = ImagePushParser.parse(Events.resource("events/ecr-push-bff.json"));

    assertThat(p).isEqualTo(new ImagePush("13cde686-328b-6117-af20-0e5566167482",
        Instant.parse("2026-11-16T01:54:34Z"), "123456789012", "us-east-1", "bff", Events.digest("bff-1.0.1"),
        java.util.Optional.of("1.0.1")));
  }

  @Test
  void anUntaggedPushHasNoTag() {
    assertThat(ImagePushParser.parse(Events.resource("events/ecr-push-bff-untagged.json")).tag()).isEmpty();
  }

  @Test
  void aMissingDigestIsNamedInTheError() {
    String event = Events.text("events/ecr-push-bff.json").replaceAll("\"image-digest\": \"[^\"]+\",", "");

    assertThatThrownBy(() -> ImagePushParser.parse(Events.bytes(event)))
        .isInstanceOf(InvalidInputException.class).hasMessage("$.detail.image-digest: missing");
  }
}
