package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.config.DeployTarget;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Environments;
import io.gitops.stacks.config.ImagePulls;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Template;

/**
 * Test and prod run what dev pushed, promoted by digest, from dev's repositories in another
 * account. Cross-account ECR access needs both sides, so this reads the three synthesized
 * policies that decide a pull (dev's repository policies, dev's key policy, the pulling execution
 * role's own policy and tags) and evaluates them for the pull actions the way IAM would for a
 * cross-account request: an Allow on each side, conditions included. It is a model of the policy
 * logic, not of AWS: docs/emulator-gaps.md lists what only a real account can show.
 */
class CrossAccountPullTest {

  private static final DeployTarget DEV = new DeployTarget("111111111111", "us-east-1");
  private static final DeployTarget TEST = new DeployTarget("222222222222", "us-east-1");
  private static final DeployTarget PROD = new DeployTarget("333333333333", "us-east-1");
  private static final String TOOLCHAIN = "444444444444";

  private static List<EnvironmentConfig> chain;
  private static Template devStorage;
  private static Template devSecurity;
  private static Template testCompute;
  private static Template prodCompute;

  @BeforeAll
  static void synth() {
    chain = Environments.all(TOOLCHAIN, DEV, TEST, PROD, new Environments.Certificates(
        Optional.empty(), Optional.empty(), Optional.of(TestEnvironments.CERTIFICATE)));
    PlatformStacks dev = PlatformStacks.create(new App(), chain.get(0));
    devStorage = Template.fromStack(dev.storage());
    devSecurity = Template.fromStack(dev.security());
    testCompute = Template.fromStack(PlatformStacks.create(new App(), chain.get(1)).compute());
    prodCompute = Template.fromStack(PlatformStacks.create(new App(), chain.get(2)).compute());
  }

  @Test
  void theAccountsComeFromTheEnvironmentConfigs() {
    assertThat(chain.get(0).promotion().imagePullers()).extracting(p -> p.target().account())
        .containsExactly(TEST.account(), PROD.account());
    assertThat(chain.get(1).promotion().imageRegistry()).hasValueSatisfying(r -> assertThat(r.target()).isEqualTo(DEV));
    assertThat(chain.get(2).promotion().imageRegistry()).hasValueSatisfying(r -> assertThat(r.target()).isEqualTo(DEV));
    assertThat(chain.get(0).promotion().imageRegistry()).isEmpty();
  }

  @Test
  void testAndProdExecutionRolesCanPullEveryDevRepository() {
    for (Template compute : List.of(testCompute, prodCompute)) {
      String account = compute == testCompute ? TEST.account() : PROD.account();
      Principal role = executionRole(compute, account);
      for (Map<String, Object> repository : resources(devStorage, "AWS::ECR::Repository")) {
        String arn = "arn:aws:ecr:us-east-1:" + DEV.account() + ":repository/generated-name";
        Map<String, String> repositoryTags = tags(repository);
        for (String action : ImagePulls.PULL_ACTIONS) {
          assertThat(allows(repositoryPolicy(repository), role, action, null, Map.of()))
              .as("dev's repository policy lets %s's execution role %s", account, action).isTrue();
          assertThat(allows(role.policy(), role, action, arn, repositoryTags))
              .as("%s's execution role policy allows %s on dev's repository", account, action).isTrue();
        }
      }
      assertThat(role.policy()).anySatisfy(s -> assertThat(s.get("Action")).isEqualTo("ecr:GetAuthorizationToken"));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void whatTestAndProdRunIsNeverExpiredByDevsLifecycleRules() throws Exception {
    for (Map<String, Object> repository : resources(devStorage, "AWS::ECR::Repository")) {
      List<?> rules = (List<?>) lifecyclePolicy(repository).get("rules");
      // Priority 1 claims what the revision cleanup tags released-<env>-<hex> (dev's own release and rollback
      // targets), priority 2 what the promotion step tags promoted-<env>-<hex> (test's and prod's releases): an image
      // matching a higher-priority rule's tags is never expired by a later one, and neither of these two ever
      // reaches its count.
      assertThat(rules.stream().map(r -> (Object) ((Map<?, ?>) r).get("rulePriority")).toList())
          .containsExactlyInAnyOrder(1, 2, 3, 4);
      for (Object[] kept : new Object[][] {{1, "released-"}, {2, "promoted-"}}) {
        Map<String, Object> rule = (Map<String, Object>) rules.stream()
            .filter(r -> kept[0].equals(((Map<?, ?>) r).get("rulePriority"))).findFirst().orElseThrow();
        assertThat(rule).containsEntry("selection", Map.of("tagStatus", "tagged", "tagPrefixList", List.of(kept[1]),
            "countType", "imageCountMoreThan", "countNumber", 9999));
      }
    }
  }

  /**
   * dev's repository after a year: a push a day (and an untagged manifest beside it), every third one promoted
   * to test; dev runs the release of day 301 (a rollback), prod the one of day 360.
   */
  private static List<EcrLifecycleModel.Image> aYearOfImages(java.time.Instant now) {
    List<EcrLifecycleModel.Image> images = new ArrayList<>();
    for (int day = 365; day >= 1; day--) {
      java.util.Set<String> tags = new java.util.HashSet<>(java.util.Set.of("1.0." + (365 - day)));
      if (day == 301) tags.add("released-dev-a1"); // dev rolled back to an old release and stays there
      if (day % 3 == 0) tags.add("promoted-test-" + day);
      if (day == 360) tags.add("promoted-prod-" + day); // prod has not moved for almost a year
      images.add(new EcrLifecycleModel.Image("day-" + day, now.minus(java.time.Duration.ofDays(day)), tags));
      images.add(new EcrLifecycleModel.Image("untagged-" + day, now.minus(java.time.Duration.ofDays(day)),
          java.util.Set.of()));
    }
    return images;
  }

  @Test
  void devsRulesNeverExpireAReleasedOrPromotedImageHoweverOldAndKeepTheLastThirtyOfTheRest() throws Exception {
    java.time.Instant now = java.time.Instant.parse("2026-12-01T00:00:00Z");
    List<EcrLifecycleModel.Image> images = aYearOfImages(now);

    java.util.Set<String> expired = EcrLifecycleModel.expired(
        lifecyclePolicy(resources(devStorage, "AWS::ECR::Repository").get(0)), images, now);

    assertThat(expired).doesNotContain("day-301", "day-360")
        .noneMatch(name -> name.startsWith("day-") && Integer.parseInt(name.substring(4)) % 3 == 0)
        .contains("day-31", "day-364", "untagged-8").doesNotContain("day-1", "day-14", "untagged-7");
    assertThat(images.stream().filter(i -> i.name().startsWith("day-") && !expired.contains(i.name())
        && i.tags().size() == 1)).hasSizeLessThanOrEqualTo(30);
  }

  @Test
  @SuppressWarnings("unchecked")
  void withoutTheReleasedRuleDevsOldReleaseWouldExpire() throws Exception {
    java.time.Instant now = java.time.Instant.parse("2026-12-01T00:00:00Z");
    Map<String, Object> policy = lifecyclePolicy(resources(devStorage, "AWS::ECR::Repository").get(0));
    List<Object> rules = new ArrayList<>((List<Object>) policy.get("rules"));
    rules.removeIf(r -> Integer.valueOf(1).equals(((Map<?, ?>) r).get("rulePriority")));

    assertThat(EcrLifecycleModel.expired(Map.of("rules", rules), aYearOfImages(now), now)).contains("day-301");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> lifecyclePolicy(Map<String, Object> repository) throws Exception {
    Map<?, ?> lifecycle = (Map<?, ?>) properties(repository).get("LifecyclePolicy");
    return new com.fasterxml.jackson.databind.ObjectMapper().readValue(
        String.valueOf(lifecycle.get("LifecyclePolicyText")), Map.class);
  }

  @Test
  void theRepositoriesKeyLetsThePullersDecryptThroughEcrOnly() {
    List<Map<String, Object>> keyPolicy = statements(properties(resources(devSecurity, "AWS::KMS::Key").get(0)).get("KeyPolicy"));
    for (Template compute : List.of(testCompute, prodCompute)) {
      String account = compute == testCompute ? TEST.account() : PROD.account();
      Principal role = executionRole(compute, account);
      Map<String, String> viaEcr = Map.of(
          "kms:ViaService", "ecr.us-east-1.amazonaws.com",
          "kms:EncryptionContext:aws:ecr:arn", "arn:aws:ecr:us-east-1:" + DEV.account() + ":repository/generated-name");
      String keyArn = "arn:aws:kms:us-east-1:" + DEV.account() + ":key/generated-id";
      assertThat(allows(keyPolicy, role, "kms:Decrypt", null, Map.of(), viaEcr)).as("dev's key policy, %s", account).isTrue();
      assertThat(allows(role.policy(), role, "kms:Decrypt", keyArn, Map.of(), viaEcr)).as("%s's role policy", account).isTrue();
      // Not directly, and not for anything but dev's repositories.
      assertThat(allows(keyPolicy, role, "kms:Decrypt", null, Map.of(), Map.of())).isFalse();
      assertThat(allows(keyPolicy, role, "kms:Decrypt", null, Map.of(), Map.of(
          "kms:ViaService", "ecr.us-east-1.amazonaws.com",
          "kms:EncryptionContext:aws:ecr:arn", "arn:aws:ecr:us-east-1:999999999999:repository/x"))).isFalse();
    }
  }

  @Test
  void noOtherPrincipalAndNoOtherActionIsAdmitted() {
    Principal untagged = new Principal(TEST.account(), Map.of(), List.of());
    Principal otherAccount = new Principal(TOOLCHAIN, Map.of(ImagePulls.PRINCIPAL_TAG, "dev"), List.of());
    for (Map<String, Object> repository : resources(devStorage, "AWS::ECR::Repository")) {
      List<Map<String, Object>> policy = repositoryPolicy(repository);
      assertThat(allows(policy, untagged, "ecr:BatchGetImage", null, Map.of())).isFalse();
      assertThat(allows(policy, otherAccount, "ecr:BatchGetImage", null, Map.of())).isFalse();
      Principal puller = executionRole(testCompute, TEST.account());
      for (String write : List.of("ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:BatchDeleteImage", "ecr:SetRepositoryPolicy")) {
        assertThat(allows(policy, puller, write, null, Map.of())).as(write).isFalse();
      }
    }
    // The pulling role's policy does not reach repositories of another project or environment.
    Principal role = executionRole(testCompute, TEST.account());
    String arn = "arn:aws:ecr:us-east-1:" + DEV.account() + ":repository/x";
    assertThat(allows(role.policy(), role, "ecr:BatchGetImage", arn, Map.of("Project", "other", "Environment", "dev"))).isFalse();
    assertThat(allows(role.policy(), role, "ecr:BatchGetImage", arn, Map.of("Project", "gitops-delivery", "Environment", "test"))).isFalse();
  }

  @Test
  void devPullsItsOwnRepositoriesAndIsPulledFromButDoesNotPullElsewhere() {
    PlatformStacks dev = PlatformStacks.create(new App(), chain.get(0));
    Template devCompute = Template.fromStack(dev.compute());
    Principal role = executionRole(devCompute, DEV.account());
    assertThat(role.tags()).doesNotContainKey(ImagePulls.PRINCIPAL_TAG);
    assertThat(role.policy()).noneSatisfy(s -> assertThat(String.valueOf(s.get("Sid"))).isEqualTo("PullPromotedImages"));
    // Standalone environments (no chain) keep their own repositories and share nothing.
    Template standalone = Template.fromStack(TestEnvironments.dev().storage());
    for (Map<String, Object> repository : resources(standalone, "AWS::ECR::Repository")) {
      assertThat(properties(repository)).doesNotContainKey("RepositoryPolicyText");
    }
  }

  // --- a small model of IAM's evaluation, enough for these statements ------------------------

  /** The pulling execution role: its account, its tags (principal tags) and its policy statements. */
  private record Principal(String account, Map<String, String> tags, List<Map<String, Object>> policy) {}

  private static Principal executionRole(Template compute, String account) {
    Map<String, Map<String, Object>> all = TestEnvironments.resources(compute);
    String roleId = all.entrySet().stream()
        .filter(e -> "AWS::IAM::Role".equals(e.getValue().get("Type")) && e.getKey().startsWith("ExecutionRole"))
        .map(Map.Entry::getKey).findFirst().orElseThrow();
    Map<String, String> tags = new java.util.HashMap<>();
    Object tagList = properties(all.get(roleId)).get("Tags");
    if (tagList instanceof List<?> list) {
      for (Object t : list) {
        Map<?, ?> tag = (Map<?, ?>) t;
        tags.put(String.valueOf(tag.get("Key")), String.valueOf(tag.get("Value")));
      }
    }
    List<Map<String, Object>> policy = new ArrayList<>();
    for (Map<String, Object> p : all.values()) {
      if ("AWS::IAM::Policy".equals(p.get("Type"))
          && String.valueOf(properties(p).get("Roles")).contains(roleId)) {
        policy.addAll(statements(properties(p).get("PolicyDocument")));
      }
    }
    return new Principal(account, tags, policy);
  }

  private static boolean allows(List<Map<String, Object>> statements, Principal who, String action,
      String resource, Map<String, String> resourceTags) {
    return allows(statements, who, action, resource, resourceTags, Map.of());
  }

  /**
   * True if an Allow statement matches: its principal (resource policies) names the caller's
   * account, its actions and resources match, and every condition holds against the request
   * context. Unresolvable values (CloudFormation intrinsics) never match.
   */
  private static boolean allows(List<Map<String, Object>> statements, Principal who, String action,
      String resource, Map<String, String> resourceTags, Map<String, String> context) {
    for (Map<String, Object> s : statements) {
      if (!"Allow".equals(s.get("Effect"))) continue;
      if (s.containsKey("Principal") && !principalMatches(s.get("Principal"), who.account())) continue;
      if (list(s.get("Action")).stream().noneMatch(a -> glob(a, action))) continue;
      if (resource != null && list(s.get("Resource")).stream().noneMatch(r -> glob(r, resource))) continue;
      if (conditionsHold(s.get("Condition"), who, resourceTags, context)) return true;
    }
    return false;
  }

  private static boolean principalMatches(Object principal, String account) {
    if (!(principal instanceof Map<?, ?> map)) return false;
    for (Object p : list(map.get("AWS"))) {
      String arn = resolved(p);
      if (arn != null && (arn.equals(account) || arn.equals("arn:aws:iam::" + account + ":root"))) return true;
    }
    return false;
  }

  private static boolean conditionsHold(Object conditions, Principal who, Map<String, String> resourceTags,
      Map<String, String> context) {
    if (conditions == null) return true;
    for (Map.Entry<?, ?> op : ((Map<?, ?>) conditions).entrySet()) {
      for (Map.Entry<?, ?> kv : ((Map<?, ?>) op.getValue()).entrySet()) {
        String key = String.valueOf(kv.getKey());
        String actual;
        if (key.startsWith("aws:PrincipalTag/")) {
          actual = who.tags().get(key.substring("aws:PrincipalTag/".length()));
        } else if (key.startsWith("aws:ResourceTag/")) {
          actual = resourceTags.get(key.substring("aws:ResourceTag/".length()));
        } else {
          actual = context.get(key);
        }
        if (actual == null) return false;
        boolean any = false;
        for (Object expected : list(kv.getValue())) {
          String e = resolved(expected);
          if (e == null) continue;
          any |= switch (String.valueOf(op.getKey())) {
            case "StringEquals" -> e.equals(actual);
            case "ArnLike", "StringLike" -> glob(e, actual);
            default -> false;
          };
        }
        if (!any) return false;
      }
    }
    return true;
  }

  /** A string, or a Fn::Join of strings and AWS::Partition (rendered "aws"); null otherwise. */
  private static String resolved(Object value) {
    if (value instanceof String s) return s;
    if (value instanceof Map<?, ?> m && m.get("Fn::Join") instanceof List<?> join) {
      StringBuilder out = new StringBuilder();
      for (Object part : (List<?>) join.get(1)) {
        if (part instanceof String s) {
          out.append(s);
        } else if (part instanceof Map<?, ?> ref && "AWS::Partition".equals(ref.get("Ref"))) {
          out.append("aws");
        } else {
          return null;
        }
      }
      return out.toString();
    }
    return null;
  }

  private static boolean glob(Object pattern, String value) {
    String p = resolved(pattern);
    if (p == null) return false;
    StringBuilder regex = new StringBuilder();
    for (char c : p.toCharArray()) {
      regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
    }
    return Pattern.matches(regex.toString(), value);
  }

  private static List<Object> list(Object value) {
    if (value == null) return List.of();
    return value instanceof List<?> l ? new ArrayList<>(l) : List.of(value);
  }

  private static List<Map<String, Object>> repositoryPolicy(Map<String, Object> repository) {
    return statements(properties(repository).get("RepositoryPolicyText"));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> statements(Object document) {
    assertThat(document).as("policy document").isInstanceOf(Map.class);
    return (List<Map<String, Object>>) ((Map<String, Object>) document).get("Statement");
  }

  private static Map<String, String> tags(Map<String, Object> resource) {
    Map<String, String> tags = new java.util.HashMap<>();
    for (Object t : list(properties(resource).get("Tags"))) {
      Map<?, ?> tag = (Map<?, ?>) t;
      tags.put(String.valueOf(tag.get("Key")), String.valueOf(tag.get("Value")));
    }
    return tags;
  }

  private static List<Map<String, Object>> resources(Template template, String type) {
    return TestEnvironments.resources(template).values().stream().filter(r -> type.equals(r.get("Type"))).toList();
  }

  private static Map<String, Object> properties(Map<String, Object> resource) {
    return TestEnvironments.properties(resource);
  }
}
