package io.gitops.stacks.storage;

import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.config.Sorted;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.customresources.AwsCustomResource;
import software.amazon.awscdk.customresources.AwsCustomResourcePolicy;
import software.amazon.awscdk.customresources.AwsSdkCall;
import software.amazon.awscdk.customresources.PhysicalResourceId;
import software.amazon.awscdk.services.ecr.CfnPullThroughCacheRule;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.logs.ILogGroup;
import software.constructs.Construct;

/**
 * The environment's pull-through cache rule for ECR Public, warmed with the placeholder image before
 * any task needs it.
 *
 * <p>Why: tasks reach only the VPC's interface endpoints and S3 (compute's TaskEgress), and VPC
 * endpoints do not serve ECR Public, so the placeholder is pulled from the environment's own registry
 * under this rule's prefix ({@link Placeholders#image}). ECR's user guide ("Amazon ECR interface VPC
 * endpoints", considerations) says the first pull of an image through a cache rule from a VPC that
 * uses the ECR endpoints needs a route to the internet; later pulls do not. So the storage stack pulls
 * it first: a custom resource calls {@code BatchGetImage} for the pinned digest on the cache repository,
 * which makes ECR create the repository and import the image from ECR Public. The custom-resource
 * function runs outside the VPC (Lambda's own network has internet access). The compute stack depends
 * on this stack, so no task starts before the image is cached; the release parameters (created after
 * the warm-up here) name the cached copy.
 *
 * <p>The warm-up fails the stack if ECR returns no image: {@link #warmedDigest()} reads the response's
 * digest, which CloudFormation cannot resolve when the call found nothing.
 */
public final class EcrPublicCache extends Construct {

  /** What ECR may answer with for the pinned digest (an index or a single-platform manifest). */
  static final List<String> MANIFEST_TYPES = List.of(
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.v2+json");

  private final CfnPullThroughCacheRule rule;
  private final AwsCustomResource warmUp;
  private final String repositoryArn;

  public EcrPublicCache(Construct scope, String id, String environment, IRole role, ILogGroup logGroup) {
    super(scope, id);
    Stack stack = Stack.of(this);
    rule = CfnPullThroughCacheRule.Builder.create(this, "Rule")
        .ecrRepositoryPrefix(Placeholders.cachePrefix(environment))
        .upstreamRegistry("ecr-public")
        .upstreamRegistryUrl(Placeholders.UPSTREAM_REGISTRY)
        .build();
    String repository = Placeholders.cacheRepository(environment);
    repositoryArn = stack.formatArn(ArnComponents.builder()
        .service("ecr").resource("repository").resourceName(repository).build());

    AwsSdkCall pull = AwsSdkCall.builder()
        .service("ECR")
        .action("BatchGetImage")
        .parameters(Sorted.map(Map.of(
            "repositoryName", repository,
            "imageIds", List.of(Map.of("imageDigest", Placeholders.DIGEST)),
            "acceptedMediaTypes", MANIFEST_TYPES)))
        .physicalResourceId(PhysicalResourceId.of(repository + "@" + Placeholders.DIGEST))
        // Only the digest: the manifest itself would overflow CloudFormation's 4 KB response limit.
        .outputPaths(List.of("images.0.imageId.imageDigest"))
        .build();
    warmUp = AwsCustomResource.Builder.create(this, "WarmUp")
        .resourceType("Custom::EcrPublicCacheWarmUp")
        .installLatestAwsSdk(false)
        .role(role)
        .logGroup(logGroup)
        .onCreate(pull)
        // A new digest (a new physical id) is pulled again on update; the cached image stays.
        .onUpdate(pull)
        .policy(AwsCustomResourcePolicy.fromStatements(List.of(PolicyStatement.Builder.create()
            // The first pull through a cache rule creates the repository and imports the image
            // (ECR user guide, "IAM permissions required to sync an upstream registry").
            .actions(List.of("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage",
                "ecr:CreateRepository"))
            .resources(List.of(repositoryArn))
            .build())))
        .build();
    warmUp.getNode().addDependency(rule);
    CfnOutput.Builder.create(this, "WarmedDigest")
        .description("The placeholder's digest as the pull-through cache returned it (the warm-up's proof)")
        .value(warmedDigest())
        .build();
  }

  /** The digest ECR returned from the cache repository; unresolvable (stack fails) when it returned none. */
  public String warmedDigest() {
    return warmUp.getResponseField("images.0.imageId.imageDigest");
  }

  /** The cache repository of the placeholder image, for the task execution role's pull grant. */
  public String repositoryArn() {
    return repositoryArn;
  }

  public CfnPullThroughCacheRule rule() {
    return rule;
  }

  public AwsCustomResource warmUp() {
    return warmUp;
  }
}
