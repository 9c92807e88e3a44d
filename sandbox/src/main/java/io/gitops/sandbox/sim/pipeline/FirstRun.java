package io.gitops.sandbox.sim.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.cloudformation.CloudFormation;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount.Resource;
import io.gitops.sandbox.sim.Blockers;
import io.gitops.sandbox.sim.ecs.TaskSimulator;
import io.gitops.sandbox.sim.network.NetworkModel;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The pipeline's first run, played into empty emulated accounts (one per environment account of the config),
 * in the pipeline's own order ({@link PipelinePlan}): each stack through the CloudFormation model, each
 * service's tasks through the task simulator gated by the network model, each CodeBuild step's real buildspec
 * commands with the AWS CLI against moto under the keys of the account it acts in, the manual approval given.
 * After a stage's last action, the blockers that no create call refuses (issue 21's 5 to 7, with SC-011's ECS
 * Exec check) are checked on what the stage created. It stops at the first failure and names it.
 */
public final class FirstRun {
  /** The result: every printed line, and the first blocker (null when the whole run passed). */
  public record Result(List<String> lines, String blocker) {
    public boolean passed() {
      return blocker == null;
    }
  }

  /** Runs one CodeBuild step's commands: exit code and output. */
  @FunctionalInterface
  public interface StepShell {
    int run(List<String> commands, Map<String, String> env, StringBuilder output);
  }

  private final Path cdkOut;
  private final Path repoRoot;
  private final URI moto;
  private final StepShell shell;
  private final PrintStream out;
  private final List<String> lines = new ArrayList<>();
  private final Map<String, EmulatedAccount> accounts = new LinkedHashMap<>();
  private final Map<String, StageAssembly> stages = new LinkedHashMap<>();
  private final Map<String, MotoAccountStore> stores = new LinkedHashMap<>();
  private final CloudFormation cloudFormation = new CloudFormation(this::startTasks);
  /** CodePipeline's variables: {@code namespace.NAME} (a step's exported variables are {@code stage@action.NAME}). */
  private final Map<String, String> variables = new LinkedHashMap<>();
  /** The manual approvals given, as ListActionExecutions reports them to the ConfirmBroadening step. */
  private final List<String[]> approvals = new ArrayList<>();
  private String[] toolchainKey;
  private String pipelineName = "GitOpsPipeline";

  /** One stage's assembly: its stacks, each with its account and the stacks it depends on. */
  record StageAssembly(String name, CloudAssembly assembly, Map<String, String> accountOf, Map<String, List<String>> dependencies) {}

  public FirstRun(Path cdkOut, Path repoRoot, URI moto, StepShell shell, PrintStream out) {
    this.cdkOut = cdkOut;
    this.repoRoot = repoRoot;
    this.moto = moto;
    this.shell = shell;
    this.out = out;
  }

  public Map<String, EmulatedAccount> accounts() {
    return accounts;
  }

  private final List<String> preexisting = new ArrayList<>();

  /** The first push into dev's account after the pipeline's run: null when it was judged HEALTHY, else why not. */
  @FunctionalInterface
  public interface FirstPush {
    String push(String devAccount);
  }

  private FirstPush firstPush;

  public FirstRun withFirstPush(FirstPush p) {
    this.firstPush = p;
    return this;
  }

  /**
   * A role that exists in its account before the run, outside the pipeline's stacks (a manual set-up step;
   * the tests use it to stand in for a fix that has not landed yet).
   */
  public FirstRun withExistingRole(String roleArn) {
    preexisting.add(roleArn);
    return this;
  }

  public Result run() {
    PipelinePlan plan = PipelinePlan.load(cdkOut, repoRoot);
    loadStages();
    variables.put("codepipeline.PipelineExecutionId", "first-run-" + Long.toHexString(System.nanoTime() & 0xffffffL));
    MotoAccountStore toolchain = new MotoAccountStore(moto, plan.toolchainAccount(), "us-east-1");
    // The steps sign with keys moto issued in the toolchain account, as CodeBuild signs with its role's session.
    toolchainKey = toolchain.accessKey("codebuild-first-run");
    for (PipelinePlan.Stage st : plan.stages()) {
      for (List<PipelinePlan.Action> w : st.waves().values()) {
        for (PipelinePlan.Action x : w) {
          String bucket = x.environment().get("REPORT_BUCKET");
          if (bucket != null) toolchain.createBucket(bucketName(bucket));
        }
      }
    }
    for (String arn : preexisting) {
      EmulatedAccount a = byId().get(arn.split(":")[4]);
      if (a == null) throw new SandboxException(arn + ": no environment account of the config is " + arn.split(":")[4]);
      a.addExisting(arn);
      a.store().createRole(arn.substring(arn.lastIndexOf('/') + 1), "{}");
    }
    print("toolchain account " + plan.toolchainAccount() + "; environment accounts: "
        + accounts.values().stream().map(a -> a.env() + " " + a.id()).toList() + " (empty; CDK bootstrap only)");
    for (PipelinePlan.Stage stage : plan.stages()) {
      print("▶ stage " + stage.name());
      for (Map.Entry<Integer, List<PipelinePlan.Action>> wave : stage.waves().entrySet()) {
        for (PipelinePlan.Action a : wave.getValue()) {
          String blocker = play(a);
          if (blocker != null) return stop(blocker);
        }
      }
      StageAssembly s = stages.get(stage.name());
      if (s != null) {
        EmulatedAccount a = accounts.get(s.accountOf().values().iterator().next());
        for (String check : stageChecks(a)) return stop(check);
        print("  ✔ " + stage.name() + ": every service runs; checks 5-7 pass");
      }
    }
    print("▶ one push to dev, deployed by the image deployer and judged by the guard");
    if (firstPush == null) return stop("the push to dev was not played (no first push given)");
    StageAssembly dev = stages.get("dev");
    String why = firstPush.push(dev.accountOf().values().iterator().next());
    if (why != null) return stop(why);
    print("  ✔ judged HEALTHY");
    return new Result(List.copyOf(lines), null);
  }

  /** Blockers 5, 6 and 7 (SC-011's ECS Exec check, for the services that enable it) on a deployed stage. */
  static List<String> stageChecks(EmulatedAccount a) {
    List<String> failures = new ArrayList<>();
    for (String f : new String[] {Blockers.testRoute(a), Blockers.masterLogin(a), Blockers.exec(a, "")}) {
      if (f != null) failures.add(f);
    }
    return failures;
  }

  private Result stop(String blocker) {
    print("✘ first blocker: " + blocker);
    return new Result(List.copyOf(lines), blocker);
  }

  private String play(PipelinePlan.Action a) {
    String at = "  [" + a.runOrder() + "] " + a.name() + ": ";
    switch (a.provider()) {
      case "CodeStarSourceConnection" -> print(at + "the working tree stands for the source revision");
      case "Manual" -> {
        // The approver reads the report and names its token in the comment, as the README asks.
        String token = variables.entrySet().stream().filter(e -> e.getKey().startsWith(a.stage() + "@")
            && e.getKey().endsWith(".BROADENING")).map(Map.Entry::getValue).findFirst().orElse("");
        String comment = "Approved on the first run" + (token.isEmpty() ? "" : ", knowing " + token);
        approvals.add(new String[] {a.stage(), a.name(), comment});
        print(at + "approval given (comment: \"" + comment + "\")");
      }
      case "CloudFormation" -> {
        if (!"CHANGE_SET_EXECUTE".equals(a.actionMode())) return null;
        return deploy(at, a);
      }
      case "CodeBuild" -> {
        return codeBuild(at, a);
      }
      default -> print(at + "skipped (" + a.provider() + ")");
    }
    return null;
  }

  private String deploy(String at, PipelinePlan.Action a) {
    // By stack name, not by the pipeline stage's name: a pipeline stage may deploy stacks of another stage's
    // assembly (a wave that prepares the next environment, for example).
    StageAssembly s = stages.values().stream().filter(x -> x.accountOf().containsKey(a.stackName())).findFirst()
        .orElseThrow(() -> new SandboxException(a.stage() + "/" + a.name() + ": no stage assembly in " + cdkOut
            + " holds the stack " + a.stackName()));
    CloudAssembly.Stack stack = s.assembly().stack(a.stackName());
    EmulatedAccount account = accounts.get(s.accountOf().get(a.stackName()));
    String roleAccount = a.roleArn().replaceAll("^arn:aws:iam::([0-9]{12}):.*$", "$1");
    if (!roleAccount.equals(account.id())) {
      return a.stackName() + ": the action's role is in account " + roleAccount + ", the stack's environment is " + account.id();
    }
    if (!account.exists(a.roleArn())) return a.stackName() + ": the deploy role " + a.roleArn() + " does not exist (bootstrap the account)";
    CloudFormation.Outcome o = cloudFormation.create(account, stack, s.dependencies().get(a.stackName()));
    print(at + o.line());
    if (o.ok()) return null;
    return Blockers.classify(o.reason()).map(b -> b.label() + ": ").orElse("") + o.line();
  }

  private String codeBuild(String at, PipelinePlan.Action a) {
    String name = a.name();
    if (name.equals("Synth") || name.equals("SelfMutate") || a.stage().equals("Assets")) {
      print(at + "skipped (" + (name.equals("Synth") ? "cdk.out is this build's synth" : a.stage().equals("Assets")
          ? "assets are not published: the model creates no function code" : "the pipeline is not deployed into the emulator") + ")");
      return null;
    }
    List<String> commands = buildspecCommands(a);
    Map<String, String> env = new LinkedHashMap<>(a.environment());
    if (name.startsWith("Promote-")) {
      List<String> roles = new ArrayList<>();
      for (String k : List.of("SOURCE_ROLE_ARN", "TARGET_ROLE_ARN", "REGISTRY_ROLE_ARN")) if (env.containsKey(k)) roles.add(env.get(k));
      // moto's AssumeRole succeeds for any role name; AWS's fails for a role that does not exist, so check first.
      String missing = Blockers.promotionRoles(byId(), name, roles, a.serviceRole());
      if (missing != null) {
        print(at + "PROMOTION BLOCKED: cannot assume a role that does not exist");
        return missing;
      }
    }
    if (name.startsWith("SmokeTest-")) {
      String stage = a.stage();
      try (HealthServer h = HealthServer.start(env.getOrDefault("HEALTH_PATH", "/"), bffRunning(stage))) {
        env.put("ALB_DNS_NAME", "127.0.0.1:" + h.port());
        if ("https".equals(env.get("HEALTH_SCHEME"))) {
          print(at + "(the emulator has no TLS: the step's https check runs as http against the stand-in for the ALB)");
        }
        env.put("HEALTH_SCHEME", "http");
        return shellStep(at, a, commands, env);
      }
    }
    if (env.containsKey("REPORT_BUCKET")) env.put("REPORT_BUCKET", bucketName(env.get("REPORT_BUCKET")));
    return shellStep(at, a, commands, env);
  }

  /** The pipeline stack's bucket (a logical id in the plan) under the name the model gives it. */
  private static String bucketName(String logicalIdOrName) {
    return logicalIdOrName.equals(logicalIdOrName.toLowerCase(java.util.Locale.ROOT)) ? logicalIdOrName
        : "gitopspipeline-" + logicalIdOrName.toLowerCase(java.util.Locale.ROOT);
  }

  private static final java.util.regex.Pattern VARIABLE = java.util.regex.Pattern.compile("#\\{([^}]+)}");
  private static final String EXPORT = "__FIRST_RUN_EXPORT__ ";

  private String shellStep(String at, PipelinePlan.Action a, List<String> commands, Map<String, String> env) {
    env.replaceAll((k, v) -> VARIABLE.matcher(v).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
        variables.getOrDefault(m.group(1), ""))));
    env.put("AWS_ENDPOINT_URL", moto.toString());
    env.put("AWS_ACCESS_KEY_ID", toolchainKey[0]);
    env.put("AWS_SECRET_ACCESS_KEY", toolchainKey[1]);
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("CODEBUILD_SRC_DIR_Synth_Output", cdkOut.toAbsolutePath().toString());
    env.put("CODEBUILD_INITIATOR", "codepipeline/" + pipelineName);
    List<String> all = new ArrayList<>(commands);
    // CodeBuild reads a buildspec's exported variables from the shell at the end of the build.
    for (String v : a.exported()) all.add("printf '\\n" + EXPORT + "%s=%s\\n' " + v + " \"${" + v + ":-}\"");
    StringBuilder output = new StringBuilder();
    int code;
    try (CodePipelineStandIn cp = CodePipelineStandIn.start(approvals, variables.get("codepipeline.PipelineExecutionId"))) {
      env.put("AWS_ENDPOINT_URL_CODEPIPELINE", "http://127.0.0.1:" + cp.port());
      code = shell.run(all, env, output);
    }
    StringBuilder shown = new StringBuilder();
    for (String line : output.toString().split("\n")) {
      if (line.startsWith(EXPORT)) {
        String kv = line.substring(EXPORT.length());
        int eq = kv.indexOf('=');
        if (eq > 0) variables.put(a.stage() + "@" + a.name() + "." + kv.substring(0, eq), kv.substring(eq + 1));
      } else {
        shown.append(line).append('\n');
      }
    }
    output = shown;
    String last = lastLine(output.toString());
    print(at + (code == 0 ? "passed" : "FAILED (exit " + code + ")") + ": " + last);
    if (code == 0) return null;
    String text = output.toString();
    String reason = firstLine(text, "PROMOTION BLOCKED", last);
    String detail = firstLine(text, "  - ", "");
    return Blockers.classify(text).map(b -> b.label() + ": ").orElse("") + a.name() + " failed: "
        + reason + (detail.isEmpty() || detail.equals(reason) ? "" : " " + detail);
  }

  private static String firstLine(String text, String marker, String fallback) {
    for (String l : text.split("\n")) if (l.contains(marker)) return l.trim();
    return fallback;
  }

  private static String lastLine(String text) {
    String[] l = text.strip().split("\n");
    return l.length == 0 ? "" : l[l.length - 1].trim();
  }

  private Map<String, EmulatedAccount> byId() {
    Map<String, EmulatedAccount> m = new LinkedHashMap<>();
    accounts.values().forEach(a -> m.put(a.id(), a));
    return m;
  }

  private boolean bffRunning(String stage) {
    StageAssembly s = stages.get(stage);
    if (s == null) return false;
    EmulatedAccount a = accounts.get(s.accountOf().values().iterator().next());
    return !a.resources("AWS::ECS::Service").isEmpty();
  }

  /**
   * The step's buildspec commands, without its package installs: the emulator's machine installs nothing from a
   * registry (boto3 and the AWS CLI are already there), and CodeBuild's image has them too.
   */
  static List<String> buildspecCommands(PipelinePlan.Action a) {
    return a.commands().stream().filter(c -> !c.contains("pip install")).toList();
  }

  // ---------------------------------------------------------------------------------------------
  // Tasks: the task simulator, gated by the network model

  private String startTasks(EmulatedAccount account, Resource svc, Resource td, List<Resource> visible) {
    NetworkModel net = new NetworkModel(account.region(), visible);
    NetworkModel.Eni eni = NetworkModel.Eni.of(svc.properties().path("NetworkConfiguration").path("AwsvpcConfiguration"));
    Map<String, String> images = new LinkedHashMap<>();
    for (JsonNode c : td.properties().path("ContainerDefinitions")) images.put(c.path("Name").asText(), c.path("Image").asText());
    String cluster = svc.properties().path("Cluster").asText();
    String clusterArn = cluster.startsWith("arn:") ? cluster : "arn:aws:ecs:" + account.region() + ":" + account.id() + ":cluster/" + cluster;
    String name = svc.attributes().get("Name");
    TaskSimulator.ServiceView view = new TaskSimulator.ServiceView(clusterArn, svc.ref(), name, td.ref(),
        svc.properties().path("DesiredCount").asInt(1), null, images);
    TaskSimulator sim = new TaskSimulator(new HashSet<>(), k -> view, Clock.systemUTC(), account.id(), account.region())
        .withPullGate(v -> {
          for (String image : v.containerImages().values()) {
            String why = net.imagePull(eni, image);
            if (why != null) return why;
          }
          return null;
        });
    sim.started(clusterArn, name, td.ref());
    for (int i = 0; i < TaskSimulator.MAX_WAVES + 1 && !sim.idle(); i++) {
      for (JsonNode e : sim.step()) {
        if ("SERVICE_DEPLOYMENT_FAILED".equals(e.path("detail").path("eventName").asText())) {
          return "ECS service " + name + ": " + e.path("detail").path("reason").asText();
        }
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------

  private void loadStages() {
    try (Stream<Path> dirs = Files.list(cdkOut)) {
      for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith("assembly-")).sorted().toList()) {
        String dirName = d.getFileName().toString();
        String stage = dirName.substring(dirName.lastIndexOf('-') + 1);
        JsonNode manifest = CloudAssembly.JSON.readTree(d.resolve("manifest.json").toFile());
        Map<String, String> accountOf = new LinkedHashMap<>();
        Map<String, String> nameOf = new LinkedHashMap<>();
        Map<String, List<String>> deps = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = manifest.path("artifacts").fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!"aws:cloudformation:stack".equals(e.getValue().path("type").asText())) continue;
          nameOf.put(e.getKey(), e.getValue().path("properties").path("stackName").asText(e.getKey()));
        }
        it = manifest.path("artifacts").fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!nameOf.containsKey(e.getKey())) continue;
          String stackName = nameOf.get(e.getKey());
          String env = e.getValue().path("environment").asText();
          String[] parts = env.replace("aws://", "").split("/");
          accountOf.put(stackName, parts[0]);
          List<String> d2 = new ArrayList<>();
          e.getValue().path("dependencies").forEach(x -> { if (nameOf.containsKey(x.asText())) d2.add(nameOf.get(x.asText())); });
          deps.put(stackName, d2);
          String accountId = parts[0];
          String region = parts.length > 1 ? parts[1] : "us-east-1";
          accounts.computeIfAbsent(accountId, k -> {
            MotoAccountStore store = new MotoAccountStore(moto, k, region);
            stores.put(k, store);
            return new EmulatedAccount(stage, k, region, store);
          });
        }
        stages.put(stage, new StageAssembly(stage, CloudAssembly.loadDirectory(d, stage), accountOf, deps));
      }
    } catch (IOException e) {
      throw new SandboxException("cannot read the stage assemblies in " + cdkOut + ": " + e.getMessage());
    }
  }

  private void print(String line) {
    lines.add(line);
    out.println(line);
    out.flush();
  }

  /** A stand-in for the ALB's health path: 200 while the stage's services run, 503 otherwise. */
  static final class HealthServer implements AutoCloseable {
    private final com.sun.net.httpserver.HttpServer server;

    private HealthServer(com.sun.net.httpserver.HttpServer server) {
      this.server = server;
    }

    static HealthServer start(String path, boolean healthy) {
      try {
        com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", x -> {
          boolean ok = healthy && x.getRequestURI().getPath().equals(path);
          byte[] body = (ok ? "placeholder" : "not found").getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(ok ? 200 : (healthy ? 404 : 503), body.length);
          x.getResponseBody().write(body);
          x.close();
        });
        s.start();
        return new HealthServer(s);
      } catch (IOException e) {
        throw new SandboxException("cannot serve the health endpoint: " + e.getMessage());
      }
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** Runs the commands in one bash, as CodeBuild runs a phase's commands in one shell, in a fresh source directory. */
  public static StepShell bash(Path repoRoot, UnaryOperator<String> path, long timeoutSeconds) {
    return (commands, env, output) -> {
      try {
        Path script = Files.createTempFile("gitops-first-run-step", ".sh");
        Files.writeString(script, "set -e\n" + String.join("\n", commands) + "\n");
        // CodeBuild's source directory: the repository as the source action checks it out (no cdk.out: a step
        // that needs the synth gets it as a secondary input, CODEBUILD_SRC_DIR_Synth_Output).
        Path work = Files.createTempDirectory("gitops-first-run-src");
        try (Stream<Path> entries = Files.list(repoRoot)) {
          for (Path e : entries.toList()) {
            String n = e.getFileName().toString();
            if (n.equals("cdk.out") || n.equals(".git") || n.equals(".sandbox") || n.equals("node_modules")) continue;
            Files.createSymbolicLink(work.resolve(n), e.toAbsolutePath());
          }
        }
        env.put("CODEBUILD_SRC_DIR", work.toString());
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("PATH", path.apply(System.getenv("PATH")));
        pb.environment().putIfAbsent("HOME", System.getProperty("java.io.tmpdir"));
        Process p = pb.start();
        byte[] bytes = p.getInputStream().readAllBytes();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        Files.deleteIfExists(script);
        io.gitops.testing.TempFolders.delete(work);
        output.append(new String(bytes, StandardCharsets.UTF_8));
        if (!done) {
          p.destroyForcibly();
          return 124;
        }
        return p.exitValue();
      } catch (IOException e) {
        output.append(e.getMessage());
        return 127;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 130;
      }
    };
  }
}
