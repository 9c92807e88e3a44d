package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gitops.testing.MotoServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * buildspecs/release_report.py, the one implementation behind the pipeline's Report-prod step and
 * {@code bin/gitops diff}: the template diff and its security flags on recorded template pairs, the digest
 * and ledger part against moto over HTTP, the approval check on a recorded ListActionExecutions answer, and
 * bad input. Each scenario is one process (the report runs once per scenario).
 */
class ReleaseReportScriptTest {

  private static final Path SCRIPT = SynthesizedApp.ROOT.resolve("buildspecs/release_report.py");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Unique per run: the shared moto is not reset for this class. */
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

  @TempDir
  static Path dir;
  private static Path assembly;
  private static Path deployed;

  // --- a recorded cloud assembly: prod has three stacks, test one ------------------------------

  @BeforeAll
  static void recordedAssembly() throws Exception {
    assembly = dir.resolve("cdk.out");
    deployed = dir.resolve("deployed");
    Files.createDirectories(deployed);
    Map<String, Object> artifacts = new LinkedHashMap<>();
    for (String env : List.of("test", "prod")) {
      artifacts.put("assembly-App-" + env, Map.of("type", "cdk:cloud-assembly",
          "properties", Map.of("directoryName", "assembly-App-" + env, "displayName", "App/" + env)));
    }
    write(assembly.resolve("manifest.json"), Map.of("version", "48.0.0", "artifacts", artifacts));

    Map<String, Object> s3Read = statement("s3:GetObject", "arn:aws:s3:::reports/*");
    Map<String, Object> s3Write = statement("s3:PutObject", "arn:aws:s3:::reports/*");
    stage("prod", Map.of(
        "prod-Iam", List.of(resources(role(List.of(s3Read))), resources(role(List.of(s3Read, s3Write)))),
        "prod-Net", List.of(resources(group("10.0.0.0/16")), resources(group("0.0.0.0/0"))),
        "prod-Quiet", List.of(releases("prod"), releases("prod"))));
    stage("test", Map.of("test-Quiet", List.of(releases("test"), releases("test"))));
  }

  /** Writes a stage: per stack, [deployed template, synthesized template]. */
  private static void stage(String env, Map<String, List<Map<String, Object>>> stacks) throws Exception {
    Path stageDir = assembly.resolve("assembly-App-" + env);
    Map<String, Object> artifacts = new LinkedHashMap<>();
    for (Map.Entry<String, List<Map<String, Object>>> stack : stacks.entrySet()) {
      String file = stack.getKey() + ".template.json";
      artifacts.put(stack.getKey(), Map.of("type", "aws:cloudformation:stack",
          "environment", "aws://123456789012/us-east-1",
          "properties", Map.of("templateFile", file, "stackName", stack.getKey())));
      write(deployed.resolve(file), stack.getValue().get(0));
      write(stageDir.resolve(file), stack.getValue().get(1));
    }
    write(stageDir.resolve("manifest.json"), Map.of("version", "48.0.0", "artifacts", artifacts));
  }

  private static Map<String, Object> statement(String action, String resource) {
    return Map.of("Effect", "Allow", "Action", action, "Resource", resource);
  }

  private static Map<String, Object> role(List<Map<String, Object>> statements) {
    return Map.of("Type", "AWS::IAM::Role", "Properties", Map.of(
        "AssumeRolePolicyDocument", Map.of("Statement", List.of(Map.of("Effect", "Allow", "Action", "sts:AssumeRole",
            "Principal", Map.of("Service", "lambda.amazonaws.com")))),
        "Policies", List.of(Map.of("PolicyName", "Reports", "PolicyDocument", Map.of("Statement", statements)))));
  }

  private static Map<String, Object> group(String cidr) {
    return Map.of("Type", "AWS::EC2::SecurityGroup", "Properties", Map.of("GroupDescription", "alb",
        "SecurityGroupIngress", List.of(Map.of("IpProtocol", "tcp", "FromPort", 443, "ToPort", 443, "CidrIp", cidr))));
  }

  private static Map<String, Object> resources(Map<String, Object> resource) {
    return Map.of("Resources", Map.of("Thing", resource));
  }

  /** A stack holding the environment's release parameters, as the Storage stack declares them. */
  private static Map<String, Object> releases(String env) throws Exception {
    return Map.of("Resources", Map.of("bffRelease", Map.of("Type", "Custom::ReleaseParameter", "Properties", Map.of(
        "Create", JSON.writeValueAsString(Map.of("parameters", Map.of("Name", releaseName(env))))))));
  }

  private static String releaseName(String env) {
    return "/report-" + RUN + "/" + env + "/release/bff";
  }

  // --- the template diff on recorded pairs ------------------------------------------------------

  @Test
  @SuppressWarnings("unchecked")
  void flagsAnAddedAllowAndAnOpenedIngressAsBroadeningAndLeavesAnUnchangedStackQuiet() throws Exception {
    Path json = dir.resolve("offline.json");
    Result r = run("report", "--assembly", assembly.toString(), "--from", "test", "--to", "prod", "--offline",
        "--deployed", deployed.toString(), "--json", json.toString(), "--exports", dir.resolve("offline.env").toString());
    assertThat(r.exit).as(r.output).isZero();
    Map<String, Object> report = JSON.readValue(json.toFile(), Map.class);

    List<Map<String, Object>> security = (List<Map<String, Object>>) report.get("security");
    assertThat(security).extracting(s -> s.get("stack") + " " + s.get("change") + " " + s.get("broadening") + " " + s.get("detail"))
        .containsExactlyInAnyOrder(
            "prod-Iam added true inline policy Reports: Allow s3:PutObject on arn:aws:s3:::reports/*",
            "prod-Net added true ingress tcp port 443 0.0.0.0/0",
            "prod-Net removed false ingress tcp port 443 10.0.0.0/16");
    Map<String, List<Map<String, Object>>> changes = new HashMap<>();
    for (Map<String, Object> stack : (List<Map<String, Object>>) report.get("stacks")) {
      changes.put((String) stack.get("stack"), (List<Map<String, Object>>) stack.get("changes"));
    }
    assertThat(changes.get("prod-Iam")).extracting(c -> c.get("change") + " " + c.get("properties"))
        .containsExactly("modify [Policies]");
    assertThat(changes.get("prod-Net")).extracting(c -> c.get("change") + " " + c.get("properties"))
        .containsExactly("modify [SecurityGroupIngress]");
    assertThat(changes.get("prod-Quiet")).isEmpty();

    String token = (String) report.get("broadening");
    assertThat(token).matches("BROADENS-[0-9a-f]{10}");
    assertThat((String) report.get("summary")).startsWith("test -> prod: 2 permission broadening(s): name " + token)
        .hasSizeLessThanOrEqualTo(300);
    // What the pipeline step exports for the approval and the check after it.
    assertThat(Files.readString(dir.resolve("offline.env")))
        .contains("export BROADENING='" + token + "'").contains("export REPORT_SUMMARY='test -> prod: ");
  }

  // --- digests, tags and the ledgers, against moto over HTTP ----------------------------------------

  @Test
  @SuppressWarnings("unchecked")
  void showsWhatProdRunsAndWouldGetWithTagsAndWhenEachPassedTest() throws Exception {
    URI endpoint = MotoServer.shared().endpoint();
    StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    String repository = "report-" + RUN + "/bff";
    String running;
    String candidate;
    String testLedger = "report-" + RUN + "-test-ledger";
    String prodLedger = "report-" + RUN + "-prod-ledger";
    try (EcrClient ecr = EcrClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(creds).build();
         SsmClient ssm = SsmClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(creds).build();
         DynamoDbClient ddb = DynamoDbClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(creds).build()) {
      String uri = ecr.createRepository(b -> b.repositoryName(repository)).repository().repositoryUri();
      running = pushImage(ecr, repository, "1.0.1");
      candidate = pushImage(ecr, repository, "1.0.2");
      ssm.putParameter(b -> b.name(releaseName("prod")).type(ParameterType.STRING).value(uri + "@" + running));
      ssm.putParameter(b -> b.name(releaseName("test")).type(ParameterType.STRING).value(uri + "@" + candidate));
      ledger(ddb, testLedger, Map.of(running, "2026-11-01T10:00:00Z", candidate, "2026-11-29T10:00:00Z"));
      ledger(ddb, prodLedger, Map.of(running, "2026-11-02T10:00:00Z"));
      // The operator's override for the digest prod would get, and the record of the last promotion.
      ssm.putParameter(b -> b.name(releaseName("prod").replace("/release/", "/promotion/override/"))
          .type(ParameterType.STRING).value(candidate + " INC-42: hotfix, soak waived"));
      ssm.putParameter(b -> b.name(releaseName("prod").replace("/release/", "/promotion/record/"))
          .type(ParameterType.STRING).value("{\"state\":\"CONFIRMED\",\"promoted\":\"" + uri + "@" + running
              + "\",\"override\":\"INC-7: judged by hand\",\"at\":\"2026-11-02T09:00:00Z\"}"));
    }

    Path json = dir.resolve("moto.json");
    Result r = run(Map.of("AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing"),
        "report", "--assembly", assembly.toString(), "--from", "test", "--to", "prod",
        "--endpoint", endpoint.toString(), "--ledger-table", "test=" + testLedger, "--ledger-table", "prod=" + prodLedger,
        "--deployed", deployed.toString(), "--json", json.toString());
    assertThat(r.exit).as(r.output).isZero();
    Map<String, Object> report = JSON.readValue(json.toFile(), Map.class);
    Map<String, Object> bff = ((List<Map<String, Object>>) report.get("services")).get(0);
    assertThat(bff).containsEntry("service", "bff").containsEntry("changes", true);
    Map<String, Object> now = (Map<String, Object>) bff.get("now");
    Map<String, Object> next = (Map<String, Object>) bff.get("next");
    assertThat(now).containsEntry("digest", running).containsEntry("tags", List.of("1.0.1"));
    assertThat(next).containsEntry("digest", candidate).containsEntry("tags", List.of("1.0.2"));
    assertThat((Map<String, Object>) next.get("test")).containsEntry("status", "HEALTHY").containsEntry("at", "2026-11-29T10:00:00Z");
    assertThat((Map<String, Object>) next.get("prod")).containsEntry("status", null);
    assertThat((Map<String, Object>) now.get("test")).containsEntry("at", "2026-11-01T10:00:00Z");
    assertThat((Map<String, Object>) now.get("prod")).containsEntry("status", "HEALTHY");
    assertThat((List<String>) report.get("notes")).isEmpty();
    assertThat(r.output).contains("| bff | would get | `" + candidate + "` | 1.0.2 | HEALTHY at 2026-11-29T10:00:00Z | — |");
    // The approver sees the override the promotion after the approval will apply, and the last one's.
    // After the broadening token (which nothing may cut off), before the digests.
    assertThat((String) report.get("summary")).contains("when approving; 1 promotion override(s): bff (INC-42: hotfix, soak waived); 1 of 1");
    assertThat(r.output).contains("| bff | OVERRIDE: promoted even if the source ledger's evidence refuses it: INC-42: hotfix, soak waived | CONFIRMED "
        + running.substring(7, 19) + " at 2026-11-02T09:00:00Z | INC-7: judged by hand |");
  }

  private static String pushImage(EcrClient ecr, String repository, String tag) {
    // moto derives the digest from the layers' digests: one layer unique to the tag.
    String layer = "0".repeat(63) + tag.charAt(tag.length() - 1);
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1,\"digest\":\"sha256:"
        + layer + "\"},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":1,"
        + "\"digest\":\"sha256:" + layer + "\"}]}";
    return ecr.putImage(b -> b.repositoryName(repository).imageManifest(manifest).imageTag(tag)).image().imageId().imageDigest();
  }

  /** A ledger table holding one HEALTHY deployment item per digest, as the guard leaves it. */
  private static void ledger(DynamoDbClient ddb, String table, Map<String, String> healthyAt) {
    ddb.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
            AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.S).build())
        .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
            KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build()));
    healthyAt.forEach((digest, at) -> ddb.putItem(b -> b.tableName(table).item(Map.of(
        "pk", s("SERVICE#bff"), "sk", s("DEPLOYMENT#" + digest), "type", s("DEPLOYMENT"), "digest", s(digest),
        "status", s("HEALTHY"), "statusChangedAt", s(at), "owner", s("PIPELINE")))));
  }

  private static AttributeValue s(String value) {
    return AttributeValue.fromS(value);
  }

  // --- the check after the approval ------------------------------------------------------------

  @Test
  void stopsTheReleaseWhenTheApprovalDoesNotNameTheBroadeningAndLetsItGoWhenItDoes() throws Exception {
    Path silent = approvals("Approved, looks fine");
    Path named = approvals("Approved: BROADENS-0123456789 is the new bucket grant");
    Result stopped = run("confirm", "--token", "BROADENS-0123456789", "--stage", "prod", "--action", "ApproveProd",
        "--executions-json", silent.toString());
    Result passed = run("confirm", "--token", "BROADENS-0123456789", "--stage", "prod", "--action", "ApproveProd",
        "--executions-json", named.toString());
    assertThat(stopped.exit).as(stopped.output).isEqualTo(1);
    assertThat(stopped.output).startsWith("RELEASE STOPPED: ").contains("does not name it");
    assertThat(passed.exit).as(passed.output).isZero();
  }

  @Test
  void withNothingBroadenedTheCheckPassesWithoutReadingTheApproval() throws Exception {
    // No recorded answer and no pipeline name: it must not need either.
    Result r = run("confirm", "--token", "none", "--stage", "prod", "--action", "ApproveProd");
    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).startsWith("OK: the release report found no permission broadening");
  }

  /** ListActionExecutions' answer for an execution whose ApproveProd succeeded with COMMENT. */
  private static Path approvals(String comment) throws Exception {
    Path file = dir.resolve("approvals-" + comment.hashCode() + ".json");
    write(file, Map.of("actionExecutionDetails", List.of(
        Map.of("stageName", "prod", "actionName", "Report-prod", "status", "Succeeded"),
        Map.of("stageName", "prod", "actionName", "ApproveProd", "status", "Succeeded",
            "lastUpdateTime", "2026-11-30T10:00:00Z",
            "output", Map.of("executionResult", Map.of("externalExecutionSummary", comment))))));
    return file;
  }

  // --- bad input ----------------------------------------------------------------------------------

  @Test
  void anUnknownEnvironmentIsOneLineAndExitTwo() throws Exception {
    Result r = run("report", "--assembly", assembly.toString(), "--from", "qa", "--to", "prod", "--offline");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.output.strip()).isEqualTo("release report: no stage 'qa' in " + assembly + " (it has: prod, test)");
  }

  @Test
  void theCommandWithoutBothEnvironmentsIsOneLineAndExitTwo() throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", SynthesizedApp.ROOT.resolve("bin/gitops").toString(), "diff", "test")
        .redirectErrorStream(true);
    Result r = finish(builder.start());
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.output.strip()).startsWith("gitops diff: FROM and TO environments are required; usage: bin/gitops diff FROM TO")
        .doesNotContain("\n");
  }

  // --- helpers ----------------------------------------------------------------------------------------

  private record Result(int exit, String output) {}

  private static Result run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  private static Result run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
    builder.environment().putAll(env);
    return finish(builder.start());
  }

  private static Result finish(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  private static void write(Path file, Object value) throws Exception {
    Files.createDirectories(file.getParent());
    JSON.writeValue(file.toFile(), value);
  }
}
