package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gitops.stacks.config.ImagePulls;
import io.gitops.stacks.config.Placeholders;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * Blocker 1 of issue 21: a fresh environment's tasks reach only the VPC's endpoints and S3, so the image
 * every release parameter starts at must be in the region's private ECR, cached before compute starts tasks.
 */
class FirstImageTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PRIVATE_ECR =
      Pattern.compile("(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com/(.+)@(sha256:[0-9a-f]{64})");

  static Stream<PlatformStacks> stages() {
    return Stream.of(TestEnvironments.dev(), TestEnvironments.test(), TestEnvironments.prod());
  }

  @ParameterizedTest
  @MethodSource("stages")
  void everyReleaseParameterStartsAtAnImageOfTheRegionsPrivateEcrUnderACacheRuleForEcrPublic(PlatformStacks stage)
      throws Exception {
    Template storage = Template.fromStack(stage.storage());
    Map<String, Map<String, Object>> resources = TestEnvironments.resources(storage);
    Map<String, Map<String, Object>> rules = ofType(resources, "AWS::ECR::PullThroughCacheRule");
    assertThat(rules).as("pull-through cache rules").hasSize(1);
    Map<String, Object> rule = TestEnvironments.properties(rules.values().iterator().next());
    assertThat(rule).containsEntry("UpstreamRegistryUrl", "public.ecr.aws");

    Map<String, Map<String, Object>> parameters = ofType(resources, "Custom::ReleaseParameter");
    assertThat(parameters).hasSize(stage.config().services().size());
    for (Map<String, Object> parameter : parameters.values()) {
      String value = JSON.readTree((String) TestEnvironments.properties(parameter).get("Create"))
          .path("parameters").path("Value").asText();
      Matcher m = PRIVATE_ECR.matcher(value);
      assertThat(m.matches()).as("%s is an image of a private ECR registry", value).isTrue();
      assertThat(m.group(1)).isEqualTo(stage.config().target().account());
      assertThat(m.group(2)).isEqualTo(stage.config().target().region());
      assertThat(m.group(3)).startsWith(rule.get("EcrRepositoryPrefix") + "/");
      assertThat(m.group(4)).isEqualTo(Placeholders.DIGEST);
    }
  }

  @ParameterizedTest
  @MethodSource("stages")
  void theCacheIsWarmedOutsideTheVpcBeforeTheReleaseParametersAndTheComputeStackExist(PlatformStacks stage)
      throws Exception {
    Template storage = Template.fromStack(stage.storage());
    Map<String, Map<String, Object>> resources = TestEnvironments.resources(storage);
    String ruleId = ofType(resources, "AWS::ECR::PullThroughCacheRule").keySet().iterator().next();
    Map<String, Map<String, Object>> warmUps = ofType(resources, "Custom::EcrPublicCacheWarmUp");
    assertThat(warmUps).hasSize(1);
    String warmUpId = warmUps.keySet().iterator().next();
    Map<String, Object> warmUp = warmUps.get(warmUpId);
    assertThat(dependsOn(warmUp)).contains(ruleId);
    JsonNode pull = JSON.readTree((String) TestEnvironments.properties(warmUp).get("Create"));
    assertThat(pull.path("service").asText()).isEqualTo("ECR");
    assertThat(pull.path("action").asText()).isEqualTo("BatchGetImage");
    assertThat(pull.path("parameters").path("repositoryName").asText())
        .isEqualTo(Placeholders.cacheRepository(stage.config().name()));
    assertThat(pull.path("parameters").path("imageIds").get(0).path("imageDigest").asText()).isEqualTo(Placeholders.DIGEST);
    // The digest it returned is read by an output: nothing cached, no stack.
    assertThat(storage.toJSON().get("Outputs").toString()).contains(warmUpId).contains("images.0.imageId.imageDigest");

    for (Map<String, Object> parameter : ofType(resources, "Custom::ReleaseParameter").values()) {
      assertThat(dependsOn(parameter)).contains(warmUpId);
    }
    // The custom-resource functions run outside the VPC: the first pull through a cache rule needs the internet.
    for (Map<String, Object> function : ofType(resources, "AWS::Lambda::Function").values()) {
      assertThat(TestEnvironments.properties(function)).doesNotContainKey("VpcConfig");
    }
    assertThat(stage.compute().getDependencies()).contains(stage.storage());
  }

  @ParameterizedTest
  @MethodSource("stages")
  void theExecutionRoleMayPullTheCachedPlaceholder(PlatformStacks stage) {
    String policies = Template.fromStack(stage.compute()).findResources("AWS::IAM::Policy").toString();
    assertThat(policies).contains("PullCachedPlaceholder")
        .contains(":repository/" + Placeholders.cacheRepository(stage.config().name()));
    Object statement = Match.objectLike(Map.of("Sid", "PullCachedPlaceholder", "Action", ImagePulls.PULL_ACTIONS));
    Template.fromStack(stage.compute()).hasResourceProperties("AWS::IAM::Policy", Match.objectLike(Map.of(
        "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(statement))))));
  }

  private static Map<String, Map<String, Object>> ofType(Map<String, Map<String, Object>> resources, String type) {
    Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
    resources.forEach((id, r) -> {
      if (type.equals(r.get("Type"))) {
        out.put(id, r);
      }
    });
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<String> dependsOn(Map<String, Object> resource) {
    Object d = resource.get("DependsOn");
    return d == null ? List.of() : d instanceof String s ? List.of(s) : (List<String>) d;
  }
}
