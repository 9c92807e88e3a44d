package io.gitops.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Temporary folders the tests and the sandbox make (synth outputs, task roots, the CLI server's socket). */
public final class TempFolders {
  private TempFolders() {}

  /** Deletes {@code dir} and everything below it, as far as it can: a folder left in /tmp is harmless. */
  public static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort: a file vanished or the folder was never made
    }
  }
}
