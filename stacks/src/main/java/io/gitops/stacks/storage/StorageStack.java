package io.gitops.stacks.storage;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.ServiceConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecr.TagMutability;
import software.constructs.Construct;

/** Container registries per service, and the application buckets. */
public class StorageStack extends PlatformStack {

  private final Map<String, Repository> repositories = new LinkedHashMap<>();

  public StorageStack(Construct scope, String id, EnvironmentConfig config) {
    super(scope, id, config, "ECR repositories, S3 buckets and release parameters");
    for (ServiceConfig service : config.services()) {
      repositories.put(service.name(), Repository.Builder.create(this, service.name() + "Repository")
          .imageScanOnPush(true)
          .imageTagMutability(TagMutability.IMMUTABLE)
          .build());
    }
  }

  /** ECR repository per service name, in the config's service order. */
  public Map<String, Repository> repositories() {
    return Map.copyOf(repositories);
  }
}
