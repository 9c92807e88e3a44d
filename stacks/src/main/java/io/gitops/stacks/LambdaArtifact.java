package io.gitops.stacks;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the deployers' shaded jar is: the system property {@code gitops.lambdaJar} when set (the
 * app launcher sets it), otherwise {@code lambdas/target/gitops-lambdas.jar} under the project root,
 * found by walking up from the working directory to the folder holding {@code cdk.json}.
 */
public final class LambdaArtifact {

  public static final String PROPERTY = "gitops.lambdaJar";
  public static final String RELATIVE_PATH = "lambdas/target/gitops-lambdas.jar";

  private LambdaArtifact() {}

  public static Path locate() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("cdk.json"))) {
        return dir.resolve(RELATIVE_PATH);
      }
    }
    throw new IllegalStateException("cannot find the project root (a folder with cdk.json) above "
        + Path.of("").toAbsolutePath() + "; set -D" + PROPERTY + "=PATH to the Lambda jar");
  }
}
