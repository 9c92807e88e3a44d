package io.gitops.stacks.compute;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.nag.Nag;
import io.gitops.stacks.config.Access;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.EnvironmentRef;
import io.gitops.stacks.config.ImagePulls;
import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.config.ServiceConfig;
import io.gitops.stacks.security.KeyPolicies;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.ecs.CfnClusterCapacityProviderAssociations;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerInsights;
import software.amazon.awscdk.services.ecs.ExecuteCommandConfiguration;
import software.amazon.awscdk.services.ecs.ExecuteCommandLogConfiguration;
import software.amazon.awscdk.services.ecs.ExecuteCommandLogging;
import software.amazon.awscdk.services.ecs.LoadBalancerTargetOptions;
import software.amazon.awscdk.services.ecs.Secret;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationListenerRule;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationTargetGroup;
import software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerAction;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerCondition;
import software.amazon.awscdk.services.elasticloadbalancingv2.Protocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.TargetType;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.servicediscovery.PrivateDnsNamespace;
import software.amazon.awscdk.services.ssm.ParameterValueType;
import software.amazon.awscdk.services.ssm.StringParameter;
import software.constructs.Construct;

/**
 * The production ECS platform of one environment: a Fargate cluster with Fargate Spot, one
 * {@link Microservice} per configured service, the shared execution role, Cloud Map discovery for
 * the private services, the public service's target group on the network stack's listener, and
 * the outputs that {@code docs/contracts/*.yaml} describe.
 *
 * <p>Alarms on these services live in the monitoring stack, which comes after this one: the alarm
 * topic is created there, and typed references only go forward in the chain.
 */
public class ComputeStack extends PlatformStack {

  /** Short, so rollouts do not wait on draining connections of replaced BFF tasks. */
  public static final Duration DEREGISTRATION_DELAY = Duration.seconds(30);
  public static final int LISTENER_RULE_PRIORITY = 100;

  private final Key key;
  private final Cluster cluster;
  private final CfnClusterCapacityProviderAssociations capacityProviders;
  private final PrivateDnsNamespace namespace;
  private final Role executionRole;
  private final Map<String, Microservice> services = new LinkedHashMap<>();
  private final ApplicationTargetGroup targetGroup;
  private final ApplicationListenerRule listenerRule;
  private final java.util.Optional<CanaryTraffic> canary;
  private final CfnOutput albDnsNameOutput;
  private final LogGroup execLogGroup;

  public ComputeStack(Construct scope, String id, EnvironmentConfig config, ComputeStackProps props) {
    super(scope, id, config, "ECS on Fargate: cluster, services, discovery, target group");
    RemovalPolicy removal = config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    key = Key.Builder.create(this, "Key")
        .description("Compute logs and ECS Exec sessions (" + config.name() + ")")
        .enableKeyRotation(true)
        .removalPolicy(removal)
        .build();
    KeyPolicies.restrictGrants(key);
    // CloudWatch Logs encrypts the log groups of this account and region with the key. In a key
    // policy, the resource "*" means this key.
    key.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("AllowCloudWatchLogs")
        .effect(Effect.ALLOW)
        .principals(List.of(new ServicePrincipal("logs." + config.target().region() + ".amazonaws.com")))
        .actions(List.of("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
            "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"))
        .resources(List.of("*"))
        .conditions(Map.of("ArnLike", Map.of("kms:EncryptionContext:aws:logs:arn",
            "arn:" + Aws.PARTITION + ":logs:" + config.target().region() + ":" + config.target().account()
                + ":log-group:*")))
        .build());

    Cluster.Builder clusterBuilder = Cluster.Builder.create(this, "Cluster")
        .vpc(props.vpc())
        .containerInsightsV2(ContainerInsights.ENABLED);
    if (config.ecsExec()) {
      // ECS Exec (dev only): sessions encrypted with the key, and every session logged.
      execLogGroup = LogGroup.Builder.create(this, "ExecLogs")
          .retention(RetentionDays.ONE_WEEK)
          .encryptionKey(key)
          .removalPolicy(removal)
          .build();
      clusterBuilder.executeCommandConfiguration(ExecuteCommandConfiguration.builder()
          .kmsKey(key)
          .logging(ExecuteCommandLogging.OVERRIDE)
          .logConfiguration(ExecuteCommandLogConfiguration.builder()
              .cloudWatchLogGroup(execLogGroup)
              .cloudWatchEncryptionEnabled(true)
              .build())
          .build());
    } else {
      execLogGroup = null;
    }
    cluster = clusterBuilder.build();
    // Declared here rather than through enableFargateCapacityProviders/addDefaultCapacityProviderStrategy:
    // the L2 creates its association from an aspect, which adds a duplicate child when an app is
    // synthesized twice (as Template.fromStack followed by Annotations.fromStack does in tests).
    capacityProviders = CfnClusterCapacityProviderAssociations.Builder.create(this, "CapacityProviders")
        .cluster(cluster.getClusterName())
        .capacityProviders(List.of("FARGATE", "FARGATE_SPOT"))
        .defaultCapacityProviderStrategy(Microservice.strategy(config.capacity()).stream()
            .map(s -> CfnClusterCapacityProviderAssociations.CapacityProviderStrategyProperty.builder()
                .capacityProvider(s.getCapacityProvider())
                .base(s.getBase())
                .weight(s.getWeight())
                .build())
            .toList())
        .build();

    namespace = PrivateDnsNamespace.Builder.create(this, "Namespace")
        .name(namespaceName(config))
        .vpc(props.vpc())
        .description("Private service discovery for " + config.name())
        .build();

    executionRole = Role.Builder.create(this, "ExecutionRole")
        .assumedBy(TaskRoles.ecsTasksPrincipal(this))
        .description("Shared task execution role (" + config.name() + "): image pull, log writes, injected secrets")
        .build();
    for (ServiceConfig service : config.services()) {
      IRepository repository = props.repositories().get(service.name());
      if (repository == null) {
        throw new IllegalArgumentException("no ECR repository for service " + service.name());
      }
      if (config.promotion().imageRegistry().isEmpty()) {
        repository.grantPull(executionRole);
      }
    }
    config.promotion().imageRegistry().ifPresent(registry -> pullFromRegistry(config, registry));
    pullCachedPlaceholder(config);

    for (ServiceConfig service : config.services()) {
      String image = StringParameter.valueForTypedStringParameterV2(this,
          props.releaseParameterName().apply(config.name(), service.name()), ParameterValueType.STRING);
      Microservice microservice = new Microservice(this, pascal(service.name()), new Microservice.Props(
          config, service, props.vpc(), cluster, namespace, executionRole, key, image,
          settings(config, service, props)));
      microservice.service().getNode().addDependency(capacityProviders);
      services.put(service.name(), microservice);
      TaskEgress.restrict(microservice, microservice.securityGroup(), props.endpointSecurityGroup(),
          props.s3PrefixListId());
      grantAccess(config, microservice, props);
    }

    // Security groups per tier. Rules that touch another stack's group are created here (CDK
    // places them with the dependent side), so the chain stays acyclic.
    Microservice front = services.get(config.publicService().name());
    front.connections().allowFrom(props.albSecurityGroup(), Port.tcp(front.config().port()),
        "ALB to " + front.config().name());
    for (Microservice backend : services.values()) {
      if (backend != front) {
        backend.connections().allowFrom(front.connections(), Port.tcp(backend.config().port()),
            front.config().name() + " to " + backend.config().name());
      }
    }

    targetGroup = serviceTargetGroup(this, pascal(front.config().name()) + "TargetGroup", props.vpc(), front);
    if (!front.config().deployment().shiftsTraffic()) {
      targetGroup.addTarget(front.service().loadBalancerTarget(LoadBalancerTargetOptions.builder()
          .containerName(front.container().getContainerName())
          .containerPort(front.config().port())
          .build()));
    }
    canary = front.config().deployment().shiftsTraffic()
        ? java.util.Optional.of(new CanaryTraffic(this, pascal(front.config().name()) + "Canary",
            new CanaryTraffic.Props(config, front, props.vpc(), props.listener(), targetGroup,
                LISTENER_RULE_PRIORITY - 1)))
        : java.util.Optional.empty();
    // The rule lives in this stack (not added through the listener, which would place it in the
    // network stack and make network depend on compute). A canary's rule forwards to both of its groups
    // (primary 100, alternate 0): ECS shifts the weights of the rule's own groups.
    listenerRule = ApplicationListenerRule.Builder.create(this, pascal(front.config().name()) + "ListenerRule")
        .listener(props.listener())
        .priority(LISTENER_RULE_PRIORITY)
        .conditions(List.of(ListenerCondition.pathPatterns(List.of("/*"))))
        .action(canary.map(CanaryTraffic::forwardToPrimary).orElseGet(() -> ListenerAction.forward(List.of(targetGroup))))
        .build();
    front.service().getNode().addDependency(listenerRule);
    // AWS::ElasticLoadBalancingV2::ListenerRule takes no Tags (cfn-lint E3002); the stage tags
    // everything, so they are removed here.
    config.tags().keySet().forEach(tag -> Tags.of(listenerRule).remove(tag));
    canary.ifPresent(c -> c.attach(listenerRule));

    acknowledgeRequiredWildcards(config, props);
    albDnsNameOutput = outputs(config, props, front);
  }

  private CanaryHookFunction canaryHook;

  /**
   * The canary's analysis hook, a function of its own in this stack (issue 21, blocker 3; issue 20, finding 8): what
   * it reads here, and the wiring parameter that names the rest (the deployment stack grants the ledger, the release
   * parameters and the topic to {@link CanaryHookFunction#role()}).
   *
   * @param jar       the functions' deployment package
   * @param variables the hook's environment (the guard's canary settings)
   * @param wiringParameterName the deployers' wiring parameter (contract OperatorWiring)
   */
  public CanaryHookFunction addCanaryHook(java.nio.file.Path jar, Map<String, String> variables,
      String wiringParameterName) {
    CanaryTraffic c = canary.orElseThrow(() -> new IllegalStateException(
        config().publicService().name() + " shifts no traffic: it has no analysis hook"));
    if (canaryHook != null) throw new IllegalStateException("the canary hook exists already");
    Microservice front = services.get(config().publicService().name());
    canaryHook = new CanaryHookFunction(this, pascal(front.config().name()) + "CanaryHook",
        new CanaryHookFunction.Props(config(), jar, variables, key, 1));
    software.amazon.awscdk.Stack stack = software.amazon.awscdk.Stack.of(this);
    String clusterName = cluster.getClusterName();
    String serviceName = front.service().getServiceName();
    // The new revision the hook judges: its service revision and deployment (ECS names them under the service).
    List<String> revisions = List.of(
        stack.formatArn(software.amazon.awscdk.ArnComponents.builder().service("ecs").resource("service-revision")
            .resourceName(clusterName + "/" + serviceName + "/*").arnFormat(software.amazon.awscdk.ArnFormat.SLASH_RESOURCE_NAME).build()),
        stack.formatArn(software.amazon.awscdk.ArnComponents.builder().service("ecs").resource("service-deployment")
            .resourceName(clusterName + "/" + serviceName + "/*").arnFormat(software.amazon.awscdk.ArnFormat.SLASH_RESOURCE_NAME).build()));
    // The service's own statements in a policy the function does not wait for: the service waits for the hook's
    // alias (its target), so a statement naming the service in the role's default policy, which the function
    // depends on, would be a cycle.
    software.amazon.awscdk.services.iam.Policy serviceAccess = software.amazon.awscdk.services.iam.Policy.Builder
        .create(canaryHook, "ServiceAccess")
        .roles(List.of(canaryHook.role()))
        .statements(List.of(
            PolicyStatement.Builder.create().actions(List.of("ecs:DescribeServices"))
                .resources(List.of(front.service().getServiceArn())).build(),
            PolicyStatement.Builder.create()
                .actions(List.of("ecs:DescribeServiceRevisions", "ecs:DescribeServiceDeployments"))
                .resources(revisions).build()))
        .build();
    String tasks = stack.formatArn(software.amazon.awscdk.ArnComponents.builder().service("ecs").resource("task")
        .resourceName(clusterName + "/*").arnFormat(software.amazon.awscdk.ArnFormat.SLASH_RESOURCE_NAME).build());
    canaryHook.addToRolePolicy(PolicyStatement.Builder.create()
        .actions(List.of("ecs:DescribeTasks")).resources(List.of(tasks))
        .conditions(Map.of("ArnEquals", Map.of("ecs:cluster", cluster.getClusterArn()))).build());
    // DescribeTaskDefinition, DescribeTargetHealth and GetMetricData support no resource-level permissions: the
    // APIs require "*" (Service Authorization Reference). All three are read-only.
    canaryHook.addToRolePolicy(PolicyStatement.Builder.create()
        .actions(List.of("ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeTargetHealth",
            "cloudwatch:GetMetricData"))
        .resources(List.of("*")).build());
    canaryHook.addToRolePolicy(PolicyStatement.Builder.create()
        .actions(List.of("secretsmanager:GetSecretValue")).resources(List.of(c.testRouteSecret().getSecretArn())).build());
    canaryHook.addToRolePolicy(PolicyStatement.Builder.create()
        .actions(List.of("ssm:GetParameter"))
        .resources(List.of(stack.formatArn(software.amazon.awscdk.ArnComponents.builder().service("ssm")
            .resource("parameter").resourceName(wiringParameterName.replaceFirst("^/", "")).build())))
        .build());
    software.constructs.IConstruct policy = canaryHook.role().getNode().findChild("DefaultPolicy");
    Nag.acknowledge(policy, "AwsSolutions-IAM5[Resource::*]",
        "ecs:DescribeTaskDefinition, elasticloadbalancing:DescribeTargetHealth and cloudwatch:GetMetricData accept no "
            + "resource-level permissions; all three are read-only");
    for (String arn : revisions) {
      Nag.acknowledgeWildcardResource(serviceAccess, arn,
          "Revisions and deployments of the one canary service: ECS assigns their IDs, so the ARN ends in a wildcard");
    }
    Nag.acknowledgeWildcardResource(policy, tasks,
        "Tasks of this cluster only (also pinned by the ecs:cluster condition); task IDs are assigned at launch");
    c.analysisHook(canaryHook);
    return canaryHook;
  }

  /** The canary's analysis hook, once {@link #addCanaryHook} made it. */
  public java.util.Optional<CanaryHookFunction> canaryHook() {
    return java.util.Optional.ofNullable(canaryHook);
  }

  /** The Cloud Map namespace of an environment, e.g. {@code dev.gitops.internal}. */
  public static String namespaceName(EnvironmentConfig config) {
    return config.name() + ".gitops.internal";
  }

  /** Export names follow one scheme: {@code <env>-compute-<OutputName>}. */
  public static String exportName(EnvironmentConfig config, String outputName) {
    return config.name() + "-compute-" + outputName;
  }

  /** "agentcore" → "Agentcore", "my-svc" → "MySvc": service names inside logical IDs and outputs. */
  public static String pascal(String serviceName) {
    StringBuilder out = new StringBuilder();
    for (String part : serviceName.split("-")) {
      out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return out.toString();
  }

  private Map<String, Object> settings(EnvironmentConfig config, ServiceConfig service, ComputeStackProps props) {
    Map<String, Object> settings = new TreeMap<>();
    settings.put("environment", config.name());
    settings.put("service", service.name());
    settings.put("port", service.port());
    // The root filesystem is read-only; these are the only directories the service may write.
    settings.put("writablePaths", service.writablePaths());
    if (service.publicFacing()) {
      Map<String, String> upstreams = new TreeMap<>();
      for (ServiceConfig other : config.services()) {
        if (!other.publicFacing()) {
          upstreams.put(other.name(),
              "http://" + other.name() + "." + namespaceName(config) + ":" + other.port());
        }
      }
      settings.put("upstreams", upstreams);
    }
    if (service.needs(Access.DATABASE)) {
      settings.put("databaseHost", props.database().getClusterEndpoint().getHostname());
      settings.put("databasePort", 5432);
      settings.put("databaseUser", service.name());
      settings.put("databaseName", io.gitops.stacks.database.DatabaseStack.DATABASE_NAME);
      // The service connects with an IAM authentication token (RDS generate-db-auth-token, valid 15
      // minutes, signed with its task role) over TLS; there is no password to inject.
      settings.put("databaseAuth", "iam");
    }
    if (service.needs(Access.SEARCH)) {
      settings.put("searchEndpoint", "https://" + props.searchDomain().getDomainEndpoint());
      settings.put("searchRoleArn", props.searchRoleArn());
    }
    if (service.needs(Access.DOCUMENTS)) {
      settings.put("documentsBucket", props.documentsBucket().getBucketName());
    }
    if (service.needs(Access.BEDROCK)) {
      settings.put("bedrockModelIds", config.bedrockModelIds());
    }
    return settings;
  }

  /**
   * The secret as the execution role should see it. ecs.Secret grants the execution role read on
   * the secret, and for a KMS-encrypted secret CDK puts the decrypt grant into the key's policy,
   * i.e. into the security stack, which would then reference this stack: a cycle. Reading the
   * secret by ARN keeps the read grant on the role; the decrypt grant is added here, on the role,
   * limited to calls made through Secrets Manager (the key policy delegates to IAM).
   */
  private ISecret secretForTasks(String id, ISecret secret) {
    ISecret byArn = (ISecret) getNode().tryFindChild(id);
    if (byArn != null) {
      return byArn;
    }
    byArn = software.amazon.awscdk.services.secretsmanager.Secret.fromSecretCompleteArn(this, id, secret.getSecretArn());
    IKey secretKey = secret.getEncryptionKey();
    if (secretKey != null) {
      executionRole.addToPrincipalPolicy(PolicyStatement.Builder.create()
          .sid("Decrypt" + id)
          .actions(List.of("kms:Decrypt"))
          .resources(List.of(secretKey.getKeyArn()))
          .conditions(Map.of("StringEquals", Map.of(
              "kms:ViaService", "secretsmanager." + config().target().region() + ".amazonaws.com")))
          .build());
    }
    return byArn;
  }

  /**
   * The pulling side of the cross-account pulls ({@link ImagePulls}): this environment runs images
   * promoted by digest from {@code registry}'s repositories, in another account (or region). The
   * execution role carries the principal tag the registry's repository policies require, and its
   * own policy allows the pull actions on that registry's repositories of this project's
   * {@code registry} environment (their tags), plus kms:Decrypt through ECR on that account's keys
   * for those repositories (encryption context). Cross-account access needs both sides; the
   * registry's side names this account (storage stack of the registry environment).
   */
  private void pullFromRegistry(EnvironmentConfig config, EnvironmentRef registry) {
    Tags.of(executionRole).add(ImagePulls.PRINCIPAL_TAG, registry.name());
    String repositories = ImagePulls.repositoryArnPattern(Aws.PARTITION, registry.target());
    executionRole.addToPrincipalPolicy(PolicyStatement.Builder.create()
        .sid("EcrAuthorizationToken")
        .actions(List.of("ecr:GetAuthorizationToken"))
        // GetAuthorizationToken has no resource-level permissions.
        .resources(List.of("*"))
        .build());
    executionRole.addToPrincipalPolicy(PolicyStatement.Builder.create()
        .sid("PullPromotedImages")
        .actions(ImagePulls.PULL_ACTIONS)
        .resources(List.of(repositories))
        .conditions(Map.of("StringEquals", Map.of(
            "aws:ResourceTag/Project", EnvironmentConfig.PROJECT,
            "aws:ResourceTag/Environment", registry.name())))
        .build());
    executionRole.addToPrincipalPolicy(PolicyStatement.Builder.create()
        .sid("DecryptPromotedImagesThroughEcr")
        .actions(List.of("kms:Decrypt"))
        .resources(List.of(ImagePulls.keyArnPattern(Aws.PARTITION, registry.target())))
        .conditions(Map.of(
            "StringEquals", Map.of("kms:ViaService", ImagePulls.ecrService(registry.target())),
            "ArnLike", Map.of("kms:EncryptionContext:aws:ecr:arn", repositories)))
        .build());
    software.constructs.IConstruct policy = executionRole.getNode().findChild("DefaultPolicy");
    Nag.acknowledgeWildcardResource(policy, repositories,
        "Cross-account pull: the registry's repository names are generated by CloudFormation in another "
            + "account; \"repository/*\" of that one account and region is narrowed to the repositories "
            + "tagged Project=" + EnvironmentConfig.PROJECT + " and Environment=" + registry.name()
            + ", and the registry's repository policies admit only this account's tagged execution role");
    Nag.acknowledgeWildcardResource(policy, ImagePulls.keyArnPattern(Aws.PARTITION, registry.target()),
        "Cross-account pull: the registry's key ARN is generated in another account; kms:Decrypt is "
            + "allowed only through ECR (kms:ViaService) and only for that account's repositories "
            + "(encryption context aws:ecr:arn), and the registry's key policy must admit it as well");
  }

  /**
   * Every fresh environment runs the placeholder from its own registry's pull-through cache (storage
   * stack's EcrPublicCache, warmed before this stack exists): the pull actions on that one cache
   * repository. No ecr:BatchImportUpstreamImage or ecr:CreateRepository: the image is already cached,
   * and a task could not reach the upstream anyway (its first pull would need the internet).
   */
  private void pullCachedPlaceholder(EnvironmentConfig config) {
    executionRole.addToPrincipalPolicy(PolicyStatement.Builder.create()
        .sid("PullCachedPlaceholder")
        .actions(ImagePulls.PULL_ACTIONS)
        .resources(List.of(formatArn(software.amazon.awscdk.ArnComponents.builder()
            .service("ecr").resource("repository").resourceName(Placeholders.cacheRepository(config.name())).build())))
        .build());
  }

  /** The exact statements and rules each {@link Access} value stands for. */
  private void grantAccess(EnvironmentConfig config, Microservice svc, ComputeStackProps props) {
    ServiceConfig service = svc.config();
    Role role = svc.taskRole();
    if (service.needs(Access.APPLICATION_SECRET)) {
      svc.container().addSecret("APP_SECRET",
          Secret.fromSecretsManager(secretForTasks("ApplicationSecret", props.applicationSecret())));
    }
    if (service.needs(Access.DATABASE)) {
      // IAM database authentication as the service's own user (database stack's IamDatabaseUsers):
      // a token signed with the task role, never the master secret, which rotates under running tasks.
      props.database().grantConnect(role, service.name());
      svc.connections().allowTo(props.databaseSecurityGroup(), Port.tcp(5432),
          service.name() + " to Aurora PostgreSQL");
    }
    if (service.needs(Access.SEARCH)) {
      props.searchAccess().accept(role);
      svc.connections().allowTo(props.searchSecurityGroup(), Port.tcp(443),
          service.name() + " to OpenSearch HTTPS");
    }
    if (service.needs(Access.DOCUMENTS)) {
      String bucketArn = props.documentsBucket().getBucketArn();
      role.addToPrincipalPolicy(PolicyStatement.Builder.create()
          .sid("DocumentsList")
          .actions(List.of("s3:ListBucket"))
          .resources(List.of(bucketArn))
          .build());
      role.addToPrincipalPolicy(PolicyStatement.Builder.create()
          .sid("DocumentsObjects")
          .actions(List.of("s3:GetObject", "s3:PutObject"))
          // Object ARNs are "<bucket ARN>/<key>"; "/*" is every object of this one bucket.
          .resources(List.of(bucketArn + "/*"))
          .build());
      if (props.documentsBucket().getEncryptionKey() != null) {
        props.documentsBucket().getEncryptionKey().grant(role, "kms:Decrypt", "kms:GenerateDataKey");
      }
    }
    if (service.needs(Access.BEDROCK)) {
      List<String> models = new ArrayList<>();
      for (String modelId : config.bedrockModelIds()) {
        models.add("arn:" + Aws.PARTITION + ":bedrock:" + config.target().region() + "::foundation-model/" + modelId);
      }
      role.addToPrincipalPolicy(PolicyStatement.Builder.create()
          .sid("BedrockInvoke")
          .actions(List.of("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"))
          .resources(models)
          .build());
    }
  }

  /**
   * The wildcard resources left after least-privilege scoping are the ones an AWS API requires.
   * Each is acknowledged on the one policy that holds it, with the reason.
   */
  private void acknowledgeRequiredWildcards(EnvironmentConfig config, ComputeStackProps props) {
    Nag.acknowledge(executionRole.getNode().findChild("DefaultPolicy"),
        "AwsSolutions-IAM5[Resource::*]",
        "ecr:GetAuthorizationToken does not support resource-level permissions (it must be \"*\"); "
            + "the pull actions themselves are limited to this platform's three repositories");
    for (Microservice svc : services.values()) {
      software.constructs.IConstruct policy = svc.taskRole().getNode().tryFindChild("DefaultPolicy");
      if (config.ecsExec()) {
        Nag.acknowledge(policy, "AwsSolutions-IAM5[Resource::*]",
            "ECS Exec (dev only): ssmmessages:Create/OpenControlChannel and Create/OpenDataChannel and "
                + "logs:DescribeLogGroups have no resource-level permissions");
        Nag.acknowledgeWildcardResource(policy,
            // Formatted as ECS formats the grant, so the rendered finding id matches it exactly.
            software.amazon.awscdk.Stack.of(this).formatArn(software.amazon.awscdk.ArnComponents.builder()
                .service("logs").resource("log-group").resourceName(execLogGroup.getLogGroupName() + ":*")
                .arnFormat(software.amazon.awscdk.ArnFormat.COLON_RESOURCE_NAME).build()),
            "ECS Exec (dev only) writes session logs to log streams it creates in the one exec log "
                + "group; \":*\" is the stream part of the ARN, bounded by that group");
      }
      if (svc.config().needs(Access.SEARCH)) {
        Nag.acknowledgeWildcardResource(policy, props.searchDomain().getDomainArn() + "/*",
            "OpenSearch authorizes HTTP calls on index paths under the domain ARN; \"/*\" names those "
                + "paths of this one domain (the database stack's grantSearchAccess)");
      }
      if (svc.config().needs(Access.DOCUMENTS)) {
        Nag.acknowledgeWildcardResource(policy, props.documentsBucket().getBucketArn() + "/*",
            "Object-level access to the documents bucket: \"/*\" is every object key of this one bucket, "
                + "with Get and Put only");
      }
    }
  }

  private CfnOutput outputs(EnvironmentConfig config, ComputeStackProps props, Microservice front) {
    output(config, "ClusterArn", cluster.getClusterArn(), "ECS cluster ARN");
    output(config, "ClusterName", cluster.getClusterName(), "ECS cluster name");
    for (Microservice svc : services.values()) {
      String name = pascal(svc.config().name());
      output(config, name + "ServiceArn", svc.service().getServiceArn(), "ECS service ARN of " + svc.config().name());
      output(config, name + "TaskDefinitionArn", svc.taskDefinition().getTaskDefinitionArn(),
          "Task definition ARN (revision the stack deployed) of " + svc.config().name());
      output(config, name + "SecurityGroupId", svc.securityGroup().getSecurityGroupId(),
          "Security group of the " + svc.config().name() + " tasks");
      output(config, name + "LogGroupName", svc.logGroup().getLogGroupName(), "Log group of " + svc.config().name());
      output(config, name + "LogGroupArn", svc.logGroup().getLogGroupArn(), "Log group ARN of " + svc.config().name());
    }
    output(config, "NamespaceId", namespace.getNamespaceId(), "Cloud Map private DNS namespace ID");
    output(config, "NamespaceName", namespace.getNamespaceName(), "Cloud Map private DNS namespace name");
    output(config, pascal(front.config().name()) + "TargetGroupArn", targetGroup.getTargetGroupArn(),
        "Target group of " + front.config().name() + " on the public ALB");
    // A one-element Fn::Join around the network stack's value: under the project's strong cross-stack
    // references (cdk.json, @aws-cdk/core:defaultCrossStackReferences) the bare value is an Fn::ImportValue
    // of the network stack's export, and cfn-lint 1.51 warns on an output that only re-exports an import
    // (W6001). The join is the identity, and Token.asString keeps CDK from folding it.
    String albDnsName = software.amazon.awscdk.Token.asString(
        Map.of("Fn::Join", List.of("", List.of(props.alb().getLoadBalancerDnsName()))));
    return output(config, "AlbDnsName", albDnsName,
        "Public DNS name of the ALB; the pipeline's smoke test calls its health endpoint");
  }

  private CfnOutput output(EnvironmentConfig config, String name, String value, String description) {
    return CfnOutput.Builder.create(this, name)
        .value(value)
        .description(description)
        .exportName(exportName(config, name))
        .build();
  }

  public Key key() {
    return key;
  }

  public Cluster cluster() {
    return cluster;
  }

  public PrivateDnsNamespace namespace() {
    return namespace;
  }

  public Role executionRole() {
    return executionRole;
  }

  /** Services by name, in config order. */
  public Map<String, Microservice> services() {
    return java.util.Collections.unmodifiableMap(services);
  }

  public ApplicationTargetGroup targetGroup() {
    return targetGroup;
  }

  public ApplicationListenerRule listenerRule() {
    return listenerRule;
  }

  /** The public service's traffic shifting, when its strategy shifts traffic (the BFF's canary). */
  public java.util.Optional<CanaryTraffic> canary() {
    return canary;
  }

  /** The ALB's DNS name, as the output the pipeline's smoke test reads. */
  public CfnOutput albDnsNameOutput() {
    return albDnsNameOutput;
  }

  /**
   * A target group for {@code front}'s tasks, health-checked on its health path. SC-005: three failed checks
   * 10 s apart (docs/operations.md has the arithmetic). The canary's alternate group is made the same way.
   */
  static ApplicationTargetGroup serviceTargetGroup(Construct scope, String id, IVpc vpc, Microservice front) {
    return ApplicationTargetGroup.Builder.create(scope, id)
        .vpc(vpc)
        .targetType(TargetType.IP)
        .protocol(ApplicationProtocol.HTTP)
        .port(front.config().port())
        .deregistrationDelay(DEREGISTRATION_DELAY)
        .healthCheck(HealthCheck.builder()
            .path(front.config().healthPath())
            .protocol(Protocol.HTTP)
            .interval(Microservice.HEALTH_CHECK_INTERVAL)
            .timeout(Microservice.HEALTH_CHECK_TIMEOUT)
            .unhealthyThresholdCount(3)
            .healthyThresholdCount(2)
            .healthyHttpCodes("200-299")
            .build())
        .build();
  }
}
