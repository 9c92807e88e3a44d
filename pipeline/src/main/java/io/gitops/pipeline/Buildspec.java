package io.gitops.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import software.amazon.awscdk.services.codebuild.BuildSpec;

/**
 * A buildspec file from {@code buildspecs/}, split the way CDK Pipelines needs it: the build
 * phase's commands become the step's commands, and everything else becomes its partial buildspec.
 * CDK Pipelines cannot merge {@code BuildSpec.fromSourceFilename}, so the file is read at synth;
 * the buildspec stays the single place a step's commands are written.
 */
public record Buildspec(String file, List<String> commands, Map<String, Object> partial) {

  public static Buildspec load(Path directory, String file) {
    Path path = directory.resolve(file);
    String text;
    try {
      text = Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read buildspec " + path, e);
    }
    Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    if (!(parsed instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException(path + ": a buildspec must be a YAML mapping");
    }
    Map<String, Object> partial = deepCopy(root);
    Map<String, Object> phases = child(partial, "phases", path);
    Map<String, Object> build = child(phases, "build", path);
    Object commands = build.remove("commands");
    if (!(commands instanceof List<?> list) || list.isEmpty()) {
      throw new IllegalArgumentException(path + ": phases.build.commands must be a non-empty list");
    }
    if (build.isEmpty()) {
      phases.remove("build");
    }
    return new Buildspec(file, list.stream().map(String::valueOf).toList(), partial);
  }

  public BuildSpec partialBuildSpec() {
    return BuildSpec.fromObject(partial);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Map<String, Object> parent, String key, Path path) {
    Object value = parent.get(key);
    if (!(value instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(path + ": missing mapping '" + key + "'");
    }
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deepCopy(Map<?, ?> source) {
    Map<String, Object> copy = new LinkedHashMap<>();
    source.forEach((k, v) -> copy.put(String.valueOf(k), v instanceof Map<?, ?> m ? deepCopy(m) : v));
    return copy;
  }
}
