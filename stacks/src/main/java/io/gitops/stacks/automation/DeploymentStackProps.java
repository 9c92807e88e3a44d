package io.gitops.stacks.automation;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awscdk.services.ecs.ICluster;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.sns.ITopic;

/**
 * What the deployers need from the stacks before them, as typed references.
 *
 * @param lambdaJar      the shaded jar holding both functions (built by Maven before synth)
 * @param cluster        the environment's ECS cluster
 * @param services       one entry per service, in config order
 * @param executionRole  the tasks' shared execution role (passed to new task definition revisions)
 * @param alarmTopic     where rollbacks and permanent failures are announced
 * @param alarmTopicKey  the key that encrypts the alarm topic
 * @param albDnsName     the public ALB's DNS name, for the guard's HTTP health probe
 * @param healthScheme   http or https, as the ALB serves
 * @param canaries       the services ECS deploys with traffic shifting, analysed by the guard as their hook
 * @param canaryHookRole the canary hook function's role (compute stack), which this stack grants the ledger, the
 *                       release parameters and the alarm topic; empty without a canary
 */
public record DeploymentStackProps(
    Path lambdaJar,
    ICluster cluster,
    List<DeployedService> services,
    IRole executionRole,
    ITopic alarmTopic,
    IKey alarmTopicKey,
    String albDnsName,
    String healthScheme,
    List<Canary> canaries,
    java.util.Optional<IRole> canaryHookRole) {

  public DeploymentStackProps(Path lambdaJar, ICluster cluster, List<DeployedService> services, IRole executionRole,
      ITopic alarmTopic, IKey alarmTopicKey, String albDnsName, String healthScheme) {
    this(lambdaJar, cluster, services, executionRole, alarmTopic, alarmTopicKey, albDnsName, healthScheme, List.of(),
        java.util.Optional.empty());
  }

  /**
   * A service whose deployments the guard analyses as ECS's lifecycle hook (CANARY_ANALYSIS).
   *
   * @param serviceName   the ECS service's name (a token)
   * @param loadBalancer  the ALB's CloudWatch dimension, {@code app/NAME/ID} (a token)
   * @param targetGroups  the production and the alternate target group ARNs (tokens)
   * @param testPath      the health path, reached through the test listener rule
   * @param testRouteSecretArn the secret whose value, in the {@code CanaryTestRoute.HEADER} header, the test
   *                      listener rule requires (a token)
   * @param canaryPercent production traffic the new revision takes at the canary step (100 for blue/green)
   * @param intervalSeconds time between two measurements
   * @param canaryCount   measurements at the canary step
   * @param bakeCount     measurements after the full shift
   */
  public record Canary(String serviceName, String loadBalancer, List<String> targetGroups, String testPath,
      String testRouteSecretArn, double canaryPercent, int intervalSeconds, int canaryCount, int bakeCount) {
    public Canary {
      targetGroups = List.copyOf(targetGroups);
    }

    /** The same canary under {@code serviceName}. */
    public Canary named(String serviceName) {
      return new Canary(serviceName, loadBalancer, targetGroups, testPath, testRouteSecretArn, canaryPercent,
          intervalSeconds, canaryCount, bakeCount);
    }
  }

  /**
   * One ECS service the deployers manage.
   *
   * @param name                 service (and container) name from config
   * @param serviceName          the ECS service's name (a token)
   * @param serviceArn           the ECS service's ARN (a token)
   * @param taskDefinitionFamily family of its task definition (a token)
   * @param taskRole             the service's task role (passed to new revisions)
   * @param repositoryName       its ECR repository's name (a token)
   * @param repositoryUri        its ECR repository's URI (a token)
   * @param releaseParameterName the release parameter's name
   * @param releaseParameterArn  the release parameter's ARN
   * @param targetGroupArn       its target group, when it is behind the ALB
   * @param healthPath           its HTTP health path
   */
  public record DeployedService(
      String name,
      String serviceName,
      String serviceArn,
      String taskDefinitionFamily,
      IRole taskRole,
      String repositoryName,
      String repositoryUri,
      String releaseParameterName,
      String releaseParameterArn,
      String targetGroupArn,
      String healthPath) {

    public boolean behindLoadBalancer() {
      return targetGroupArn != null;
    }
  }

  public DeploymentStackProps {
    Objects.requireNonNull(lambdaJar, "lambdaJar");
    Objects.requireNonNull(cluster, "cluster");
    services = List.copyOf(services);
    canaries = List.copyOf(canaries);
    Objects.requireNonNull(executionRole, "executionRole");
    Objects.requireNonNull(alarmTopic, "alarmTopic");
    Objects.requireNonNull(alarmTopicKey, "alarmTopicKey");
    if (services.isEmpty()) {
      throw new IllegalArgumentException("the deployers need at least one service");
    }
  }

  public Map<String, DeployedService> byName() {
    Map<String, DeployedService> map = new java.util.LinkedHashMap<>();
    services.forEach(s -> map.put(s.name(), s));
    return map;
  }
}
