package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every template the app synthesizes (the pipeline stack's and each stack of dev, test and prod) against
 * a reviewed snapshot in {@code pipeline/src/test/snapshots/}, so that a change to a template is seen and
 * reviewed, not shipped by accident. The test never writes a snapshot: after reviewing the diff, run
 * {@value #UPDATE_COMMAND}.
 *
 * <p>Normalised before comparing, because they change with every build of the functions' jar and say
 * nothing about the infrastructure: asset and configuration hashes (64 hex digits, e.g. the S3 key of the
 * functions' code, or the pipeline's CodeBuild project hashes) become {@value #ASSET}; an image digest
 * ({@code sha256:} and 64 hex digits, e.g. the pinned placeholder image) is kept. The code hash CDK
 * appends to a Lambda version's logical ID ({@code …CurrentVersion<8 hex><32 hex>}) becomes
 * {@value #VERSION}; the 8-hex destination suffix the pipeline's asset publishing appends to an asset hash
 * becomes {@value #DEST}. Object keys are sorted (CloudFormation gives their order no meaning).
 */
class TemplateSnapshotTest {

  static final String UPDATE_COMMAND = "bin/gitops snapshots --update";
  static final String UPDATE_PROPERTY = "snapshots.update";
  static final String ASSET = "ASSET-HASH";
  static final String VERSION = "CODE-HASH";
  static final String DEST = "DEST-HASH";
  static final Path SNAPSHOTS = SynthesizedApp.ROOT.resolve("pipeline/src/test/snapshots");

  private static final Pattern ASSET_HASH = Pattern.compile("(?<!sha256:)[0-9a-f]{64}");
  private static final Pattern VERSION_ID = Pattern.compile("(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}");
  /** The pipeline's asset publishing names each destination with a hash over the asset's object key. */
  private static final Pattern DESTINATION = Pattern.compile("(" + ASSET + ":\\d{12}-[a-z0-9-]+-)[0-9a-f]{8}");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .enable(SerializationFeature.INDENT_OUTPUT);

  private static SynthesizedApp synthesized;

  @BeforeAll
  static void synth() throws IOException {
    synthesized = SynthesizedApp.get();
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      write();
    }
  }

  static Stream<String> templates() {
    return SynthesizedApp.get().templateFiles().stream().map(TemplateSnapshotTest::name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("templates")
  void theTemplateMatchesItsReviewedSnapshot(String name) throws IOException {
    Path snapshot = SNAPSHOTS.resolve(name);
    String actual = normalise(Files.readString(synthesized.outdir.resolve(name)));
    if (!Files.exists(snapshot)) {
      fail("no snapshot for %s: review the template, then run %s to record it", name, UPDATE_COMMAND);
    }
    String expected = Files.readString(snapshot);
    if (!expected.equals(actual)) {
      fail("%s differs from its snapshot %s at line %d:%n  snapshot: %s%n  now:      %s%n"
              + "If the change is intended, review the whole diff, then run %s and commit the snapshots.",
          name, SynthesizedApp.ROOT.relativize(snapshot), firstDifference(expected, actual) + 1,
          line(expected, firstDifference(expected, actual)), line(actual, firstDifference(expected, actual)),
          UPDATE_COMMAND);
    }
  }

  @Test
  void thereIsNoSnapshotOfATemplateTheAppNoLongerSynthesizes() throws IOException {
    TreeSet<String> recorded = new TreeSet<>();
    try (Stream<Path> files = Files.walk(SNAPSHOTS)) {
      files.filter(f -> f.toString().endsWith(".template.json"))
          .forEach(f -> recorded.add(SNAPSHOTS.relativize(f).toString()));
    }
    assertThat(recorded)
        .as("snapshots in %s (run %s to drop stale ones)", SNAPSHOTS, UPDATE_COMMAND)
        .isEqualTo(new TreeSet<>(templates().toList()));
  }

  @Test
  void normalisingSortsKeysAndReplacesOnlyBuildDependentHashes() {
    String template = "{\"Resources\": {\"Vpc8378EB38\": {\"Type\": \"AWS::EC2::VPC\"}, "
        + "\"GuardFunctionCurrentVersion0D95E4B7cec6243a8ad28cbfbf90da9c7c9b1aa8\": {\"Type\": \"AWS::Lambda::Version\"}},"
        + " \"Code\": \"" + "ab".repeat(32) + ".jar\", \"Image\": \"nginx@sha256:" + "cd".repeat(32) + "\"}";
    assertThat(normalise(template)).isEqualTo(String.join(System.lineSeparator(),
        "{",
        "  \"Code\" : \"" + ASSET + ".jar\",",
        "  \"Image\" : \"nginx@sha256:" + "cd".repeat(32) + "\",",
        "  \"Resources\" : {",
        "    \"GuardFunctionCurrentVersion0D95E4B7" + VERSION + "\" : {",
        "      \"Type\" : \"AWS::Lambda::Version\"",
        "    },",
        "    \"Vpc8378EB38\" : {",
        "      \"Type\" : \"AWS::EC2::VPC\"",
        "    }",
        "  }",
        "}") + "\n");
  }

  /** Keys sorted (their order means nothing to CloudFormation), build-dependent hashes replaced. */
  static String normalise(String template) {
    String out;
    try {
      out = JSON.writeValueAsString(JSON.readValue(template, Object.class));
    } catch (IOException e) {
      throw new UncheckedIOException("not a JSON template", e);
    }
    out = ASSET_HASH.matcher(out).replaceAll(ASSET);
    out = VERSION_ID.matcher(out).replaceAll("$1" + VERSION);
    out = DESTINATION.matcher(out).replaceAll("$1" + DEST);
    return out + "\n";
  }

  /** Rewrites every snapshot from the current synthesis (only with -Dsnapshots.update=true). */
  private static void write() throws IOException {
    if (Files.isDirectory(SNAPSHOTS)) {
      try (Stream<Path> files = Files.walk(SNAPSHOTS)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.delete(f);
        }
      }
    }
    for (Path file : synthesized.templateFiles()) {
      Path target = SNAPSHOTS.resolve(name(file));
      Files.createDirectories(target.getParent());
      Files.writeString(target, normalise(Files.readString(file)), StandardCharsets.UTF_8);
    }
  }

  private static String name(Path templateFile) {
    return SynthesizedApp.get().outdir.relativize(templateFile).toString();
  }

  private static int firstDifference(String a, String b) {
    List<String> x = a.lines().toList();
    List<String> y = b.lines().toList();
    int i = 0;
    while (i < x.size() && i < y.size() && x.get(i).equals(y.get(i))) {
      i++;
    }
    return i;
  }

  private static String line(String text, int index) {
    List<String> lines = text.lines().toList();
    return index < lines.size() ? lines.get(index).strip() : "(end of file)";
  }
}
