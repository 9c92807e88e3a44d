package io.gitops.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * The AWS CLI for tests that run shell scripts (the buildspecs' steps) calling {@code aws} dozens of times.
 *
 * <p>Each {@code aws} process spends about 0.4 s of CPU, most of it importing botocore and the CLI. This
 * starts {@code aws_cli_server.py}, which imports them once and serves every call from a forked child, and
 * writes an {@code aws} shim to put first on the script's {@code PATH} ({@link #path(String)}). The script
 * still runs the installed CLI's own entry point with its own arguments, environment and streams, once per
 * call; a call costs about half the CPU and a fraction of the wall time.
 *
 * <p>Needs the Python that has the {@code awscli} package (the one behind the {@code aws} on {@code PATH}).
 */
public final class AwsCli implements AutoCloseable {
  private static final long READY_SECONDS = 60;

  private final Process server;
  private final Path dir;

  private AwsCli(Process server, Path dir) {
    this.server = server;
    this.dir = dir;
  }

  /** Why the CLI cannot be served, in one line. */
  public static final class Unavailable extends IllegalStateException {
    Unavailable(String message) {
      super(message);
    }
  }

  /** Starts the server and writes the shim; the caller closes it. */
  public static AwsCli start() {
    String python = pythonWithAwsCli();
    Path dir;
    try {
      dir = Files.createTempDirectory("gitops-aws-cli");
      Path socket = dir.resolve("cli.sock");
      Path server = dir.resolve("aws_cli_server.py");
      copy("aws_cli_server.py", server);
      String shim = "#!" + python + " -S\nSOCKET = " + pythonString(socket.toString()) + "\n" + resource("aws_cli_shim.py");
      Path aws = Files.writeString(Files.createDirectories(dir.resolve("bin")).resolve("aws"), shim, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
      Process p = new ProcessBuilder(python, server.toString(), socket.toString())
          .redirectError(dir.resolve("server.log").toFile())
          .start();
      awaitReady(p, dir);
      return new AwsCli(p, dir);
    } catch (IOException e) {
      throw new Unavailable("cannot start the AWS CLI server: " + e.getMessage());
    }
  }

  /** {@code path} with the shim's folder first: the value to give a script's {@code PATH}. */
  public String path(String path) {
    return dir.resolve("bin") + File.pathSeparator + path;
  }

  @Override
  public void close() {
    server.destroy();
    try {
      if (!server.waitFor(3, TimeUnit.SECONDS)) server.destroyForcibly();
    } catch (InterruptedException e) {
      server.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    TempFolders.delete(dir);
  }

  /** The interpreter that imports awscli: the one behind the {@code aws} command. */
  private static String pythonWithAwsCli() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import awscli, sys; print(sys.executable)")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.waitFor() != 0 || out.isEmpty()) {
        throw new Unavailable("the AWS CLI is not installed for python3 (pip's awscli): " + out.lines().reduce((a, b) -> b).orElse(""));
      }
      return out;
    } catch (IOException e) {
      throw new Unavailable("python3 is not on PATH: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while looking for the AWS CLI");
    }
  }

  private static void awaitReady(Process p, Path dir) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
    // readLine blocks until the server prints "ready" or exits; the deadline guards a server that hangs.
    Thread watchdog = new Thread(() -> {
      try {
        if (!p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "aws-cli-server-start");
    watchdog.setDaemon(true);
    watchdog.start();
    String line = out.readLine();
    watchdog.interrupt();
    if (!"ready".equals(line)) {
      p.destroyForcibly();
      throw new Unavailable("the AWS CLI server did not start; see " + dir.resolve("server.log"));
    }
  }

  private static void copy(String name, Path to) throws IOException {
    Files.writeString(to, resource(name), StandardCharsets.UTF_8);
  }

  private static String resource(String name) {
    try (InputStream in = AwsCli.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String pythonString(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
