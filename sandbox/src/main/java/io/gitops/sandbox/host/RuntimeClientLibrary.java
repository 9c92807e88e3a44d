package io.gitops.sandbox.host;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The runtime interface client's native library, unpacked once per host into a private directory.
 *
 * <p>Left to itself, the client (2.10.1, {@code JniHelper}) copies the library to the fixed path
 * {@code /tmp/.libaws-lambda-jni.so} with REPLACE_EXISTING and loads it from there. On Lambda one
 * environment owns {@code /tmp}; here several function JVMs start at once on one machine, and a JVM that
 * maps the file while another rewrites it dies with SIGBUS in the dynamic loader. The client loads the
 * library from the path in {@link #PROPERTY} instead when that property is set, so each JVM gets it.
 */
final class RuntimeClientLibrary {
  static final String PROPERTY = "com.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI";

  private static Optional<Path> unpacked;

  private RuntimeClientLibrary() {}

  /** The {@code -D} option that points the client at the private copy, or empty where none fits. */
  static synchronized Optional<String> jvmOption(List<Path> runtimeClasspath) {
    if (unpacked == null) {
      unpacked = unpack(runtimeClasspath);
    }
    return unpacked.map(path -> "-D" + PROPERTY + "=" + path);
  }

  private static Optional<Path> unpack(List<Path> runtimeClasspath) {
    String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch_64";
      default -> null;
    };
    if (arch == null || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return Optional.empty(); // the client reports an unsupported platform itself
    }
    String resource = "jni/libaws-lambda-jni.linux-" + arch + ".so";
    URL[] urls = runtimeClasspath.stream().map(RuntimeClientLibrary::url).toArray(URL[]::new);
    try (URLClassLoader loader = new URLClassLoader(urls, null);
        InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      Path dir = Files.createTempDirectory("gitops-ric-");
      dir.toFile().deleteOnExit();
      Path target = dir.resolve("libaws-lambda-jni.so");
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      target.toFile().deleteOnExit();
      return Optional.of(target);
    } catch (IOException e) {
      throw new HostException("cannot unpack the runtime interface client's native library: " + e.getMessage());
    }
  }

  private static URL url(Path path) {
    try {
      return path.toUri().toURL();
    } catch (IOException e) {
      throw new HostException("bad runtime classpath entry " + path + ": " + e.getMessage());
    }
  }
}
