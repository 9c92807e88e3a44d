package io.gitops.contract;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One value of SERVICE_MAP (a JSON object keyed by ECR repository name). Values may be CDK tokens on the
 * stack's side; the stack serializes {@link #toJsonObject()} with its own token-aware JSON writer.
 *
 * @param cluster ECS cluster name or ARN
 * @param service ECS service name (also the ledger partition)
 * @param container the container in the task definition whose image changes
 * @param releaseParameter SSM parameter name holding {@code repository-uri@sha256:...}
 * @param repositoryUri {@code <account>.dkr.ecr.<region>.amazonaws.com/<repository>}
 */
public record ServiceMapEntry(String cluster, String service, String container, String releaseParameter,
    String repositoryUri) {

  public static final String CLUSTER = "cluster";
  public static final String SERVICE = "service";
  public static final String CONTAINER = "container";
  public static final String RELEASE_PARAMETER = "releaseParameter";
  public static final String REPOSITORY_URI = "repositoryUri";

  public ServiceMapEntry {
    Objects.requireNonNull(cluster, CLUSTER);
    Objects.requireNonNull(service, SERVICE);
    Objects.requireNonNull(container, CONTAINER);
    Objects.requireNonNull(releaseParameter, RELEASE_PARAMETER);
    Objects.requireNonNull(repositoryUri, REPOSITORY_URI);
  }

  /** The JSON object's fields, in a fixed order. */
  public Map<String, Object> toJsonObject() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put(CLUSTER, cluster);
    o.put(SERVICE, service);
    o.put(CONTAINER, container);
    o.put(RELEASE_PARAMETER, releaseParameter);
    o.put(REPOSITORY_URI, repositoryUri);
    return o;
  }
}
