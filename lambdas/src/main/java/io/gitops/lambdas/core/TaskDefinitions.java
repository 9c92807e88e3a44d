package io.gitops.lambdas.core;

import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
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
      containers.add(container.equals(c.name()) ? c.toBuilder().image(image).build() : c);
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
}
