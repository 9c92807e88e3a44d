package io.gitops.sandbox.cli;

import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.testing.MotoServer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The first run's last step: one push to dev, deployed by the image deployer and judged by the guard, both run
 * by the local Lambda host, with the task simulator playing ECS, all inside dev's emulated account (a
 * moto_server whose default account is dev's, and the sandbox's ARNs in that account:
 * {@value Emulator#ACCOUNT_PROPERTY}).
 */
public final class FirstPush {
  private FirstPush() {}

  public static final String SERVICE = "bff";
  public static final String TAG = "1.0.1";

  /** Null when the push was rolled out and judged HEALTHY in the dev account, else why not (one line). */
  public static String run(Path cdkOut, String devAccount, PrintStream out) {
    if (!Emulator.ACCOUNT.equals(devAccount)) {
      return "the sandbox runs in account " + Emulator.ACCOUNT + ", not dev's " + devAccount + " (start the JVM with -D"
          + Emulator.ACCOUNT_PROPERTY + "=" + devAccount + ")";
    }
    CloudAssembly assembly = CloudAssembly.load(cdkOut, "dev");
    try (MotoServer moto = MotoServer.startInAccount(devAccount)) {
      SandboxState state = SandboxState.provision(assembly, moto.endpoint(), 0);
      Path log = Files.createTempFile("gitops-first-push", ".log");
      try (Sandbox sandbox = new Sandbox(state, log, Clock.systemUTC())) {
        sandbox.publishSnapStartVersions();
        Sandbox.Push push = sandbox.push(SERVICE, TAG, false);
        List<Sandbox.Delivery> d = sandbox.deliver(push.event());
        for (Sandbox.Delivery x : d) out.println("    " + x.function() + ": " + x.action() + " (" + x.reason() + ")");
        String status = Views.status(sandbox, sandbox.service(SERVICE), push.digest());
        String account = sandbox.service(SERVICE).repositoryUri().split("\\.")[0];
        out.println("  push " + SERVICE + ":" + TAG + " to dev (" + account + "): ledger " + status);
        if (!"HEALTHY".equals(status)) return "push " + SERVICE + ":" + TAG + " to dev was judged " + status + ", not HEALTHY";
        if (!account.equals(devAccount)) return "push " + SERVICE + ":" + TAG + " landed in account " + account + ", not dev's";
        return null;
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (java.io.IOException e) {
      throw new SandboxException("first push: " + e.getMessage());
    }
  }
}
