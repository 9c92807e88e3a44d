package io.gitops.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A copy of one stage's cloud assembly with its templates changed, for tests that need a template the app
 * would not synthesize (a renamed handler, a missing variable, SnapStart off). File assets (the functions'
 * jar) are copied beside it, where the templates' metadata expects them.
 */
final class StageCopy {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StageCopy() {}

  /** Writes under {@code root} a cdk.out-like directory holding the changed copy of {@code assembly-*-stage}. */
  static Path of(Path root, Path outdir, String stage, Consumer<ObjectNode> mutateTemplate) {
    try {
      Path source;
      try (Stream<Path> s = Files.list(outdir)) {
        source = s.filter(p -> p.getFileName().toString().startsWith("assembly-")
            && p.getFileName().toString().endsWith("-" + stage)).findFirst().orElseThrow();
      }
      try (Stream<Path> s = Files.list(outdir)) {
        for (Path p : s.filter(p -> p.getFileName().toString().startsWith("asset.")).toList()) {
          if (!Files.isDirectory(p)) Files.copy(p, root.resolve(p.getFileName())); // the jar asset the functions run
        }
      }
      Path target = Files.createDirectories(root.resolve(source.getFileName()));
      try (Stream<Path> s = Files.list(source)) {
        for (Path p : s.toList()) {
          if (Files.isDirectory(p)) continue;
          Path to = target.resolve(p.getFileName());
          if (p.getFileName().toString().endsWith(".template.json")) {
            ObjectNode t = (ObjectNode) JSON.readTree(p.toFile());
            mutateTemplate.accept(t);
            JSON.writeValue(to.toFile(), t);
          } else {
            Files.copy(p, to);
          }
        }
      }
      return root;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The template's AWS::Lambda::Function resources. */
  static List<JsonNode> functions(ObjectNode template) {
    List<JsonNode> out = new ArrayList<>();
    template.path("Resources").forEach(r -> {
      if ("AWS::Lambda::Function".equals(r.path("Type").asText())) out.add(r);
    });
    return out;
  }
}
