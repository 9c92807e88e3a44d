package io.gitops.lambdas.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.Tag;
import software.amazon.awssdk.services.ecs.model.TaskDefinition;

/**
 * Task definition cloning: a new revision that differs from the current one only in one container's image.
 * Shared by the image deployer (roll forward) and anything that needs to re-register a revision.
 */
public final class TaskDefinitions {
  private TaskDefinitions() {}

  /** The image of the named container, or a {@link PermanentFailureException} if there is no such container. */
  public static String imageOf(TaskDefinition td, String container) {
    return td.containerDefinitions().stream()
        .filter(c -> container.equals(c.name()))
        .findFirst()
        .map(ContainerDefinition::image)
        .orElseThrow(() -> new PermanentFailureException("container '" + container + "' not found in task definition "
            + td.taskDefinitionArn()));
  }

  /**
   * A RegisterTaskDefinition request that copies every registrable field of {@code current} (and its tags),
   * replacing only the image of {@code container}. Fields ECS computes (ARN, revision, status,
   * compatibilities, requiresAttributes, registeredAt/By ...) are not registrable and are left out.
   * A test compares every field of the request model against the source, so a new SDK field that is not
   * copied here fails the build.
   */
  public static RegisterTaskDefinitionRequest cloneWithImage(
      DescribeTaskDefinitionResponse described, String container, String image) {
    TaskDefinition td = described.taskDefinition();
    imageOf(td, container); // fails clearly if the container is missing
    List<ContainerDefinition> containers = new ArrayList<>();
    for (ContainerDefinition c : td.containerDefinitions()) {
      containers.add(container.equals(c.name()) ? withoutPlaceholderCommand(c).image(image).build() : c);
    }
    RegisterTaskDefinitionRequest.Builder b = RegisterTaskDefinitionRequest.builder()
        .family(td.family())
        .taskRoleArn(td.taskRoleArn())
        .executionRoleArn(td.executionRoleArn())
        .networkMode(td.networkModeAsString())
        .containerDefinitions(containers)
        .cpu(td.cpu())
        .memory(td.memory())
        .pidMode(td.pidModeAsString())
        .ipcMode(td.ipcModeAsString())
        .proxyConfiguration(td.proxyConfiguration())
        .ephemeralStorage(td.ephemeralStorage())
        .runtimePlatform(td.runtimePlatform())
        .enableFaultInjection(td.enableFaultInjection());
    if (td.hasVolumes()) b.volumes(td.volumes());
    if (td.hasPlacementConstraints()) b.placementConstraints(td.placementConstraints());
    if (td.hasRequiresCompatibilities()) b.requiresCompatibilitiesWithStrings(td.requiresCompatibilitiesAsStrings());
    if (td.hasInferenceAccelerators()) b.inferenceAccelerators(td.inferenceAccelerators());
    if (described.hasTags() && !described.tags().isEmpty()) b.tags(described.tags());
    return b.build();
  }

  /**
   * Docker label the compute stack puts on a container while it runs the placeholder image, together
   * with the placeholder's command (stacks' {@code Placeholders.COMMAND_LABEL}; a pipeline test pins
   * that the two are equal).
   */
  public static final String PLACEHOLDER_COMMAND_LABEL = "io.gitops-delivery.placeholder-command";

  /**
   * The container's builder without the placeholder's command, if the container runs it (it carries
   * {@link #PLACEHOLDER_COMMAND_LABEL}): a real image must start with its own command, never with the
   * placeholder's. Any other container is copied unchanged.
   */
  private static ContainerDefinition.Builder withoutPlaceholderCommand(ContainerDefinition c) {
    if (!c.hasDockerLabels() || !c.dockerLabels().containsKey(PLACEHOLDER_COMMAND_LABEL)) {
      return c.toBuilder();
    }
    java.util.Map<String, String> labels = new java.util.LinkedHashMap<>(c.dockerLabels());
    labels.remove(PLACEHOLDER_COMMAND_LABEL);
    return c.toBuilder()
        .command((java.util.Collection<String>) null)
        .dockerLabels(labels.isEmpty() ? null : labels);
  }

  /**
   * For {@code RegisterTaskDefinition}, which is not idempotent: one attempt, no SDK retry. An attempt that
   * timed out may have registered the revision; a blind retry would register a second one for the same digest.
   * The caller looks the revision up by its tag instead (and Lambda's retry resumes the same way).
   */
  public static final software.amazon.awssdk.core.SdkPlugin SINGLE_ATTEMPT = config -> config.overrideConfiguration(
      config.overrideConfiguration().toBuilder()
          .retryStrategy(software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry()).build());

  /** The request with {@link #SINGLE_ATTEMPT}. */
  public static RegisterTaskDefinitionRequest singleAttempt(RegisterTaskDefinitionRequest r) {
    return r.toBuilder().overrideConfiguration(o -> o.addPlugin(SINGLE_ATTEMPT)).build();
  }

  /** Tag on a revision the image deployer registered: the digest it rolls out. */
  public static final String DIGEST_TAG = "gitops:digest";
  /** Tag on a revision the image deployer registered: the revision it was cloned from (what the service ran). */
  public static final String PREVIOUS_REVISION_TAG = "gitops:previous-revision";

  /**
   * The clone request with the deployer's two tags ({@link #DIGEST_TAG}, {@link #PREVIOUS_REVISION_TAG})
   * replacing any the source carried. They let an interrupted rollout find the revision it registered
   * instead of recording it in the ledger on the hot path (docs/ledger.md).
   */
  public static RegisterTaskDefinitionRequest withRolloutTags(RegisterTaskDefinitionRequest clone, String digest,
      String previousRevision) {
    List<Tag> tags = new ArrayList<>();
    if (clone.hasTags()) {
      clone.tags().stream().filter(t -> !DIGEST_TAG.equals(t.key()) && !PREVIOUS_REVISION_TAG.equals(t.key()))
          .forEach(tags::add);
    }
    tags.add(Tag.builder().key(DIGEST_TAG).value(digest).build());
    tags.add(Tag.builder().key(PREVIOUS_REVISION_TAG).value(previousRevision).build());
    return clone.toBuilder().tags(tags).build();
  }

  /** The value of a tag on a described revision. */
  public static Optional<String> tag(DescribeTaskDefinitionResponse described, String key) {
    if (!described.hasTags()) return Optional.empty();
    return described.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst();
  }

  /** The revision number at the end of a task definition ARN ({@code ...:task-definition/family:12}). */
  public static int revisionOf(String arn) {
    return Integer.parseInt(arn.substring(arn.lastIndexOf(':') + 1));
  }
}
