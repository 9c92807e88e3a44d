package io.gitops.stacks.config;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The three environments. Sizing follows the compute plan: dev 0.5 vCPU / 1 GB, test 1 vCPU / 2 GB,
 * prod 2 vCPU / 4 GB per task. Releases are promoted dev → test → prod; built alone, an environment
 * assumes its pipeline runs in its own account ({@link EnvironmentConfig#withToolchainAccount}). Only the target and the certificate come from outside (cdk.json
 * context, read in the app's main); everything else is code, reviewed like code.
 */
public final class Environments {

  // Every AWS API the tasks call has an interface endpoint, so task egress names the endpoints and
  // S3's prefix list instead of 0.0.0.0/0 (TaskEgress): image pulls (ecr.api, ecr.dkr), logs,
  // injected settings and secrets (ssm, secretsmanager), the search role (sts), AgentCore's models
  // (bedrock-runtime).
  private static final List<String> ALL_ENDPOINTS =
      List.of("ecr.api", "ecr.dkr", "logs", "ssm", "secretsmanager", "sts", "bedrock-runtime");
  // dev also runs ECS Exec: its sessions use SSM messages, and the agent in the container calls KMS for
  // the session's data key (sessions are encrypted with the compute key).
  private static final List<String> DEV_ENDPOINTS = java.util.stream.Stream.concat(
      ALL_ENDPOINTS.stream(), java.util.stream.Stream.of("ssmmessages", "kms")).toList();
  private static final List<String> BEDROCK_MODELS = List.of(
      "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.titan-embed-text-v2:0");

  /** GraphQL's health check: the query {@code {__typename}}, URL-encoded, which every schema answers. */
  public static final String GRAPHQL_HEALTH_PATH = "/graphql?query=%7B__typename%7D";

  private Environments() {}

  /** The environments in promotion order, promoted by a pipeline in the dev account. */
  public static List<EnvironmentConfig> all(
      DeployTarget dev, DeployTarget test, DeployTarget prod, Certificates certificates) {
    return all(dev.account(), dev, test, prod, certificates);
  }

  /** The environments in promotion order, promoted by the pipeline in {@code toolchainAccount}. */
  public static List<EnvironmentConfig> all(String toolchainAccount,
      DeployTarget dev, DeployTarget test, DeployTarget prod, Certificates certificates) {
    return sharingImages(List.of(dev(dev, certificates.dev()), test(test, certificates.test()),
            prod(prod, certificates.prod())).stream()
        .map(env -> env.withToolchainAccount(toolchainAccount))
        .toList());
  }

  /**
   * Images are pushed to the first environment (dev) and promoted by digest, so every later one
   * runs images from dev's repositories: dev's repositories admit their accounts, and they pull
   * from dev (see {@link ImagePulls}).
   */
  static List<EnvironmentConfig> sharingImages(List<EnvironmentConfig> chain) {
    EnvironmentConfig registry = chain.get(0);
    if (!registry.autoDeployImages() || registry.promotion().from().isPresent()) {
      throw new IllegalArgumentException(registry.name() + ": the first environment must be the one images are pushed to");
    }
    List<EnvironmentConfig> out = new java.util.ArrayList<>();
    out.add(registry.withPromotion(registry.promotion().withImagePullers(
        chain.subList(1, chain.size()).stream().map(EnvironmentRef::of).toList())));
    for (EnvironmentConfig puller : chain.subList(1, chain.size())) {
      out.add(puller.withPromotion(puller.promotion().withImageRegistry(EnvironmentRef.of(registry))));
    }
    return List.copyOf(out);
  }

  /** Optional ALB certificate ARNs per environment. */
  public record Certificates(Optional<String> dev, Optional<String> test, Optional<String> prod) {
    public static Certificates none() {
      return new Certificates(Optional.empty(), Optional.empty(), Optional.empty());
    }
  }

  public static EnvironmentConfig dev(DeployTarget target, Optional<String> certificateArn) {
    return new EnvironmentConfig("dev", target, azs(target), "10.10.0.0/16", 1, DEV_ENDPOINTS,
        certificateArn, EnvironmentConfig.placeholderDomainName("dev"), true, true, new CapacitySplit(1, 7, 3),
        services(TaskSizing.of(512, 1024), TaskCounts.of(2, 2, 4), DEV_CANARY),
        new DatabaseSizing(0.5, 2, 0, 1, "t3.small.search", 2, 10, 0, null),
        BEDROCK_MODELS, "platform-team", "cc-dev-1001", false, false,
        new Promotion(target.account(), Optional.empty(), Optional.of("test")));
  }

  public static EnvironmentConfig test(DeployTarget target, Optional<String> certificateArn) {
    return new EnvironmentConfig("test", target, azs(target), "10.20.0.0/16", 1, ALL_ENDPOINTS,
        certificateArn, EnvironmentConfig.placeholderDomainName("test"), false, false, new CapacitySplit(1, 7, 3),
        services(TaskSizing.of(1024, 2048), TaskCounts.of(2, 2, 6), CANARY),
        new DatabaseSizing(0.5, 4, 0, 3, "t3.medium.search", 2, 20, 0, null),
        BEDROCK_MODELS, "platform-team", "cc-test-1002", false, false,
        new Promotion(target.account(), Optional.of("dev"), Optional.of("prod")));
  }

  /**
   * Four OpenSearch data nodes: at least three with zone awareness (AWS Control Tower
   * CT.OPENSEARCH.PR.14), and an even count, which a two-AZ domain requires.
   */
  public static EnvironmentConfig prod(DeployTarget target, Optional<String> certificateArn) {
    return new EnvironmentConfig("prod", target, azs(target), "10.30.0.0/16", 2, ALL_ENDPOINTS,
        certificateArn, EnvironmentConfig.placeholderDomainName("prod"), false, false, new CapacitySplit(2, 7, 3),
        services(TaskSizing.of(2048, 4096), TaskCounts.of(3, 3, 10), CANARY),
        new DatabaseSizing(1, 16, 1, 14, "r6g.large.search", 4, 100, 3, "m6g.large.search"),
        BEDROCK_MODELS, "platform-team", "cc-prod-1003", true, true,
        new Promotion(target.account(), Optional.of("test"), Optional.empty()).withSoak(Promotion.PRODUCTION_SOAK));
  }

  /**
   * The BFF's canary in test and prod: 10% of production traffic for 10 minutes, then all of it, then 10
   * minutes with both revisions up (ECS rolls back at once within the bake). The analysis hook judges the
   * canary step and the bake (docs/canary.md).
   */
  public static final DeploymentStrategy CANARY =
      DeploymentStrategy.canary(10, java.time.Duration.ofMinutes(10), java.time.Duration.ofMinutes(10));
  /** dev's canary is shorter: pushes deploy there directly, many times a day. */
  public static final DeploymentStrategy DEV_CANARY =
      DeploymentStrategy.canary(10, java.time.Duration.ofMinutes(3), java.time.Duration.ofMinutes(2));

  /**
   * BFF is public behind the ALB and deploys as a canary; GraphQL and AgentCore are private, found through
   * Cloud Map, whose DNS answers carry no weights: they stay rolling, under the guard.
   */
  private static List<ServiceConfig> services(TaskSizing sizing, TaskCounts counts, DeploymentStrategy bff) {
    return List.of(
        new ServiceConfig("bff", 3000, "/api/health", true, List.of("/tmp"), sizing, counts,
            Set.of(Access.APPLICATION_SECRET), bff),
        // A query-less GET /graphql is answered 400 by many GraphQL servers; a GET carrying the
        // smallest valid query ({__typename}, the GraphQL-over-HTTP GET form) is answered 200.
        new ServiceConfig("graphql", 8080, GRAPHQL_HEALTH_PATH, false, List.of("/tmp"), sizing, counts,
            Set.of(Access.DATABASE, Access.SEARCH)),
        // AgentCore writes model caches at runtime: to /var/cache/agentcore, a task-storage volume
        // (the path is in its settings as writablePaths), never to its read-only root filesystem.
        new ServiceConfig("agentcore", 8080, "/health", false, List.of("/tmp", "/var/cache/agentcore"), sizing, counts,
            Set.of(Access.DOCUMENTS, Access.BEDROCK)));
  }

  private static List<String> azs(DeployTarget target) {
    return List.of(target.region() + "a", target.region() + "b");
  }
}
