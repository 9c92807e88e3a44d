package io.gitops.lambdas.core;

/**
 * Where a repository's images go: one entry of SERVICE_MAP.
 *
 * @param repository ECR repository name (the SERVICE_MAP key)
 * @param cluster ECS cluster name or ARN
 * @param service ECS service name (also the ledger partition)
 * @param container the container in the task definition whose image changes
 * @param releaseParameter SSM parameter name holding {@code repository-uri@sha256:...}
 * @param repositoryUri {@code <account>.dkr.ecr.<region>.amazonaws.com/<repository>}
 */
public record ServiceTarget(
    String repository,
    String cluster,
    String service,
    String container,
    String releaseParameter,
    String repositoryUri) {}
