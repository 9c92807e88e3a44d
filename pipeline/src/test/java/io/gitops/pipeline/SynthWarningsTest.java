package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The app as configured (cdk.json's context) synthesizes without CDK warnings: a warning a newcomer cannot
 * act on (such as SnapStart's reminder about published versions, which the functions use) is acknowledged
 * where it is raised, with the reason, so that synth and the demo print only what needs doing. Read from
 * the manifests of the shared synthesis (what the CDK CLI prints its warnings from), not synthesized again.
 */
class SynthWarningsTest {

  @Test
  void noStackOfThePipelineOrAnyStageCarriesACdkWarning() throws IOException {
    List<Path> manifests;
    try (Stream<Path> files = Files.walk(SynthesizedApp.get().outdir)) {
      manifests = files.filter(f -> f.getFileName().toString().equals("manifest.json")).toList();
    }
    // The app's manifest and one per stage.
    assertThat(manifests).hasSize(4);
    List<String> warnings = new ArrayList<>();
    int stacks = 0;
    for (Path manifest : manifests) {
      for (JsonNode artifact : new ObjectMapper().readTree(manifest.toFile()).path("artifacts")) {
        if (!artifact.path("type").asText().equals("aws:cloudformation:stack")) {
          continue;
        }
        stacks++;
        collectWarnings(artifact.path("metadata"), warnings);
        // Large stacks keep their metadata in a file of its own beside the manifest.
        if (artifact.hasNonNull("additionalMetadataFile")) {
          Path file = manifest.resolveSibling(artifact.get("additionalMetadataFile").asText());
          collectWarnings(new ObjectMapper().readTree(file.toFile()), warnings);
        }
      }
    }
    assertThat(stacks).isEqualTo(22);
    assertThat(warnings).isEmpty();
  }

  /** Metadata by construct path: {@code {"/path": [{"type": "aws:cdk:warning", "data": ...}]}}. */
  private static void collectWarnings(JsonNode metadata, List<String> out) {
    metadata.fields().forEachRemaining(path -> path.getValue().forEach(entry -> {
      if (entry.path("type").asText().equals("aws:cdk:warning")) {
        out.add(path.getKey() + ": " + entry.path("data").asText());
      }
    }));
  }
}
