package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.storage.StorageStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class StorageStackTest {

  private static PlatformStacks devStacks;
  private static Template dev;
  private static Template prod;

  @BeforeAll
  static void synth() {
    devStacks = TestEnvironments.dev();
    dev = Template.fromStack(devStacks.storage());
    prod = Template.fromStack(TestEnvironments.prod().storage());
  }

  @Test
  void everyServiceHasAScannedImmutableKmsEncryptedRepository() {
    prod.resourceCountIs("AWS::ECR::Repository", 3);
    prod.resourcePropertiesCountIs("AWS::ECR::Repository", Map.of(
        "ImageScanningConfiguration", Map.of("ScanOnPush", true),
        "ImageTagMutability", "IMMUTABLE",
        "EncryptionConfiguration", Map.of("EncryptionType", "KMS", "KmsKey", Match.anyValue())), 3);
    assertThat(devStacks.storage().repositories()).containsOnlyKeys("bff", "graphql", "agentcore");
  }

  @Test
  void repositoriesNeverExpireReleasedImagesExpireUntaggedOnesAndKeepTheLastThirty() throws Exception {
    Capture policy = new Capture();
    prod.hasResourceProperties("AWS::ECR::Repository", Map.of("LifecyclePolicy",
        Map.of("LifecyclePolicyText", policy)));
    // A repository no other environment pulls from has no promoted- rule; its priority 2 stays free.
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(policy.asString()).get("rules"))
        .hasSize(3);
    assertThat(policy.asString())
        .contains("{\"rulePriority\":1,\"description\":\"Never expire the images the release parameters name "
            + "(tagged released-*)\",\"selection\":{\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"released-\"],"
            + "\"countType\":\"imageCountMoreThan\",\"countNumber\":9999},\"action\":{\"type\":\"expire\"}}")
        .contains("\"rulePriority\":3").contains("\"tagStatus\":\"untagged\"")
        .contains("\"countType\":\"sinceImagePushed\"").contains("\"countNumber\":7")
        .contains("\"rulePriority\":4").contains("\"tagStatus\":\"any\"").contains("\"countNumber\":30");
  }

  @Test
  void bucketsAreEncryptedVersionedPrivateAndTlsOnly() {
    prod.resourceCountIs("AWS::S3::Bucket", 2);
    prod.resourcePropertiesCountIs("AWS::S3::Bucket", Map.of(
        "VersioningConfiguration", Map.of("Status", "Enabled"),
        "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
            "IgnorePublicAcls", true, "RestrictPublicBuckets", true)), 2);
    prod.hasResourceProperties("AWS::S3::Bucket", Map.of("BucketEncryption", Map.of(
        "ServerSideEncryptionConfiguration", List.of(Map.of("BucketKeyEnabled", true,
            "ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "aws:kms", "KMSMasterKeyID", Match.anyValue())))),
        "LoggingConfiguration", Map.of("DestinationBucketName", Match.anyValue(), "LogFilePrefix", "documents/")));
    prod.resourcePropertiesCountIs("AWS::S3::BucketPolicy", Map.of("PolicyDocument", Map.of(
        "Statement", Match.arrayWith(List.of(Match.objectLike(Map.of("Effect", "Deny",
            "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))), 2);
  }

  @Test
  void bucketsAreRetainedInProd() {
    assertThat(prod.findResources("AWS::S3::Bucket", Map.of("DeletionPolicy", "Retain"))).hasSize(2);
  }

  @Test
  void releaseParameterNamesAreDeterministic() {
    assertThat(StorageStack.releaseParameterName("prod", "bff")).isEqualTo("/gitops/prod/release/bff");
    assertThat(StorageStack.releaseParameterPath("test")).isEqualTo("/gitops/test/release/");
    assertThat(devStacks.storage().releaseParameters()).containsOnlyKeys("bff", "graphql", "agentcore");
    assertThat(devStacks.storage().releaseParameters().get("bff").getParameterName())
        .isEqualTo("/gitops/dev/release/bff");
  }

  /** Create-only: PutParameter without Overwrite on create, no update call at all. */
  @Test
  void releaseParametersAreWrittenOnCreateOnlyNeverOnUpdate() {
    Map<String, Map<String, Object>> params = TestEnvironments.resources(dev).entrySet().stream()
        .filter(e -> "Custom::ReleaseParameter".equals(e.getValue().get("Type")))
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertThat(params).hasSize(3);
    for (Map<String, Object> resource : params.values()) {
      Map<String, Object> props = TestEnvironments.properties(resource);
      assertThat(props).doesNotContainKey("Update");
      String create = (String) props.get("Create");
      assertThat(create).contains("\"action\":\"PutParameter\"").doesNotContain("Overwrite")
          .contains("\"Value\":\"" + Placeholders.image(TestEnvironments.TARGET, "dev") + "\"")
          .contains("\"ignoreErrorCodesMatching\":\"ParameterAlreadyExists\"");
      assertThat((String) props.get("Delete")).contains("\"action\":\"DeleteParameter\"");
    }
  }

  @Test
  void prodKeepsItsReleaseParametersWhenTheStackIsDeleted() {
    for (Object resource : prod.findResources("Custom::ReleaseParameter").values()) {
      Map<String, Object> props = TestEnvironments.properties(castMap(resource));
      assertThat(props).doesNotContainKeys("Update", "Delete");
    }
  }

  @Test
  void theProviderMayOnlyCreateTagAndDeleteTheReleaseParameters() {
    Capture statements = new Capture();
    dev.hasResourceProperties("AWS::IAM::Policy", Map.of(
        "PolicyName", Match.stringLikeRegexp("bffReleaseCustomResourcePolicy.*"),
        "PolicyDocument", Map.of("Statement", statements)));
    assertThat(statements.asArray()).hasSize(1);
    Map<String, Object> statement = castMap(statements.asArray().get(0));
    assertThat(statement.get("Action")).isEqualTo(List.of("ssm:PutParameter", "ssm:AddTagsToResource", "ssm:DeleteParameter"));
    assertThat(String.valueOf(statement.get("Resource"))).endsWith(":ssm:us-east-1:111111111111:parameter/gitops/dev/release/bff]]}");
  }

  @Test
  void placeholderIsADigestPinnedImageThatTheReleasePatternAccepts() {
    String image = Placeholders.image(TestEnvironments.TARGET, "dev");
    assertThat(image).matches(".+@sha256:[0-9a-f]{64}");
    assertThat(Placeholders.RELEASE.matcher(image).matches()).isTrue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }
}
