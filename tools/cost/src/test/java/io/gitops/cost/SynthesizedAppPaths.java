package io.gitops.cost;

import java.nio.file.Path;

final class SynthesizedAppPaths {
  static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  static final Path PRICES = ROOT.resolve("docs/pricing/us-east-1.json");

  private SynthesizedAppPaths() {}
}
