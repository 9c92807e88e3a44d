package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.stacks.config.Placeholders;
import io.gitops.testing.AwsCli;
import io.gitops.testing.MotoServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * buildspecs/promote.sh: its validation function on its own (bash only), and the whole promotion
 * against moto_server on 127.0.0.1 with the installed AWS CLI. The script's {@code aws} calls go through
 * {@link AwsCli} (the CLI's own entry point, served from one process that imported it once); the tests seed
 * and read moto with the SDK.
 */
// Concurrent with the module's other classes (junit-platform.properties): nearly all its time is the AWS CLI
// and moto in their own processes, and it shares no state with them (its own moto on its own port). Its
// own methods share that moto and reset it, so the class-level lock keeps them one after another.
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("PromoteScriptTest.moto")
class PromoteScriptTest {

  /** The placeholders the storage stacks write (moto's account, so the seeded values look like AWS's). */
  private static final String DEV_PLACEHOLDER =
      Placeholders.image(new io.gitops.stacks.config.DeployTarget("123456789012", "us-east-1"), "dev");
  private static final String TEST_PLACEHOLDER =
      Placeholders.image(new io.gitops.stacks.config.DeployTarget("123456789012", "us-east-1"), "test");

  private static final Path SCRIPT = SynthesizedApp.ROOT.resolve("buildspecs/promote.sh");
  private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
  /** moto's default account: the registry (dev) whose repositories hold the promoted digests. */
  private static final String REGISTRY = "123456789012";
  private static final String TARGET_ACCOUNT = "222222222222";
  private static final String RELEASE = REGISTRY + ".dkr.ecr.us-east-1.amazonaws.com/bff@" + DIGEST;
  private static final List<String> SERVICES = List.of("bff", "graphql", "agentcore");

  private static MotoServer moto;
  private static AwsCli cli;
  private static String endpoint;
  private static EcrClient ecr;
  private static SsmClient ssm;
  private static DynamoDbClient dynamo;
  /** dev's ledger table, found through dev's operator wiring parameter as on AWS. */
  private static final String LEDGER = "dev-ledger";

  @BeforeAll
  static void startMotoAndTheCli() {
    moto = MotoServer.start();
    cli = AwsCli.start();
    endpoint = moto.endpoint().toString();
    AwsClients.Settings settings = AwsClients.Settings.forEmulator(moto.endpoint(), Emulator.SDK, List.of());
    SdkHttpClient http = UrlConnectionHttpClient.create();
    ecr = AwsClients.configure(EcrClient.builder(), settings, http).build();
    ssm = AwsClients.configure(SsmClient.builder(), settings, http).build();
    dynamo = AwsClients.configure(DynamoDbClient.builder(), settings, http).build();
  }

  @AfterAll
  static void stop() {
    if (cli != null) cli.close();
    if (moto != null) moto.close();
  }

  /**
   * Clears moto's state (only the emulator tests call it: a reset takes seconds), then creates dev's ledger and
   * the wiring parameter that names it.
   */
  private static void resetMoto() {
    moto.reset();
    dynamo.createTable(b -> b.tableName(LEDGER).billingMode("PAY_PER_REQUEST")
        .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S),
            a -> a.attributeName("sk").attributeType(ScalarAttributeType.S))
        .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH), k -> k.attributeName("sk").keyType(KeyType.RANGE)));
    ssmPut(Map.of("/gitops/dev/operator/wiring", "{\"LEDGER_TABLE\":\"" + LEDGER + "\",\"ENVIRONMENT_NAME\":\"dev\"}"));
  }

  /** A deployment item of dev's ledger as the functions write it (docs/ledger.md), for {@code service}'s image. */
  private static void judged(String service, String digest, String status, java.time.Instant statusChangedAt,
      String... extra) {
    Map<String, AttributeValue> item = new HashMap<>();
    // The ECS service name is CDK's: the step cannot know it, so it finds the image across services.
    item.put("pk", AttributeValue.fromS("SERVICE#dev-Compute-" + service + "Service-ABC123"));
    item.put("sk", AttributeValue.fromS("DEPLOYMENT#" + digest));
    item.put("type", AttributeValue.fromS("DEPLOYMENT"));
    item.put("digest", AttributeValue.fromS(digest));
    item.put("image", AttributeValue.fromS(release(service, digest)));
    item.put("status", AttributeValue.fromS(status));
    item.put("statusChangedAt", AttributeValue.fromS(statusChangedAt.toString()));
    item.put("updatedAt", AttributeValue.fromS(statusChangedAt.toString()));
    item.put("reasons", AttributeValue.fromL(List.of(AttributeValue.fromS("reason of " + status))));
    for (int i = 0; i + 1 < extra.length; i += 2) {
      item.put(extra[i], AttributeValue.fromS(extra[i + 1]));
    }
    dynamo.putItem(b -> b.tableName(LEDGER).item(item));
  }

  /** Every service's digest judged HEALTHY in dev two hours ago. */
  private static void allHealthy(String digest) {
    SERVICES.forEach(s -> judged(s, digest, "HEALTHY", java.time.Instant.now().minusSeconds(7200)));
  }

  // --- the validation function alone --------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/bff@" + "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/team/graph-ql_v2@" + "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "localhost:5000/bff@" + "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
  void aDigestPinnedImageIsPromotable(String value) throws Exception {
    assertThat(problem(value)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/bff:1.2.3",
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/bff@sha256:0123",
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/bff@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/bff@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "bff@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "111111111111.dkr.ecr.us-east-1.amazonaws.com/bff@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef trailing"})
  void aMalformedValueIsRefusedWithTheExpectedForm(String value) throws Exception {
    assertThat(problem(value)).startsWith("is malformed").contains("<repository-uri>@sha256:<64 lowercase hex digits>");
  }

  @Test
  void thePlaceholderIsRefusedAsSuchEvenThoughItIsDigestPinned() throws Exception {
    assertThat(problem(DEV_PLACEHOLDER)).startsWith("is still the placeholder image");
  }

  @Test
  void anEmptyValueIsRefused() throws Exception {
    assertThat(problem("")).isEqualTo("is empty");
  }

  /** Runs release_problem from the sourced script (main does not run when sourced). */
  private static String problem(String value) throws Exception {
    Map<String, String> env = promotionEnvironment();
    env.put("VALUE", value);
    // $0 must differ from the script's path, or its "run main when executed" guard would fire.
    Result r = bash(List.of("bash", "-c", "source \"$1\"; release_problem \"$VALUE\"", "promote-test",
        SCRIPT.toString()), env);
    assertThat(r.exit).as(r.output).isZero();
    return r.output.strip();
  }

  // --- the whole promotion against moto ------------------------------------------------------

  @Test
  void copiesEveryReleaseDigestForDigest() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    Map<String, String> source = releasesInDevPlaceholdersInTest(digest);
    ssmPut(source);
    allHealthy(digest);

    Result r = promote();

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("Promoted dev -> test.");
    Map<String, String> target = ssmGet(SERVICES.stream().map(s -> "/gitops/test/release/" + s).toList());
    SERVICES.forEach(s -> assertThat(target).containsEntry("/gitops/test/release/" + s, release(s, digest)));
    // Each digest is tagged in the registry, so its lifecycle rules keep what test runs.
    String tag = "promoted-test-" + digest.substring("sha256:".length());
    SERVICES.forEach(s -> assertThat(registryTags(s)).as(s).contains("v1", tag));

    // Once the stage's deployment is confirmed, promoting the same digests again finds the tags and the values
    // in place (an unconfirmed promotion would be restored first).
    assertThat(promote(Map.of("PROMOTE_MODE", "confirm")).exit).isZero();
    Result again = promote();
    assertThat(again.exit).as(again.output).isZero();
    assertThat(again.output).contains("bff: already at " + release("bff", digest));
  }

  @Test
  void aMalformedSourceBlocksThePromotionAndWritesNothingWhileAServiceNeverReleasedKeepsItsPlaceholder() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    allHealthy(digest);
    Map<String, String> source = new HashMap<>();
    source.put("/gitops/dev/release/bff", release("bff", digest));
    source.put("/gitops/dev/release/graphql", DEV_PLACEHOLDER);
    source.put("/gitops/dev/release/agentcore", REGISTRY + ".dkr.ecr.us-east-1.amazonaws.com/agentcore:latest");
    SERVICES.forEach(s -> source.put("/gitops/test/release/" + s, TEST_PLACEHOLDER));
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).isEqualTo(1);
    assertThat(r.output).contains("PROMOTION BLOCKED: nothing was written to test.")
        .contains("graphql: nothing released to dev yet: test keeps the placeholder image")
        .contains("agentcore: /gitops/dev/release/agentcore is malformed");
    assertThat(ssmGet(List.of("/gitops/test/release/bff"))).containsEntry("/gitops/test/release/bff", TEST_PLACEHOLDER);
  }

  /** Issue 21: on the first run nothing was pushed to dev yet; test must still come up (with its placeholders). */
  @Test
  void aFreshSourceAndTargetPromoteNothingAndLetTheStageDeployItsPlaceholders() throws Exception {
    resetMoto();
    Map<String, String> source = new HashMap<>();
    SERVICES.forEach(s -> source.put("/gitops/dev/release/" + s, DEV_PLACEHOLDER));
    SERVICES.forEach(s -> source.put("/gitops/test/release/" + s, TEST_PLACEHOLDER));
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("bff: nothing released to dev yet: test keeps the placeholder image");
    assertNothingWritten();
  }

  @Test
  void aPlaceholderInTheSourceNeverReplacesARealReleaseInTheTarget() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    allHealthy(digest);
    Map<String, String> source = releasesInDevPlaceholdersInTest(digest);
    source.put("/gitops/dev/release/graphql", DEV_PLACEHOLDER);
    source.put("/gitops/test/release/graphql", release("graphql", digest));
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("graphql: /gitops/dev/release/graphql is still the placeholder image");
  }

  // --- the evidence: dev's ledger must have judged the very image HEALTHY (issue 20, finding 3) -----

  @Test
  void refusesWhatDevsLedgerHasNotJudgedHealthyWithOneLinePerService() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    java.time.Instant now = java.time.Instant.now();
    judged("bff", digest, "ROLLING_OUT", now.minusSeconds(60));
    judged("graphql", digest, "FAILED", now.minusSeconds(600));
    // agentcore: never recorded in dev's ledger

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("PROMOTION BLOCKED: nothing was written to test.")
        .contains("  - bff: " + digest + " is still ROLLING_OUT in dev: not judged yet")
        .contains("  - graphql: " + digest + " was judged FAILED in dev (reason of FAILED)")
        .contains("  - agentcore: " + digest + " is unknown to dev's ledger");
    assertNothingWritten();
  }

  @Test
  void refusesRolledBackSupersededAndRejectedDigests() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    java.time.Instant then = java.time.Instant.now().minusSeconds(7200);
    judged("bff", digest, "ROLLED_BACK", then);
    judged("graphql", digest, "FROZEN", then);
    judged("agentcore", digest, "ROLLING_OUT", then, "supersededBy", "sha256:" + "f".repeat(64));

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("  - bff: " + digest + " was judged ROLLED_BACK in dev")
        .contains("  - graphql: " + digest + " was rejected in dev: ledger status FROZEN")
        .contains("  - agentcore: " + digest + " was SUPERSEDED in dev");
    assertNothingWritten();
  }

  @Test
  void aDigestPromotesOnlyAfterItStayedHealthyForTheSoak() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    allHealthy(digest);
    judged("bff", digest, "HEALTHY", java.time.Instant.now().minusSeconds(10 * 60));

    Result early = promote(Map.of("SOAK_SECONDS", "1800"));

    assertThat(early.exit).as(early.output).isEqualTo(1);
    assertThat(early.output).contains("  - bff: " + digest + " has been HEALTHY in dev for 10 min only")
        .contains("the soak is 30 min").doesNotContain("  - graphql");
    assertNothingWritten();

    judged("bff", digest, "HEALTHY", java.time.Instant.now().minusSeconds(31 * 60));
    Result soaked = promote(Map.of("SOAK_SECONDS", "1800"));
    assertThat(soaked.exit).as(soaked.output).isZero();
    assertThat(soaked.output).contains("bff: " + digest + " HEALTHY in dev for at least 30 min");
  }

  @Test
  void anOperatorOverrideAdmitsTheOneDigestItNamesAndIsRecordedWithItsReason() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    allHealthy(digest);
    judged("bff", digest, "ROLLING_OUT", java.time.Instant.now());
    // An override naming another digest admits nothing.
    ssmPut(Map.of("/gitops/test/promotion/override/bff", "sha256:" + "e".repeat(64) + " INC-41 old hotfix"));

    Result stale = promote();
    assertThat(stale.exit).as(stale.output).isEqualTo(1);
    assertThat(stale.output).contains("  - bff: " + digest + " is still ROLLING_OUT in dev")
        .contains("names sha256:" + "e".repeat(64) + ", not this digest");
    assertNothingWritten();

    ssmPut(Map.of("/gitops/test/promotion/override/bff", digest + " INC-42: hotfix, judged by hand"));
    Result r = promote();

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("bff: OVERRIDE (INC-42: hotfix, judged by hand): promoting although " + digest
        + " is still ROLLING_OUT in dev");
    assertThat(ssmGet(List.of("/gitops/test/release/bff"))).containsEntry("/gitops/test/release/bff", release("bff", digest));
    String record = ssmGet(List.of("/gitops/test/promotion/record/bff")).get("/gitops/test/promotion/record/bff");
    assertThat(record).contains("\"state\":\"PENDING\"").contains("\"override\":\"INC-42: hotfix, judged by hand\"")
        .contains("\"previous\":\"" + TEST_PLACEHOLDER + "\"").contains("\"execution\":\"exec-1\"");
  }

  // --- the target's release parameters name what runs (issue 20, finding 3) -------------------------

  @Test
  void theComputeStacksPostStepConfirmsAndAConfirmedPromotionIsNeverRestored() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    allHealthy(digest);
    assertThat(promote().exit).isZero();

    Result confirm = promote(Map.of("PROMOTE_MODE", "confirm"));
    assertThat(confirm.exit).as(confirm.output).isZero();
    assertThat(confirm.output).contains("bff: " + release("bff", digest) + " confirmed in test");
    assertThat(ssmGet(List.of("/gitops/test/promotion/record/bff")).get("/gitops/test/promotion/record/bff"))
        .contains("\"state\":\"CONFIRMED\"");

    Result restore = promote(Map.of("PROMOTE_MODE", "restore"));
    assertThat(restore.exit).as(restore.output).isZero();
    SERVICES.forEach(s -> assertThat(ssmGet(List.of("/gitops/test/release/" + s)))
        .containsEntry("/gitops/test/release/" + s, release(s, digest)));
  }

  @Test
  void aPromotionItsStageNeverAppliedIsRestoredSoTheParameterNamesWhatRuns() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    allHealthy(digest);
    assertThat(promote().exit).isZero();
    // test's Compute stack failed and CloudFormation rolled it back: the placeholders run; no confirmation came.
    // Meanwhile the guard rolled graphql back by hand to something else: that value is left alone.
    ssmPut(Map.of("/gitops/test/release/graphql", release("graphql", "sha256:" + "c".repeat(64))));

    Result r = promote(Map.of("PROMOTE_MODE", "restore"));

    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains("bff: restored " + TEST_PLACEHOLDER + " in test: the promotion of "
        + release("bff", digest) + " (execution exec-1) was never applied");
    assertThat(ssmGet(List.of("/gitops/test/release/bff"))).containsEntry("/gitops/test/release/bff", TEST_PLACEHOLDER);
    assertThat(ssmGet(List.of("/gitops/test/release/graphql")).get("/gitops/test/release/graphql")).contains("c".repeat(64));
    assertThat(ssmGet(List.of("/gitops/test/promotion/record/bff")).get("/gitops/test/promotion/record/bff"))
        .contains("\"state\":\"RESTORED\"");
  }

  @Test
  void theNextPromotionFirstRestoresAnUnappliedOneThenJudgesAfresh() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    ssmPut(releasesInDevPlaceholdersInTest(digest));
    allHealthy(digest);
    assertThat(promote().exit).isZero();
    // The stage failed; before the next run, dev's guard rolled bff's digest back.
    judged("bff", digest, "ROLLED_BACK", java.time.Instant.now());

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("bff: restored " + TEST_PLACEHOLDER + " in test")
        .contains("  - bff: " + digest + " was judged ROLLED_BACK in dev");
    assertNothingWritten();
  }

  @Test
  void aMissingSourceParameterBlocksThePromotion() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    allHealthy(digest);
    ssmPut(Map.of("/gitops/dev/release/bff", release("bff", digest), "/gitops/dev/release/graphql", release("graphql", digest)));

    Result r = promote();

    assertThat(r.exit).isEqualTo(1);
    assertThat(r.output).contains("agentcore: /gitops/dev/release/agentcore cannot be read");
  }

  // --- the target must be able to pull each digest, checked before anything is written ------

  @Test
  void aDigestTheRegistryDoesNotHoldBlocksThePromotionAndWritesNothing() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    allHealthy(digest);
    Map<String, String> source = releasesInDevPlaceholdersInTest(digest);
    source.put("/gitops/dev/release/graphql", release("graphql", DIGEST)); // well-formed, never pushed
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("PROMOTION BLOCKED: nothing was written to test.")
        .contains("graphql: /gitops/dev/release/graphql names digest " + DIGEST + ", which repository graphql does not hold")
        .doesNotContain(TEST_PLACEHOLDER + " -> ");
    assertNothingWritten();
  }

  @Test
  void aRepositoryPolicyThatDoesNotAdmitTheTargetAccountBlocksThePromotion() throws Exception {
    resetMoto();
    String digest = seedRegistry("444444444444"); // admits another account, not the target
    allHealthy(digest);
    Map<String, String> source = releasesInDevPlaceholdersInTest(digest);
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("PROMOTION BLOCKED: nothing was written to test.")
        .contains("bff: /gitops/dev/release/bff is in repository bff, whose policy does not allow account "
            + TARGET_ACCOUNT + " ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability");
    assertNothingWritten();
  }

  @Test
  void aRepositoryWithoutPolicyBlocksAPromotionIntoAnotherAccount() throws Exception {
    resetMoto();
    String digest = seedRegistry(null);
    allHealthy(digest);
    Map<String, String> source = releasesInDevPlaceholdersInTest(digest);
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("agentcore: /gitops/dev/release/agentcore is in repository agentcore, whose policy cannot be read or does not exist");
    assertNothingWritten();
  }

  @Test
  void anImageOutsideTheRegistryBlocksThePromotion() throws Exception {
    resetMoto();
    String digest = seedRegistry(TARGET_ACCOUNT);
    allHealthy(digest);
    Map<String, String> source = releasesInDevPlaceholdersInTest(digest);
    source.put("/gitops/dev/release/bff", "999999999999.dkr.ecr.us-east-1.amazonaws.com/bff@" + digest);
    source.put("/gitops/dev/release/graphql", "public.ecr.aws/team/graphql@" + digest);
    ssmPut(source);

    Result r = promote();

    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output)
        .contains("bff: /gitops/dev/release/bff is in registry 999999999999/us-east-1, not in dev's (" + REGISTRY + "/us-east-1)")
        .contains("graphql: /gitops/dev/release/graphql is not an image in a private ECR registry");
    assertNothingWritten();
  }

  /** The tags of the image in the registry's repository {@code service}. */
  private static List<String> registryTags(String service) {
    return ecr.describeImages(b -> b.repositoryName(service)).imageDetails().stream()
        .flatMap(i -> i.imageTags().stream()).toList();
  }

  private static void assertNothingWritten() throws Exception {
    Map<String, String> target = ssmGet(SERVICES.stream().map(s -> "/gitops/test/release/" + s).toList());
    SERVICES.forEach(s -> assertThat(target).containsEntry("/gitops/test/release/" + s, TEST_PLACEHOLDER));
  }

  private static String release(String service, String digest) {
    return REGISTRY + ".dkr.ecr.us-east-1.amazonaws.com/" + service + "@" + digest;
  }

  /**
   * Creates the registry's repositories in moto, each holding one pushed image, with a repository
   * policy like the storage stack's that admits {@code policyAccount} (none when null). Returns the
   * digest moto gave the image.
   */
  private static String seedRegistry(String policyAccount) {
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1,"
        + "\"digest\":\"sha256:" + "a".repeat(64) + "\"},\"layers\":[]}";
    String digest = null;
    for (String service : SERVICES) {
      ecr.createRepository(b -> b.repositoryName(service));
      digest = ecr.putImage(b -> b.repositoryName(service).imageManifest(manifest).imageTag("v1"))
          .image().imageId().imageDigest();
      if (policyAccount != null) {
        String policy = ("{'Version':'2012-10-17','Statement':[{'Sid':'PullPromotedImages','Effect':'Allow',"
            + "'Principal':{'AWS':'arn:aws:iam::" + policyAccount + ":root'},"
            + "'Action':['ecr:BatchGetImage','ecr:GetDownloadUrlForLayer','ecr:BatchCheckLayerAvailability'],"
            + "'Condition':{'StringEquals':{'aws:PrincipalTag/gitops-delivery:pulls-images-from':'dev'}}}]}")
            .replace('\'', '"');
        ecr.setRepositoryPolicy(b -> b.repositoryName(service).policyText(policy));
      }
    }
    return digest;
  }

  private static Result promote() throws Exception {
    return promote(Map.of());
  }

  private static Result promote(Map<String, String> extra) throws Exception {
    Map<String, String> env = promotionEnvironment();
    env.putAll(extra);
    env.put("AWS_ENDPOINT_URL", endpoint);
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    return bash(List.of("bash", SCRIPT.toString()), env);
  }

  private static Map<String, String> promotionEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("PATH", cli.path(System.getenv("PATH")));
    env.put("HOME", System.getProperty("java.io.tmpdir"));
    env.put("SOURCE_ENV", "dev");
    env.put("TARGET_ENV", "test");
    // moto's default account, so the seeded parameters and the assumed roles share an account.
    env.put("SOURCE_ROLE_ARN", "arn:aws:iam::123456789012:role/gitops-delivery-dev-release-promotion");
    env.put("TARGET_ROLE_ARN", "arn:aws:iam::123456789012:role/gitops-delivery-test-release-promotion");
    env.put("SOURCE_REGION", "us-east-1");
    env.put("TARGET_REGION", "us-east-1");
    env.put("SOURCE_PATH", "/gitops/dev/release/");
    env.put("TARGET_PATH", "/gitops/test/release/");
    env.put("SOURCE_WIRING", "/gitops/dev/operator/wiring");
    env.put("SOAK_SECONDS", "0");
    env.put("RECORD_PATH", "/gitops/test/promotion/record/");
    env.put("OVERRIDE_PATH", "/gitops/test/promotion/override/");
    env.put("PIPELINE_EXECUTION_ID", "exec-1");
    env.put("SERVICES", String.join(" ", SERVICES));
    env.put("PLACEHOLDER_IMAGE", DEV_PLACEHOLDER);
    env.put("TARGET_PLACEHOLDER_IMAGE", TEST_PLACEHOLDER);
    env.put("RELEASE_PATTERN", Placeholders.RELEASE.pattern());
    env.put("TARGET_ACCOUNT", TARGET_ACCOUNT);
    env.put("REGISTRY_ENV", "dev");
    env.put("REGISTRY_ACCOUNT", REGISTRY);
    env.put("REGISTRY_REGION", "us-east-1");
    // dev is both the source and the registry here, as in Promote-test.
    env.put("REGISTRY_ROLE_ARN", "arn:aws:iam::123456789012:role/gitops-delivery-dev-release-promotion");
    return env;
  }

  /** Every service's release at {@code digest} in dev, the placeholder in test: the usual starting point. */
  private static Map<String, String> releasesInDevPlaceholdersInTest(String digest) {
    Map<String, String> source = new HashMap<>();
    SERVICES.forEach(s -> source.put("/gitops/dev/release/" + s, release(s, digest)));
    SERVICES.forEach(s -> source.put("/gitops/test/release/" + s, TEST_PLACEHOLDER));
    return source;
  }

  private static void ssmPut(Map<String, String> parameters) {
    parameters.forEach((name, value) ->
        ssm.putParameter(b -> b.name(name).value(value).type(ParameterType.STRING).overwrite(true)));
  }

  private static Map<String, String> ssmGet(List<String> names) {
    Map<String, String> values = new HashMap<>();
    names.forEach(n -> values.put(n, ssm.getParameter(b -> b.name(n)).parameter().value()));
    return values;
  }

  private record Result(int exit, String output) {}

  private static Result bash(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(env);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }
}
