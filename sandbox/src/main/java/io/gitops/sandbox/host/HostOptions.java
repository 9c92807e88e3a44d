package io.gitops.sandbox.host;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How the host runs functions on this machine.
 *
 * @param endpoint where the functions' SDK calls go (the host's proxy in front of the emulator), or empty
 * @param timeScale multiplies Lambda's retry delays (1 minute, then 2): 1.0 is Lambda's pace, 0.001 a test's
 * @param runtimeClasspath the runtime interface client and its dependencies (never the function's code)
 * @param functionLog where the functions' stdout and stderr go (CloudWatch Logs' part)
 */
public record HostOptions(
    String region,
    Optional<URI> endpoint,
    double timeScale,
    List<Path> runtimeClasspath,
    Path functionLog,
    int heapPercent,
    List<String> extraJvmOptions,
    Path workDir) {

  /** The emulator's account (moto's), used in ARNs. */
  public static final String ACCOUNT = System.getProperty("gitops.sandbox.account", "123456789012");

  /**
   * Lambda's Init phase limit for on-demand environments is 10 seconds; a SnapStart version initialises when it
   * is published, with a longer limit. This machine is shared and slow, so both get head room.
   */
  static final Duration ON_DEMAND_INIT = Duration.ofSeconds(30);
  static final Duration SNAPSTART_INIT = Duration.ofSeconds(60);

  public HostOptions {
    runtimeClasspath = List.copyOf(runtimeClasspath);
    extraJvmOptions = List.copyOf(extraJvmOptions);
  }

  /** Defaults: us-east-1, Lambda's pace, the runtime client from this JVM's class path, heap 85% of memory. */
  public static HostOptions defaults(Optional<URI> endpoint, Path functionLog) {
    try {
      Path work = Files.createTempDirectory("gitops-host");
      return new HostOptions("us-east-1", endpoint, 1.0, runtimeClientClasspath(), functionLog, 85, List.of(), work);
    } catch (IOException e) {
      throw new HostException("cannot create the host's work directory: " + e.getMessage());
    }
  }

  public HostOptions withTimeScale(double scale) {
    return new HostOptions(region, endpoint, scale, runtimeClasspath, functionLog, heapPercent, extraJvmOptions, workDir);
  }

  public HostOptions withEndpoint(Optional<URI> e) {
    return new HostOptions(region, e, timeScale, runtimeClasspath, functionLog, heapPercent, extraJvmOptions, workDir);
  }

  public HostOptions withJvmOptions(List<String> options) {
    return new HostOptions(region, endpoint, timeScale, runtimeClasspath, functionLog, heapPercent, options, workDir);
  }

  Duration initTimeout(FunctionSpec spec) {
    return spec.snapStart() ? SNAPSTART_INIT : ON_DEMAND_INIT;
  }

  Duration scaled(Duration d) {
    return Duration.ofMillis(Math.max(1, Math.round(d.toMillis() * timeScale)));
  }

  /**
   * The task root ({@code LAMBDA_TASK_ROOT}, the runtime's working directory): the deployment package as
   * Lambda unpacks a jar's dependencies, {@code lib/<code>.jar}, or a directory of classes as is.
   */
  Path taskRoot(FunctionSpec spec) {
    if (Files.isDirectory(spec.code())) return spec.code().toAbsolutePath();
    Path jar = spec.code().toAbsolutePath();
    Path root = workDir.resolve("task-" + Integer.toHexString(jar.toString().hashCode()));
    synchronized (HostOptions.class) {
      try {
        if (!Files.isDirectory(root)) {
          Path lib = Files.createDirectories(root.resolve("lib"));
          String file = jar.getFileName().toString();
          Files.createSymbolicLink(lib.resolve(file.endsWith(".jar") ? file : "code.jar"), jar);
        }
        return root;
      } catch (IOException e) {
        throw new HostException("cannot lay out the task root for " + jar + ": " + e.getMessage());
      }
    }
  }

  /** Removes the work directory (task roots hold links to the code, never the code itself). */
  void deleteWorkDir() {
    io.gitops.testing.TempFolders.delete(workDir);
  }

  /**
   * The runtime interface client's jars and its three dependencies, from this JVM's class path. Found by
   * artifact name, not by class: the function's shaded jar may carry some of the same classes.
   */
  static List<Path> runtimeClientClasspath() {
    List<String> artifacts = List.of("aws-lambda-java-runtime-interface-client-", "aws-lambda-java-core-",
        "aws-lambda-java-serialization-", "utils-lite-");
    List<Path> out = new ArrayList<>();
    String[] entries = System.getProperty("java.class.path", "").split(java.io.File.pathSeparator);
    for (String a : artifacts) {
      Path found = null;
      for (String e : entries) {
        Path p = Path.of(e);
        if (p.getFileName() != null && p.getFileName().toString().startsWith(a) && e.endsWith(".jar")) {
          found = p.toAbsolutePath();
          break;
        }
      }
      if (found == null) {
        throw new HostException("the runtime interface client is not on the class path (no " + a + "*.jar): build the"
            + " sandbox module (mvn -pl sandbox -am package)");
      }
      out.add(found);
    }
    return out;
  }
}
