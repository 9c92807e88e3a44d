package io.gitops.lambdas.canary;

import io.gitops.lambdas.core.ReleaseParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.ServiceRevision;

/**
 * What a hook invocation's {@code targetServiceRevisionArn} names, read from ECS (API reference,
 * DescribeServiceRevisions): the revision's task definition, the image and digest of the service's container,
 * and the target group ECS associates with it ({@code resolvedConfiguration.loadBalancers}, "which target groups
 * serve traffic"). The hook judges that revision; nothing it needs comes from task events it may not have seen.
 */
public final class ServiceRevisions {
  /**
   * One service revision.
   *
   * @param targetGroups the target groups of the revision: the resolved ones first, then those configured
   */
  public record Revision(String arn, String taskDefinition, Optional<String> image, Optional<String> digest,
      List<String> targetGroups) {
    public Revision {
      targetGroups = List.copyOf(targetGroups);
    }
  }

  /** Reads one revision; empty when ECS does not know it (a failure entry, or no revision in the answer). */
  @FunctionalInterface
  public interface Source {
    Optional<Revision> describe(String serviceRevisionArn, String container);
  }

  private ServiceRevisions() {}

  /**
   * DescribeServiceRevisions. SDK errors propagate: the handler answers a transient one with IN_PROGRESS (ECS
   * calls again), since a hook that throws makes ECS roll back a deployment nothing is wrong with.
   */
  public static Source of(EcsClient ecs) {
    return (arn, container) -> ecs.describeServiceRevisions(b -> b.serviceRevisionArns(arn)).serviceRevisions()
        .stream().filter(r -> arn.equals(r.serviceRevisionArn())).findFirst().map(r -> from(r, container));
  }

  static Revision from(ServiceRevision r, String container) {
    Optional<String> image = Optional.empty();
    Optional<String> digest = Optional.empty();
    if (r.hasContainerImages()) {
      var c = r.containerImages().stream().filter(i -> container.equals(i.containerName())).findFirst()
          .or(() -> r.containerImages().size() == 1 ? Optional.of(r.containerImages().get(0)) : Optional.empty());
      image = c.map(i -> i.image());
      digest = c.map(i -> i.imageDigest()).filter(d -> d != null && !d.isBlank())
          .or(() -> c.flatMap(i -> ReleaseParameters.digestOf(i.image())));
    }
    List<String> groups = new ArrayList<>();
    if (r.resolvedConfiguration() != null && r.resolvedConfiguration().hasLoadBalancers()) {
      r.resolvedConfiguration().loadBalancers().forEach(lb -> {
        if (lb.targetGroupArn() != null && !groups.contains(lb.targetGroupArn())) groups.add(lb.targetGroupArn());
      });
    }
    if (r.hasLoadBalancers()) {
      r.loadBalancers().forEach(lb -> {
        if (lb.targetGroupArn() != null && !groups.contains(lb.targetGroupArn())) groups.add(lb.targetGroupArn());
      });
    }
    return new Revision(r.serviceRevisionArn(), r.taskDefinition(), image, digest, groups);
  }
}
