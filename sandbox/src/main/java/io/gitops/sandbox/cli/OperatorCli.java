package io.gitops.sandbox.cli;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.Deployment;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.Ledger;
import io.gitops.lambdas.core.Notifier;
import io.gitops.lambdas.core.ReleaseParameters;
import io.gitops.lambdas.core.ServiceTarget;
import io.gitops.lambdas.release.DeploymentRecord;
import io.gitops.lambdas.release.Dora;
import io.gitops.lambdas.release.Freezes;
import io.gitops.lambdas.release.ManualRollback;
import io.gitops.lambdas.release.RollbackRefused;
import io.gitops.sandbox.Sandbox;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.SandboxState;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.testing.MotoServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecs.model.Service;

/**
 * {@code bin/gitops release status|history|rollback|freeze|unfreeze} and {@code bin/gitops dora}: the operator's
 * levers and measures, through the ledger (docs/ledger.md, docs/dora.md). Against the running sandbox when it runs
 * ENV; otherwise against the account of the current AWS credentials (the SDK's default chain), whose wiring the
 * deployment stack publishes in the SSM parameter {@code /gitops/ENV/operator/wiring}. Errors: one line on stderr;
 * exit 2 for bad input and refusals, 1 when the same command can succeed later (the service is busy) or on an
 * unexpected failure.
 */
public final class OperatorCli {
  static final String RELEASE_USAGE = "usage: gitops release status ENV | history ENV SERVICE"
      + " | rollback ENV SERVICE [--to DIGEST] | freeze ENV [SERVICE] --reason TEXT | unfreeze ENV [SERVICE]"
      + " | redrive ENV [--dry-run]";
  static final String DORA_USAGE = "usage: gitops dora ENV [--days N]";
  private static final Pattern ENV = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  /** Where a command acts: the environment's wiring and clients, and the sandbox when it runs ENV. */
  public record Target(String env, LambdaConfig config, AwsClients clients, Map<String, ServiceTarget> services,
      Optional<Sandbox> sandbox, boolean ownsSandbox) implements AutoCloseable {
    ServiceTarget service(String name) {
      ServiceTarget t = services.get(name);
      if (t == null) {
        throw new SandboxException("unknown service '" + name + "' in " + env + " (known: "
            + String.join(", ", services.keySet()) + ")");
      }
      return t;
    }

    @Override
    public void close() {
      if (ownsSandbox) sandbox.ifPresent(Sandbox::close);
    }
  }

  private final Path stateDir;
  private final PrintStream out;
  private final Clock clock;
  private final Function<String, Target> aws;

  public OperatorCli(Path stateDir, PrintStream out, Clock clock, Function<String, Target> aws) {
    this.stateDir = stateDir;
    this.out = out;
    this.clock = clock;
    this.aws = aws;
  }

  public static void main(String[] args) {
    System.exit(run(args, Path.of(System.getProperty("gitops.sandbox.dir", ".sandbox")), System.out, System.err));
  }

  static int run(String[] args, Path stateDir, PrintStream out, PrintStream err) {
    return run(args, new OperatorCli(stateDir, out, Clock.systemUTC(), AwsWiring::open), err);
  }

  /** With {@code cli}'s own state directory and fallback target (tests hand it a sandbox they hold). */
  public static int run(String[] args, OperatorCli cli, PrintStream err) {
    String command = args.length == 0 ? "" : args[0];
    String[] rest = args.length == 0 ? args : java.util.Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (command) {
        case "release" -> cli.release(rest);
        case "dora" -> cli.dora(rest);
        default -> throw new SandboxException("unknown command '" + command + "'");
      }
      return 0;
    } catch (SandboxException | MotoServer.StartFailure e) {
      err.println("gitops " + command + ": " + oneLine(e.getMessage()));
      return 2;
    } catch (RedriveIncomplete e) {
      err.println("gitops " + command + ": " + oneLine(e.getMessage()));
      return 1;
    } catch (RollbackRefused e) {
      err.println("gitops " + command + ": " + oneLine(e.getMessage()));
      return e.retryLater() ? 1 : 2;
    } catch (SdkException e) {
      err.println("gitops " + command + ": AWS call failed: " + oneLine(e.getMessage()));
      return 1;
    } catch (RuntimeException e) {
      err.println("gitops " + command + ": unexpected " + e.getClass().getSimpleName() + ": " + oneLine(e.getMessage()));
      return 1;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // release

  void release(String[] args) {
    if (args.length == 0) throw new SandboxException(RELEASE_USAGE);
    String sub = args[0];
    List<String> positional = new ArrayList<>();
    String to = null;
    String reason = null;
    boolean dryRun = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--dry-run" -> dryRun = true;
        case "--to" -> to = value(args, ++i, "--to");
        case "--reason" -> reason = value(args, ++i, "--reason");
        default -> {
          if (args[i].startsWith("-")) throw new SandboxException("unexpected option '" + args[i] + "'; " + RELEASE_USAGE);
          positional.add(args[i]);
        }
      }
    }
    if (dryRun && !sub.equals("redrive")) throw new SandboxException("--dry-run applies to 'redrive' only; " + RELEASE_USAGE);
    switch (sub) {
      case "redrive" -> {
        expect(positional, 1, 1, "redrive needs ENV");
        noOption(to, "--to", sub);
        noOption(reason, "--reason", sub);
        try (Target t = open(positional.get(0))) {
          int left = redrive(t).run(t.env(), dryRun);
          if (!dryRun && left > 0) {
            throw new RedriveIncomplete(left + " event(s) still parked in " + t.env()
                + "'s on-failure queues: fix what fails them (see each line above), then redrive again");
          }
        }
      }
      case "status" -> {
        expect(positional, 1, 1, "status needs ENV");
        noOption(to, "--to", sub);
        noOption(reason, "--reason", sub);
        try (Target t = open(positional.get(0))) {
          status(t);
        }
      }
      case "history" -> {
        expect(positional, 2, 2, "history needs ENV and SERVICE");
        noOption(to, "--to", sub);
        noOption(reason, "--reason", sub);
        try (Target t = open(positional.get(0))) {
          history(t, t.service(positional.get(1)));
        }
      }
      case "rollback" -> {
        expect(positional, 2, 2, "rollback needs ENV and SERVICE");
        noOption(reason, "--reason", sub);
        ManualRollback.checkDigest(to);
        try (Target t = open(positional.get(0))) {
          rollback(t, t.service(positional.get(1)), to);
        }
      }
      case "freeze" -> {
        expect(positional, 1, 2, "freeze needs ENV and optionally SERVICE");
        noOption(to, "--to", sub);
        if (reason == null || reason.isBlank()) throw new SandboxException("freeze needs --reason TEXT; " + RELEASE_USAGE);
        try (Target t = open(positional.get(0))) {
          ServiceTarget s = positional.size() > 1 ? t.service(positional.get(1)) : null;
          freezes(t).freeze(s == null ? null : s.service(), reason.strip(), operator());
          out.println("froze " + (s == null ? "every service" : positional.get(1)) + " in " + t.env() + ": later pushes"
              + " are recorded FROZEN and not rolled out; the guard keeps guarding what runs");
        }
      }
      case "unfreeze" -> {
        expect(positional, 1, 2, "unfreeze needs ENV and optionally SERVICE");
        noOption(to, "--to", sub);
        noOption(reason, "--reason", sub);
        try (Target t = open(positional.get(0))) {
          ServiceTarget s = positional.size() > 1 ? t.service(positional.get(1)) : null;
          String what = s == null ? t.env() : positional.get(1) + " in " + t.env();
          if (!freezes(t).unfreeze(s == null ? null : s.service())) {
            throw new SandboxException(what + " is not frozen" + (s == null ? " as a whole" : "")
                + " (see 'release status " + t.env() + "')");
          }
          out.println("unfroze " + what + "; frozen pushes are not replayed: roll the newest out with 'release rollback "
              + t.env() + " SERVICE --to DIGEST' or push again");
        }
      }
      case "-h", "--help", "help" -> out.println(RELEASE_USAGE);
      default -> throw new SandboxException("unknown subcommand '" + sub + "'; " + RELEASE_USAGE);
    }
  }

  private void status(Target t) {
    Ledger ledger = ledger(t);
    Map<String, String> frozen = new LinkedHashMap<>();
    for (Freezes.Freeze f : freezes(t).list()) {
      frozen.put(f.service() == null ? "*" : f.service(), f.reason() + " (since " + f.frozenAt() + ", " + f.frozenBy() + ")");
    }
    out.println("environment " + t.env() + (t.sandbox().isPresent() ? " (sandbox at " + t.sandbox().get().state().endpoint()
        + ")" : "") + (frozen.containsKey("*") ? ": FROZEN: " + frozen.get("*") : ""));
    String fmt = "%-10s %-8s %-22s %-12s %-10s %s%n";
    out.printf(fmt, "SERVICE", "REVISION", "DIGEST", "LEDGER", "TAG", "FROZEN");
    for (Map.Entry<String, ServiceTarget> e : t.services().entrySet()) {
      ServiceTarget s = e.getValue();
      List<Service> found = t.clients().ecs().describeServices(b -> b.cluster(s.cluster()).services(s.service())).services();
      String revision = "-";
      String digest = "-";
      String status = "-";
      String tag = "-";
      if (!found.isEmpty()) {
        String arn = found.get(0).taskDefinition();
        revision = "rev " + arn.substring(arn.lastIndexOf(':') + 1);
        String image = io.gitops.lambdas.core.TaskDefinitions.imageOf(t.clients().ecs()
            .describeTaskDefinition(b -> b.taskDefinition(arn)).taskDefinition(), s.container());
        Optional<String> d = ReleaseParameters.digestOf(image);
        digest = d.map(Views::shortDigest).orElse(image);
        Optional<Deployment> dep = d.flatMap(x -> ledger.find(s.service(), x));
        status = dep.map(x -> x.status().name()).orElse("(none)");
        tag = dep.map(Deployment::tag).filter(x -> !x.isEmpty()).orElse("-");
      }
      String f = frozen.containsKey(s.service()) ? "yes: " + frozen.get(s.service()) : frozen.containsKey("*") ? "yes (environment)" : "no";
      out.printf(fmt, e.getKey(), revision, digest, status, tag, f);
    }
  }

  private void history(Target t, ServiceTarget s) {
    String fmt = "%-20s %-12s %-72s %-12s %s%n";
    out.printf(fmt, "PUSHED", "TAG", "DIGEST", "STATUS", "LAST REASON");
    for (Deployment d : ledger(t).history(s.service())) {
      String last = d.reasons().isEmpty() ? "" : Views.trim(d.reasons().get(d.reasons().size() - 1));
      out.printf(fmt, d.pushTime() == null ? "-" : d.pushTime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
          d.tag() == null || d.tag().isEmpty() ? "-" : d.tag(), d.digest(), d.status(), last);
    }
  }

  private void rollback(Target t, ServiceTarget s, String to) {
    AwsClients clients = t.sandbox().map(Sandbox::operatorClients).orElse(t.clients());
    ManualRollback rollback = new ManualRollback(clients.dynamo(), t.config().ledgerTable(), clients.ecs(),
        new ReleaseParameters(clients.ssm()), new Notifier(clients.sns(), t.config().alarmTopicArn()), clock,
        t.config().lockLease(), t.config().environmentName());
    ManualRollback.Result r = rollback.rollback(s, to, operator());
    out.printf("rolled %s %s from %s to %s (%s, was %s): revision %s, release parameter %s restored, notification sent%n",
        t.env(), s.container(), r.fromDigest() == null ? "-" : Views.shortDigest(r.fromDigest()),
        Views.shortDigest(r.toDigest()), r.toTag() == null || r.toTag().isEmpty() ? "no tag" : r.toTag(),
        r.targetStatus(), Views.shortArn(r.revision()), s.releaseParameter());
    if (!r.ledgerUpdated()) {
      out.println("warning: the lock lapsed before the ledger was written; ECS and the release parameter are rolled back,"
          + " the ledger is not: check 'release history'");
    }
    t.sandbox().ifPresent(sb -> Views.fold(sb.settle()).forEach(l -> out.println("  " + l)));
  }

  // ------------------------------------------------------------------------------------------------
  // dora

  void dora(String[] args) {
    List<String> positional = new ArrayList<>();
    int days = 30;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--days")) {
        String v = value(args, ++i, "--days");
        try {
          days = Integer.parseInt(v);
        } catch (NumberFormatException e) {
          throw new SandboxException("--days needs a whole number of days, not '" + v + "'");
        }
        if (days < 1 || days > 3660) throw new SandboxException("--days must be between 1 and 3660, not " + days);
      } else if (args[i].equals("-h") || args[i].equals("--help")) {
        out.println(DORA_USAGE);
        return;
      } else if (args[i].startsWith("-")) {
        throw new SandboxException("unexpected option '" + args[i] + "'; " + DORA_USAGE);
      } else {
        positional.add(args[i]);
      }
    }
    if (positional.size() != 1) throw new SandboxException("dora needs ENV; " + DORA_USAGE);
    Instant now = clock.instant();
    Instant from = now.minus(Duration.ofDays(days));
    try (Target t = open(positional.get(0))) {
      out.printf("DORA measures for %s over the last %d day(s) (%s → %s), from the ledger %s; definitions in docs/dora.md%n",
          t.env(), days, from.truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
          now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), t.config().ledgerTable());
      String fmt = "%-10s %-22s %-26s %-18s %-26s %s%n";
      out.printf(fmt, "SERVICE", "DEPLOYMENT FREQUENCY", "CHANGE LEAD TIME", "CHANGE FAIL RATE",
          "FAILED DEPLOY RECOVERY", "DEPLOYMENT REWORK RATE");
      List<DeploymentRecord> all = new ArrayList<>();
      for (Map.Entry<String, ServiceTarget> e : t.services().entrySet()) {
        List<DeploymentRecord> records = DeploymentRecord.read(t.clients().dynamo(), t.config().ledgerTable(),
            e.getValue().service());
        all.addAll(records);
        row(fmt, e.getKey(), Dora.compute(records, from, now));
      }
      row(fmt, "total", Dora.compute(all, from, now));
      out.println("change lead time is push → HEALTHY; commit → deploy is not recorded: the pipeline writes no commit"
          + " time to the ledger (docs/dora.md)");
    }
  }

  private void row(String fmt, String name, Dora.Measures m) {
    out.printf(fmt, name,
        String.format("%.2f/day (%d)", m.deploymentFrequency(), m.deployments()),
        m.medianLeadTime().map(d -> "median " + Dora.format(d) + " (" + m.leadTimeSamples() + ")").orElse("-"),
        m.changeFailRate().map(r -> String.format("%.0f%% (%d/%d)", r * 100, m.failedRollouts(), m.rollouts())).orElse("-"),
        m.medianRecovery().map(d -> "median " + Dora.format(d) + " (" + m.recoverySamples() + ")").orElse("-")
            + (m.unrecovered() > 0 ? ", " + m.unrecovered() + " open" : ""),
        m.reworkRate().map(r -> String.format("%.0f%% (%d/%d)", r * 100, m.rework(), m.deployments())).orElse("-"));
  }

  // ------------------------------------------------------------------------------------------------

  /** The sandbox when it is up and runs ENV; otherwise the account of the current credentials. */
  Target open(String env) {
    if (!ENV.matcher(env).matches()) {
      throw new SandboxException("malformed environment name '" + env + "' (lower-case letters, digits, '-')");
    }
    Path file = stateDir.resolve("state.json");
    if (Files.isRegularFile(file)) {
      SandboxState state = SandboxState.load(file);
      if (state.stage().equals(env)) {
        Emulator.requireRunning(state.endpoint());
        Sandbox sandbox = new Sandbox(state, new PrintStream(OutputStream.nullOutputStream()), clock);
        Map<String, String> fnEnv = state.environments().values().stream()
            .filter(e -> e.containsKey(io.gitops.contract.EnvVar.SERVICE_MAP)).findFirst().orElse(Map.of());
        LambdaConfig config = LambdaConfig.from(Sandbox.functionEnv(fnEnv, state.endpoint()));
        return new Target(env, config, sandbox.emulator().clients(), sandbox.services(), Optional.of(sandbox), true);
      }
    }
    return aws.apply(env);
  }

  /** Events that failed again: the same command can succeed once what fails them is fixed. */
  static final class RedriveIncomplete extends RuntimeException {
    RedriveIncomplete(String message) {
      super(message);
    }
  }

  /**
   * The sandbox's functions through its Lambda host (one synchronous invocation, then the rollouts it starts until
   * the simulator is idle), or the account's through Lambda and SQS ({@link AwsWiring#redrive}).
   */
  private Redrive redrive(Target t) {
    if (t.sandbox().isEmpty()) return AwsWiring.redrive(t.env(), out);
    Sandbox sb = t.sandbox().get();
    var sqs = sb.emulator().sqs();
    List<Redrive.Function> fns = new ArrayList<>();
    for (String fn : sb.host().functions()) {
      Optional<String> arn = sb.host().spec(fn).onFailureQueueArn();
      if (arn.isEmpty()) continue;
      String queue = sqs.getQueueUrl(b -> b.queueName(arn.get().substring(arn.get().lastIndexOf(':') + 1))).queueUrl();
      fns.add(new Redrive.Function() {
        public String name() {
          return fn;
        }

        public String queueUrl() {
          return queue;
        }

        public Redrive.Outcome invoke(byte[] event, String target, PrintStream print) {
          io.gitops.sandbox.host.LambdaHost.SyncOutcome o = sb.host().invoke(fn, event);
          Redrive.Outcome r = new Redrive.Outcome(o.ok(), o.payloadText(), o.errorType() + ": " + o.errorMessage());
          if (o.ok()) Views.fold(sb.settle()).forEach(l -> print.println("       then " + l));
          return r;
        }
      });
    }
    return new Redrive(sqs, fns, out);
  }

  private Ledger ledger(Target t) {
    return new Ledger(t.clients().dynamo(), t.config().ledgerTable(), clock, t.config().lockLease());
  }

  private Freezes freezes(Target t) {
    return new Freezes(t.clients().dynamo(), t.config().ledgerTable(), clock);
  }

  static String operator() {
    String user = System.getenv("USER");
    return user == null || user.isBlank() ? System.getProperty("user.name", "operator") : user;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length || args[i].startsWith("--")) throw new SandboxException(option + " needs a value");
    return args[i];
  }

  private static void expect(List<String> positional, int min, int max, String what) {
    if (positional.size() < min || positional.size() > max) throw new SandboxException(what + "; " + RELEASE_USAGE);
  }

  private static void noOption(String value, String option, String sub) {
    if (value != null) throw new SandboxException(option + " does not apply to '" + sub + "'; " + RELEASE_USAGE);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
