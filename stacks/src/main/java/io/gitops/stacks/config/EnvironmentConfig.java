package io.gitops.stacks.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything that differs between dev, test and prod, in one immutable value. Stacks read nothing
 * else: no environment variables, no context, no lookups. {@link Environments} builds the three.
 *
 * @param name               environment name (dev, test, prod); also the stage name
 * @param target             account and region
 * @param availabilityZones  explicit AZs, so synth never asks AWS for them
 * @param vpcCidr            VPC address range
 * @param natGateways        NAT gateways (1 in dev, one per AZ in prod)
 * @param interfaceEndpoints interface VPC endpoint service names (e.g. "ecr.api"); each costs money per AZ
 * @param certificateArn     ACM certificate for the ALB's HTTPS listener; empty means HTTP only,
 *                           which a production environment refuses
 * @param domainName         the name clients (and the smoke test) use for the ALB; the certificate's name
 * @param autoDeployImages   deploy ECR pushes directly (dev); otherwise images arrive by promotion
 * @param ecsExec            allow ECS Exec into tasks (dev only)
 * @param capacity           Fargate / Fargate Spot split
 * @param services           the services, with this environment's sizing
 * @param database           Aurora and OpenSearch sizing
 * @param bedrockModelIds    foundation models AgentCore may invoke
 * @param owner              value of the Owner tag
 * @param costCenter         value of the CostCenter tag
 * @param retainData         keep stateful resources when the stack is deleted
 * @param terminationProtection protect the stacks against deletion
 * @param promotion          where this environment's releases come from and go to, and which
 *                           toolchain account's pipeline promotes them
 */
public record EnvironmentConfig(
    String name,
    DeployTarget target,
    List<String> availabilityZones,
    String vpcCidr,
    int natGateways,
    List<String> interfaceEndpoints,
    Optional<String> certificateArn,
    String domainName,
    boolean autoDeployImages,
    boolean ecsExec,
    CapacitySplit capacity,
    List<ServiceConfig> services,
    DatabaseSizing database,
    List<String> bedrockModelIds,
    String owner,
    String costCenter,
    boolean retainData,
    boolean terminationProtection,
    Promotion promotion) {

  public static final String PROJECT = "gitops-delivery";
  private static final java.util.regex.Pattern DOMAIN_NAME =
      java.util.regex.Pattern.compile("(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");

  /** The placeholder domain of an environment until context names a real one. */
  public static String placeholderDomainName(String environment) {
    return environment + ".gitops.example.com";
  }

  public EnvironmentConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(target, "target");
    availabilityZones = List.copyOf(availabilityZones);
    interfaceEndpoints = List.copyOf(interfaceEndpoints);
    services = List.copyOf(services);
    bedrockModelIds = List.copyOf(bedrockModelIds);
    Objects.requireNonNull(certificateArn, "certificateArn");
    if (domainName == null || !DOMAIN_NAME.matcher(domainName).matches()) {
      throw new IllegalArgumentException(name + ": domain name '" + domainName + "' is not a DNS name");
    }
    // Production never serves plain HTTP: without a certificate, synth stops here.
    if ("prod".equals(name) && certificateArn.isEmpty()) {
      throw new IllegalArgumentException(name + ": a production environment needs an ACM certificate for "
          + domainName + " (context gitops:" + name + "CertificateArn); it never serves plain HTTP");
    }
    Objects.requireNonNull(promotion, "promotion");
    if (promotion.from().filter(name::equals).isPresent() || promotion.to().filter(name::equals).isPresent()) {
      throw new IllegalArgumentException(name + ": an environment cannot promote to or from itself");
    }
    if (availabilityZones.size() < 2) {
      throw new IllegalArgumentException(name + ": at least two availability zones are required");
    }
    for (String az : availabilityZones) {
      if (!az.startsWith(target.region())) {
        throw new IllegalArgumentException(name + ": AZ " + az + " is not in region " + target.region());
      }
    }
    if (natGateways < 1 || natGateways > availabilityZones.size()) {
      throw new IllegalArgumentException(name + ": NAT gateways must be between 1 and the AZ count");
    }
    if (services.isEmpty()) {
      throw new IllegalArgumentException(name + ": at least one service is required");
    }
    if (services.stream().filter(ServiceConfig::publicFacing).count() != 1) {
      throw new IllegalArgumentException(name + ": exactly one service must be public-facing (behind the ALB)");
    }
    if (services.stream().map(ServiceConfig::name).distinct().count() != services.size()) {
      throw new IllegalArgumentException(name + ": service names must be unique");
    }
  }

  /** The one service behind the public load balancer. */
  public ServiceConfig publicService() {
    return services.stream().filter(ServiceConfig::publicFacing).findFirst().orElseThrow();
  }

  public ServiceConfig service(String serviceName) {
    return services.stream()
        .filter(s -> s.name().equals(serviceName))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(name + ": no service named " + serviceName));
  }

  /** The tags applied to every taggable resource of the environment, in a stable order. */
  public Map<String, String> tags() {
    Map<String, String> tags = new TreeMap<>();
    tags.put("Project", PROJECT);
    tags.put("Environment", name);
    tags.put("Owner", owner);
    tags.put("CostCenter", costCenter);
    return tags;
  }

  /** The same environment, promoted by the pipeline in {@code account} (the toolchain account). */
  public EnvironmentConfig withToolchainAccount(String account) {
    return new EnvironmentConfig(name, target, availabilityZones, vpcCidr, natGateways, interfaceEndpoints,
        certificateArn, domainName, autoDeployImages, ecsExec, capacity, services, database, bedrockModelIds, owner,
        costCenter, retainData, terminationProtection, promotion.withToolchainAccount(account));
  }

  /** The same environment with another promotion (cross-account image pulls are set on it). */
  public EnvironmentConfig withPromotion(Promotion newPromotion) {
    return new EnvironmentConfig(name, target, availabilityZones, vpcCidr, natGateways, interfaceEndpoints,
        certificateArn, domainName, autoDeployImages, ecsExec, capacity, services, database, bedrockModelIds, owner,
        costCenter, retainData, terminationProtection, newPromotion);
  }

  /** The same environment with {@code service}'s configuration changed (e.g. its deployment strategy). */
  public EnvironmentConfig withService(String service, java.util.function.UnaryOperator<ServiceConfig> change) {
    if (services.stream().noneMatch(s -> s.name().equals(service))) {
      throw new IllegalArgumentException(name + " has no service '" + service + "'");
    }
    List<ServiceConfig> changed = services.stream().map(s -> s.name().equals(service) ? change.apply(s) : s).toList();
    return new EnvironmentConfig(name, target, availabilityZones, vpcCidr, natGateways, interfaceEndpoints,
        certificateArn, domainName, autoDeployImages, ecsExec, capacity, changed, database, bedrockModelIds, owner,
        costCenter, retainData, terminationProtection, promotion);
  }

  /** The same environment, served under {@code name} (context gitops:ENVDomainName). */
  public EnvironmentConfig withDomainName(String newDomainName) {
    return new EnvironmentConfig(name, target, availabilityZones, vpcCidr, natGateways, interfaceEndpoints,
        certificateArn, newDomainName, autoDeployImages, ecsExec, capacity, services, database, bedrockModelIds,
        owner, costCenter, retainData, terminationProtection, promotion);
  }

  public boolean isProduction() {
    return "prod".equals(name);
  }
}
