package io.gitops.sandbox.cli;

import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.sim.pipeline.FirstRun;
import io.gitops.testing.AwsCli;
import io.gitops.testing.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code bin/gitops first-run [--cdk-out DIR] [--push-only]}: the pipeline's first run into empty emulated
 * accounts on a moto_server of its own (127.0.0.1, a free port), ending with one push to dev in dev's account
 * ({@link FirstPush}; the JVM runs with {@value io.gitops.sandbox.aws.Emulator#ACCOUNT_PROPERTY} set to dev's
 * account, which bin/commands/first-run.sh reads from the assembly). {@code --push-only}: that push alone. Prints each stack and step with its outcome; exit 0 when the
 * whole run passed, 1 naming the first blocker, 2 for bad input or a missing tool.
 */
public final class FirstRunCli {
  private FirstRunCli() {}

  public static void main(String[] args) {
    Path cdkOut = Path.of("cdk.out");
    boolean pushOnly = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--cdk-out") && i + 1 < args.length) {
        cdkOut = Path.of(args[++i]);
      } else if (args[i].equals("--push-only")) {
        pushOnly = true;
      } else {
        System.err.println("first-run: unknown argument '" + args[i] + "' (usage: first-run [--cdk-out DIR] [--push-only])");
        System.exit(2);
      }
    }
    if (!Files.isRegularFile(cdkOut.resolve("manifest.json"))) {
      System.err.println("first-run: no cloud assembly at " + cdkOut + " (run 'bin/gitops synth')");
      System.exit(2);
    }
    long t0 = System.nanoTime();
    FirstRun.Result r;
    Path out = cdkOut;
    if (pushOnly) {
      // The last step alone: dev's stage provisioned into its own account and one push judged.
      try {
        String why = FirstPush.run(cdkOut, io.gitops.sandbox.aws.Emulator.ACCOUNT, System.out);
        System.out.println(why == null ? "first push judged HEALTHY" : "first push: " + why);
        System.exit(why == null ? 0 : 1);
      } catch (SandboxException | MotoServer.StartFailure e) {
        System.err.println("first-run: " + e.getMessage());
        System.exit(2);
      }
      return;
    }
    try (MotoServer moto = MotoServer.start(); AwsCli cli = AwsCli.start()) {
      r = new FirstRun(cdkOut, Path.of("").toAbsolutePath(), moto.endpoint(),
          FirstRun.bash(Path.of("").toAbsolutePath(), cli::path, 300), System.out)
          .withFirstPush(dev -> FirstPush.run(out, dev, System.out)).run();
    } catch (SandboxException | MotoServer.StartFailure | AwsCli.Unavailable e) {
      System.err.println("first-run: " + e.getMessage());
      System.exit(2);
      return;
    }
    double s = (System.nanoTime() - t0) / 1e9;
    if (r.passed()) {
      System.out.printf("first-run passed in %.1f s%n", s);
      System.exit(0);
    }
    System.out.printf("first-run stopped after %.1f s%n", s);
    System.err.println("first-run: " + r.blocker());
    System.exit(1);
  }
}
