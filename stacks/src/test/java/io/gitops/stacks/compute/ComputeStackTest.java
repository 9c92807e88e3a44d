package io.gitops.stacks.compute;

import static io.gitops.stacks.compute.ComputeFixture.logicalId;
import static io.gitops.stacks.compute.ComputeFixture.render;
import static io.gitops.stacks.compute.ComputeFixture.statementsOfRole;
import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.stacks.PlatformStacks;
import io.gitops.stacks.config.DeploymentStrategy;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.config.Environments;
import io.gitops.stacks.config.Placeholders;
import io.gitops.stacks.storage.StorageStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The compute stack of dev and prod: one behaviour per test, both synthesized once. */
class ComputeStackTest {

  static PlatformStacks dev;
  static PlatformStacks prod;
  static Template devTemplate;
  static Template prodTemplate;

  @BeforeAll
  static void synthesize() {
    dev = ComputeFixture.dev();
    prod = ComputeFixture.prod();
    devTemplate = Template.fromStack(dev.compute());
    prodTemplate = Template.fromStack(prod.compute());
  }

  private static Map<String, Object> resource(Template template, String logicalId) {
    @SuppressWarnings("unchecked")
    Map<String, Object> r = (Map<String, Object>) template.toJSON().get("Resources");
    @SuppressWarnings("unchecked")
    Map<String, Object> found = (Map<String, Object>) r.get(logicalId);
    assertThat(found).as(logicalId).isNotNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> props = (Map<String, Object>) found.get("Properties");
    return props;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> container(Template template, PlatformStacks stacks, String service) {
    Map<String, Object> td = resource(template, logicalId(stacks.compute().services().get(service).taskDefinition()));
    return (Map<String, Object>) ((List<Object>) td.get("ContainerDefinitions")).get(0);
  }

  private static Map<String, Object> service(Template template, PlatformStacks stacks, String service) {
    return resource(template, logicalId(stacks.compute().services().get(service).service()));
  }

  @Test
  void clusterHasContainerInsightsOn() {
    devTemplate.hasResourceProperties("AWS::ECS::Cluster", Map.of(
        "ClusterSettings", List.of(Map.of("Name", "containerInsights", "Value", "enabled"))));
  }

  @Test
  void clusterDefaultStrategyKeepsABaseOnDemandAndWeightsSpotAtThirtyPercent() {
    devTemplate.hasResourceProperties("AWS::ECS::ClusterCapacityProviderAssociations", Map.of(
        "CapacityProviders", List.of("FARGATE", "FARGATE_SPOT"),
        "DefaultCapacityProviderStrategy", List.of(
            Map.of("CapacityProvider", "FARGATE", "Base", 1, "Weight", 7),
            Map.of("CapacityProvider", "FARGATE_SPOT", "Weight", 3))));
  }

  @Test
  void servicesUseTheEnvironmentsCapacitySplit() {
    for (String name : prod.config().services().stream().map(s -> s.name()).toList()) {
      assertThat(service(prodTemplate, prod, name).get("CapacityProviderStrategy")).as(name).isEqualTo(List.of(
          Map.of("CapacityProvider", "FARGATE", "Base", 2, "Weight", 7),
          Map.of("CapacityProvider", "FARGATE_SPOT", "Weight", 3)));
    }
  }

  @Test
  void taskSizingDiffersPerEnvironment() {
    devTemplate.allResourcesProperties("AWS::ECS::TaskDefinition", Match.objectLike(Map.of(
        "Cpu", "512", "Memory", "1024", "RequiresCompatibilities", List.of("FARGATE"), "NetworkMode", "awsvpc")));
    prodTemplate.allResourcesProperties("AWS::ECS::TaskDefinition", Match.objectLike(Map.of(
        "Cpu", "2048", "Memory", "4096")));
  }

  @Test
  void imageIsAReferenceToTheServicesReleaseParameterNeverALiteral() {
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> parameters = (Map<String, Map<String, Object>>) devTemplate.toJSON().get("Parameters");
    for (String name : List.of("bff", "graphql", "agentcore")) {
      Object image = container(devTemplate, dev, name).get("Image");
      assertThat(image).as(name).isInstanceOf(Map.class);
      @SuppressWarnings("unchecked")
      String parameter = (String) ((Map<String, Object>) image).get("Ref");
      assertThat(parameters.get(parameter)).as(name).isEqualTo(Map.of(
          "Type", "AWS::SSM::Parameter::Value<String>",
          "Default", StorageStack.releaseParameterName("dev", name)));
    }
  }

  @Test
  void logsGoToAnEncryptedWeekLongGroupPerServiceWithoutBlocking() {
    for (String name : List.of("bff", "graphql", "agentcore")) {
      Microservice svc = dev.compute().services().get(name);
      assertThat(resource(devTemplate, logicalId(svc.logGroup()))).as(name).containsEntry("RetentionInDays", 7)
          .containsEntry("KmsKeyId", Map.of("Fn::GetAtt", List.of(logicalId(dev.compute().key()), "Arn")));
      assertThat(container(devTemplate, dev, name).get("LogConfiguration")).as(name).isEqualTo(Map.of(
          "LogDriver", "awslogs",
          "Options", Map.of(
              "awslogs-group", Map.of("Ref", logicalId(svc.logGroup())),
              "awslogs-stream-prefix", name,
              "awslogs-region", "us-east-1",
              "mode", "non-blocking",
              "max-buffer-size", "26214400b")));
    }
  }

  @Test
  void containersHaveHealthChecksOnTheirHealthPath() {
    String preflight = "'apollo-require-preflight: true'";
    assertThat(container(devTemplate, dev, "bff").get("HealthCheck")).isEqualTo(Map.of(
        "Command", List.of("CMD-SHELL", "curl -fsS -H " + preflight + " 'http://localhost:3000/api/health' >/dev/null"
            + " || wget -q --header " + preflight + " -O /dev/null 'http://localhost:3000/api/health' || exit 1"),
        "Interval", 10, "Retries", 3, "StartPeriod", 30, "Timeout", 5));
    // GraphQL: a GET carrying a query (a query-less GET /graphql is a 400 on many servers).
    assertThat(String.valueOf(container(devTemplate, dev, "graphql").get("HealthCheck")))
        .contains("'http://localhost:8080/graphql?query=%7B__typename%7D'");
    assertThat(String.valueOf(container(devTemplate, dev, "agentcore").get("HealthCheck")))
        .contains("'http://localhost:8080/health'");
  }

  @Test
  @SuppressWarnings("unchecked")
  void thePlaceholderAnswersOnlyTheHealthPathAndOnlyWhileTheImageIsThePlaceholder() {
    Map<String, Object> conditions = (Map<String, Object>) devTemplate.toJSON().get("Conditions");
    for (String name : List.of("bff", "graphql", "agentcore")) {
      Map<String, Object> c = container(devTemplate, dev, name);
      Map<String, Object> command = (Map<String, Object>) c.get("Command");
      List<Object> branches = (List<Object>) command.get("Fn::If");
      String condition = (String) branches.get(0);
      // Only while the image parameter's value is the placeholder; otherwise no command at all.
      assertThat(conditions.get(condition)).as(name).isEqualTo(Map.of("Fn::Equals", List.of(c.get("Image"), Placeholders.image(dev.config().target(), dev.config().name()))));
      assertThat(branches.get(2)).isEqualTo(Map.of("Ref", "AWS::NoValue"));
      assertThat(c.get("DockerLabels")).isEqualTo(Map.of("Fn::If", List.of(condition,
          Map.of(Placeholders.COMMAND_LABEL, "true"), Map.of("Ref", "AWS::NoValue"))));
      List<String> placeholder = (List<String>) branches.get(1);
      String path = dev.config().service(name).healthPath().replaceFirst("\\?.*", "");
      assertThat(placeholder).isEqualTo(Placeholders.command(dev.config().service(name).healthPath()));
      assertThat(placeholder.get(2))
          .contains("location = " + path + " {").contains("listen ${PORT};").contains("location / { return 404; }")
          .contains("server_tokens off;").contains("limit_except GET { deny all; }")
          .doesNotContain("root ").doesNotContain("proxy_pass").doesNotContain("autoindex").doesNotContain("alias ")
          .doesNotContain("$uri").doesNotContain("$http");
    }
    // Where it writes is task storage, not the (read-only) root filesystem.
    // /tmp, plus ECS Exec's two directories in dev (ecsExecCanStartInDevsReadOnlyContainers...).
    assertThat(container(devTemplate, dev, "bff").get("MountPoints"))
        .isEqualTo(List.of(Map.of("ContainerPath", "/tmp", "ReadOnly", false, "SourceVolume", "tmp"),
            Map.of("ContainerPath", "/var/lib/amazon", "ReadOnly", false, "SourceVolume", "var-lib-amazon"),
            Map.of("ContainerPath", "/var/log/amazon", "ReadOnly", false, "SourceVolume", "var-log-amazon")));
    assertThat(Placeholders.WORK_DIR).startsWith("/tmp/");
  }

  @Test
  void taskDefinitionsKeepReplacedRevisionsRegistered() {
    for (var template : List.of(devTemplate, prodTemplate)) {
      Map<String, Map<String, Object>> taskDefinitions = template.findResources("AWS::ECS::TaskDefinition");
      assertThat(taskDefinitions).hasSize(3);
      taskDefinitions.values().forEach(td -> assertThat(td)
          .containsEntry("UpdateReplacePolicy", "Retain")
          .containsEntry("DeletionPolicy", "Retain"));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void taskEgressNamesTheEndpointsAndS3AndNeverTheInternet() {
    for (Map<String, Object> sg : prodTemplate.findResources("AWS::EC2::SecurityGroup").values()) {
      Object egress = ((Map<String, Object>) sg.get("Properties")).get("SecurityGroupEgress");
      if (egress instanceof List<?> rules) {
        assertThat(rules).noneMatch(r -> "0.0.0.0/0".equals(((Map<String, Object>) r).get("CidrIp")));
      }
    }
    for (String service : List.of("bff", "graphql", "agentcore")) {
      String group = logicalId(prod.compute().services().get(service).securityGroup());
      prodTemplate.hasResourceProperties("AWS::EC2::SecurityGroupEgress", Map.of(
          "GroupId", Map.of("Fn::GetAtt", List.of(group, "GroupId")),
          "IpProtocol", "tcp", "FromPort", 443, "ToPort", 443,
          "DestinationSecurityGroupId", Match.objectLike(Map.of("Fn::ImportValue",
              Match.stringLikeRegexp(".*EndpointSecurityGroup.*"))),
          "Description", Match.anyValue()));
      prodTemplate.hasResourceProperties("AWS::EC2::SecurityGroupEgress", Map.of(
          "GroupId", Map.of("Fn::GetAtt", List.of(group, "GroupId")),
          "IpProtocol", "tcp", "FromPort", 443, "ToPort", 443,
          // Resolved at deploy time by the storage stack's S3PrefixList custom resource.
          "DestinationPrefixListId", Match.objectLike(Map.of("Fn::ImportValue",
              Match.stringLikeRegexp(".*S3PrefixList.*"))),
          "Description", Match.anyValue()));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyContainerRunsAsNonRootWithAReadOnlyRootAndItsMemoryLimit() {
    for (String service : List.of("bff", "graphql", "agentcore")) {
      Map<String, Object> container = container(devTemplate, dev, service);
      assertThat(container)
          .containsEntry("User", Microservice.CONTAINER_USER)
          .containsEntry("ReadonlyRootFilesystem", true)
          .containsEntry("Memory", 1024);
      assertThat(Microservice.CONTAINER_USER).doesNotStartWith("0").doesNotStartWith("root");
      // Each writable path is an empty task-storage volume mounted read-write.
      List<Map<String, Object>> mounts = (List<Map<String, Object>>) container.get("MountPoints");
      assertThat(mounts).extracting(m -> m.get("ContainerPath"))
          .containsExactlyElementsOf(java.util.stream.Stream.concat(dev.config().service(service).writablePaths().stream(),
              Microservice.ECS_EXEC_WRITABLE_PATHS.stream()).toList());
      assertThat(mounts).allSatisfy(m -> assertThat(m).containsEntry("ReadOnly", false));
    }
    assertThat(dev.config().service("agentcore").writablePaths()).containsExactly("/tmp", "/var/cache/agentcore");
  }

  @Test
  @SuppressWarnings("unchecked")
  void secretsAreInjectedFromSecretStoresAndOnlyThePortIsPlain() {
    Map<String, List<String>> expected = Map.of(
        "bff", List.of("APP_SECRET", "SERVICE_SETTINGS"),
        "graphql", List.of("SERVICE_SETTINGS"),
        "agentcore", List.of("SERVICE_SETTINGS"));
    expected.forEach((name, secrets) -> {
      Map<String, Object> c = container(devTemplate, dev, name);
      assertThat(c.get("Environment")).as(name).isEqualTo(List.of(Map.of(
          "Name", "PORT", "Value", Integer.toString(dev.config().service(name).port()))));
      List<String> names = new ArrayList<>();
      ((List<Map<String, Object>>) c.get("Secrets")).forEach(s -> names.add((String) s.get("Name")));
      assertThat(names).as(name).containsExactlyInAnyOrderElementsOf(secrets);
    });
  }

  @Test
  void executionRoleHasExactlyPullLogsAndTheInjectedSecrets() {
    String ecr = "ecr:BatchCheckLayerAvailability,ecr:BatchGetImage,ecr:GetDownloadUrlForLayer on ";
    String ssm = "ssm:DescribeParameters,ssm:GetParameter,ssm:GetParameterHistory,ssm:GetParameters on ";
    String ssmArn = "arn:<AWS::Partition>:ssm:us-east-1:111111111111:parameter/";
    String via = " if {StringEquals={kms:ViaService=secretsmanager.us-east-1.amazonaws.com}}";
    assertThat(statementsOfRole(prodTemplate, logicalId(prod.compute().executionRole()))).containsExactlyInAnyOrder(
        ecr + "import(Storage:ExportsOutputFnGetAttbffRepositoryArn)",
        ecr + "import(Storage:ExportsOutputFnGetAttgraphqlRepositoryArn)",
        ecr + "import(Storage:ExportsOutputFnGetAttagentcoreRepositoryArn)",
        // The placeholder, from the environment's pull-through cache of ECR Public (storage's EcrPublicCache).
        ecr + "arn:<AWS::Partition>:ecr:us-east-1:111111111111:repository/gitops-prod-ecr-public/nginx/nginx-unprivileged",
        "ecr:GetAuthorizationToken on *",
        "logs:CreateLogStream,logs:PutLogEvents on <BffLogs.Arn>",
        "logs:CreateLogStream,logs:PutLogEvents on <GraphqlLogs.Arn>",
        "logs:CreateLogStream,logs:PutLogEvents on <AgentcoreLogs.Arn>",
        ssm + ssmArn + "<BffSettings>",
        ssm + ssmArn + "<GraphqlSettings>",
        ssm + ssmArn + "<AgentcoreSettings>",
        "secretsmanager:DescribeSecret,secretsmanager:GetSecretValue on import(Security:ExportsOutputRefApplicationSecret)",
        "kms:Decrypt on import(Security:ExportsOutputFnGetAttDataKeyArn)" + via);
  }

  private static final String SSM_READ =
      "ssm:DescribeParameters,ssm:GetParameter,ssm:GetParameterHistory,ssm:GetParameters on "
          + "arn:<AWS::Partition>:ssm:us-east-1:111111111111:parameter/";

  @Test
  void bffTaskRoleHasItsLogsAndSettingsOnly() {
    assertThat(statementsOfRole(prodTemplate, logicalId(prod.compute().services().get("bff").taskRole())))
        .containsExactlyInAnyOrder(
            "logs:CreateLogStream,logs:PutLogEvents on <BffLogs.Arn>",
            SSM_READ + "<BffSettings>");
  }

  /**
   * Blocker 6 of issue 21: GraphQL logs in as its own IAM-authenticated user (database stack's
   * IamDatabaseUsers); no task definition or role of compute names the Aurora master secret, whose
   * 30-day rotation would otherwise break running tasks.
   */
  @Test
  void noTaskSeesTheDatabaseMasterSecretAndGraphqlIsToldToUseIamAuthentication() {
    // The master secret (and its attachment, which CDK exports for the secret's ARN) is named AuroraSecret*.
    for (Template t : List.of(devTemplate, prodTemplate)) {
      assertThat(t.toJSON().toString()).doesNotContain("AuroraSecret").doesNotContain("DB_PASSWORD");
    }
    Capture settings = new Capture();
    prodTemplate.hasResourceProperties("AWS::SSM::Parameter", Map.of(
        "Description", Match.stringLikeRegexp("Non-secret runtime settings of graphql.*"), "Value", settings));
    assertThat(settings.asObject().toString()).contains("\"databaseAuth\":\"iam\"")
        .contains("\"databaseUser\":\"graphql\"").contains("\"databaseName\":\"app\"")
        .contains("\"databasePort\":5432").contains("databaseHost");
  }

  @Test
  void graphqlTaskRoleConnectsToTheDatabaseAsItsUserAndCallsOpenSearch() {
    String search = "import(Database:ExportsOutputFnGetAttSearchArn)";
    assertThat(statementsOfRole(prodTemplate, logicalId(prod.compute().services().get("graphql").taskRole())))
        .containsExactlyInAnyOrder(
            "logs:CreateLogStream,logs:PutLogEvents on <GraphqlLogs.Arn>",
            SSM_READ + "<GraphqlSettings>",
            "rds-db:connect on arn:<AWS::Partition>:rds-db:us-east-1:111111111111:dbuser:"
                + "import(Database:ExportsOutputFnGetAttAuroraDBClusterResourceId)/graphql",
            "es:ESHttpDelete,es:ESHttpGet,es:ESHttpHead,es:ESHttpPatch,es:ESHttpPost,es:ESHttpPut on "
                + search + "," + search + "/*",
            // Under fine-grained access control the service signs as the domain's master role.
            "sts:AssumeRole on import(Database:ExportsOutputFnGetAttSearchAccessRoleArn)");
  }

  @Test
  void agentcoreTaskRoleInvokesOnlyTheConfiguredModelsAndUsesTheDocumentsBucket() {
    String bucket = "import(Storage:ExportsOutputFnGetAttDocumentsBucketArn)";
    String model = "arn:<AWS::Partition>:bedrock:us-east-1::foundation-model/";
    assertThat(statementsOfRole(prodTemplate, logicalId(prod.compute().services().get("agentcore").taskRole())))
        .containsExactlyInAnyOrder(
            "logs:CreateLogStream,logs:PutLogEvents on <AgentcoreLogs.Arn>",
            SSM_READ + "<AgentcoreSettings>",
            "s3:ListBucket on " + bucket,
            "s3:GetObject,s3:PutObject on " + bucket + "/*",
            "kms:Decrypt,kms:GenerateDataKey on import(Security:ExportsOutputFnGetAttDataKeyArn)",
            "bedrock:InvokeModel,bedrock:InvokeModelWithResponseStream on "
                + model + "anthropic.claude-3-5-sonnet-20240620-v1:0," + model + "amazon.titan-embed-text-v2:0");
  }

  @Test
  void devTaskRolesAlsoCarryEcsExecPermissionsOnTheExecKeyAndLogGroup() {
    assertThat(statementsOfRole(devTemplate, logicalId(dev.compute().services().get("bff").taskRole())))
        .contains(
            "ssmmessages:CreateControlChannel,ssmmessages:CreateDataChannel,ssmmessages:OpenControlChannel,"
                + "ssmmessages:OpenDataChannel on *",
            "kms:Decrypt,kms:GenerateDataKey on <Key.Arn>",
            "logs:DescribeLogGroups on *",
            "logs:CreateLogStream,logs:DescribeLogStreams,logs:PutLogEvents on "
                + "arn:<AWS::Partition>:logs:us-east-1:111111111111:log-group:<ExecLogs>:*");
  }

  @Test
  @SuppressWarnings("unchecked")
  void noStatementInTheStackHasAWildcardAction() {
    for (Template template : List.of(devTemplate, prodTemplate)) {
      for (Object policy : template.findResources("AWS::IAM::Policy").values()) {
        Map<String, Object> doc = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) policy)
            .get("Properties")).get("PolicyDocument");
        for (Object s : (List<Object>) doc.get("Statement")) {
          Object action = ((Map<String, Object>) s).get("Action");
          List<String> actions = action instanceof List<?> l ? (List<String>) l : List.of((String) action);
          assertThat(actions).allSatisfy(a -> assertThat(a).doesNotContain("*"));
        }
      }
    }
  }

  @Test
  void bffAdmitsOnlyTheAlbOnItsPort() {
    String bff = logicalId(dev.compute().services().get("bff").securityGroup());
    devTemplate.resourcePropertiesCountIs("AWS::EC2::SecurityGroupIngress",
        Match.objectLike(Map.of("GroupId", Map.of("Fn::GetAtt", List.of(bff, "GroupId")))), 1);
    devTemplate.hasResourceProperties("AWS::EC2::SecurityGroupIngress", Map.of(
        "GroupId", Map.of("Fn::GetAtt", List.of(bff, "GroupId")),
        "IpProtocol", "tcp", "FromPort", 3000, "ToPort", 3000,
        "SourceSecurityGroupId", Match.objectLike(Map.of("Fn::ImportValue",
            Match.stringLikeRegexp("Network:ExportsOutputFnGetAttAlbSecurityGroup.*GroupId.*"))),
        "Description", "ALB to bff"));
  }

  @Test
  void privateServicesAdmitOnlyTheBffOn8080() {
    String bff = logicalId(dev.compute().services().get("bff").securityGroup());
    for (String name : List.of("graphql", "agentcore")) {
      String sg = logicalId(dev.compute().services().get(name).securityGroup());
      devTemplate.resourcePropertiesCountIs("AWS::EC2::SecurityGroupIngress",
          Match.objectLike(Map.of("GroupId", Map.of("Fn::GetAtt", List.of(sg, "GroupId")))), 1);
      devTemplate.hasResourceProperties("AWS::EC2::SecurityGroupIngress", Map.of(
          "GroupId", Map.of("Fn::GetAtt", List.of(sg, "GroupId")),
          "IpProtocol", "tcp", "FromPort", 8080, "ToPort", 8080,
          "SourceSecurityGroupId", Map.of("Fn::GetAtt", List.of(bff, "GroupId"))));
    }
  }

  @Test
  void onlyGraphqlReachesTheDatabaseOn5432AndOpenSearchOn443() {
    String graphql = logicalId(dev.compute().services().get("graphql").securityGroup());
    for (int port : List.of(5432, 443)) {
      devTemplate.resourcePropertiesCountIs("AWS::EC2::SecurityGroupIngress",
          Match.objectLike(Map.of("FromPort", port)), 1);
      devTemplate.hasResourceProperties("AWS::EC2::SecurityGroupIngress", Map.of(
          "GroupId", Match.objectLike(Map.of("Fn::ImportValue", Match.stringLikeRegexp("Database:.*"))),
          "IpProtocol", "tcp", "FromPort", port, "ToPort", port,
          "SourceSecurityGroupId", Map.of("Fn::GetAtt", List.of(graphql, "GroupId"))));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void noIngressRuleInTheStackIsOpenToTheInternet() {
    for (Template template : List.of(devTemplate, prodTemplate)) {
      List<Object> ingress = new ArrayList<>(template.findResources("AWS::EC2::SecurityGroupIngress").values().stream()
          .map(r -> ((Map<String, Object>) r).get("Properties")).toList());
      template.findResources("AWS::EC2::SecurityGroup").values().forEach(r -> {
        Object inline = ((Map<String, Object>) ((Map<String, Object>) r).get("Properties")).get("SecurityGroupIngress");
        if (inline != null) {
          ingress.addAll((List<Object>) inline);
        }
      });
      assertThat(ingress).isNotEmpty().allSatisfy(rule -> assertThat((Map<String, Object>) rule)
          .doesNotContainEntry("CidrIp", "0.0.0.0/0").doesNotContainEntry("CidrIpv6", "::/0")
          .containsKey("SourceSecurityGroupId"));
    }
  }

  @Test
  void bffTargetGroupChecksApiHealthEvery10SecondsAndDrainsIn30() {
    devTemplate.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Map.of(
        "TargetType", "ip", "Protocol", "HTTP", "Port", 3000,
        "HealthCheckPath", "/api/health",
        "HealthCheckIntervalSeconds", 10,
        "HealthCheckTimeoutSeconds", 5,
        "UnhealthyThresholdCount", 3,
        "HealthyThresholdCount", 2,
        "Matcher", Map.of("HttpCode", "200-299"),
        "TargetGroupAttributes", Match.arrayWith(List.of(Map.of(
            "Key", "deregistration_delay.timeout_seconds", "Value", "30")))));
  }

  @Test
  void theTargetGroupIsAttachedToTheNetworkStacksListener() {
    // The actions: bothCanaryRulesForwardToThePrimaryAt100AndTheAlternateAt0.
    devTemplate.hasResourceProperties("AWS::ElasticLoadBalancingV2::ListenerRule", Match.objectLike(Map.of(
        "ListenerArn", Map.of("Fn::ImportValue", Match.stringLikeRegexp("Network:.*Listener.*")),
        "Priority", ComputeStack.LISTENER_RULE_PRIORITY,
        "Conditions", List.of(Map.of("Field", "path-pattern",
            "PathPatternConfig", Map.of("Values", List.of("/*")))))));
    assertThat(service(devTemplate, dev, "bff").get("LoadBalancers")).asList().singleElement().asInstanceOf(
        org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("ContainerName", "bff")
        .containsEntry("ContainerPort", 3000)
        .containsEntry("TargetGroupArn", Map.of("Ref", logicalId(dev.compute().targetGroup())));
    assertThat(service(devTemplate, dev, "graphql")).doesNotContainKey("LoadBalancers");
  }

  @Test
  void theServicesReachedThroughCloudMapRollWithFullCapacityAndRollBackThroughTheCircuitBreaker() {
    for (String name : List.of("graphql", "agentcore")) {
      assertThat(service(prodTemplate, prod, name)).as(name)
          .containsEntry("DeploymentConfiguration", Map.of(
              "MinimumHealthyPercent", 100, "MaximumPercent", 200,
              "DeploymentCircuitBreaker", Map.of("Enable", true, "Rollback", true),
              "Alarms", Map.of("AlarmNames", List.of(), "Enable", false, "Rollback", false)))
          .containsEntry("HealthCheckGracePeriodSeconds", 30)
          .containsEntry("DeploymentController", Map.of("Type", "ECS"));
    }
  }

  // ---- the BFF's canary (issue 14): ECS's native strategy, alternate target group, rules, alarms, hook

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deploymentConfiguration(Template t, PlatformStacks stacks) {
    return (Map<String, Object>) service(t, stacks, "bff").get("DeploymentConfiguration");
  }

  @Test
  void theBffDeploysAsANativeCanaryWithItsStepAndBakeTimeFromConfig() {
    assertThat(deploymentConfiguration(prodTemplate, prod))
        .containsEntry("Strategy", "CANARY")
        .containsEntry("CanaryConfiguration", Map.of("CanaryPercent", 10, "CanaryBakeTimeInMinutes", 10))
        .containsEntry("BakeTimeInMinutes", 10)
        .doesNotContainKey("DeploymentCircuitBreaker");
    assertThat(deploymentConfiguration(devTemplate, dev))
        .containsEntry("CanaryConfiguration", Map.of("CanaryPercent", 10, "CanaryBakeTimeInMinutes", 3))
        .containsEntry("BakeTimeInMinutes", 2);
  }

  @Test
  void linearAndBlueGreenAreNativeStrategiesWithTheirStepsAndBakeFromConfig() {
    EnvironmentConfig dev = Environments.dev(ComputeFixture.TARGET, Optional.empty());
    PlatformStacks linear = ComputeFixture.of(dev.withService("bff", s -> s.withDeployment(
        new DeploymentStrategy.Linear(25, java.time.Duration.ofMinutes(2), java.time.Duration.ofMinutes(5)))));
    assertThat(deploymentConfiguration(Template.fromStack(linear.compute()), linear))
        .containsEntry("Strategy", "LINEAR")
        .containsEntry("LinearConfiguration", Map.of("StepPercent", 25, "StepBakeTimeInMinutes", 2))
        .containsEntry("BakeTimeInMinutes", 5)
        .doesNotContainKey("DeploymentCircuitBreaker");
    PlatformStacks blueGreen = ComputeFixture.of(dev.withService("bff", s -> s.withDeployment(
        new DeploymentStrategy.BlueGreen(java.time.Duration.ofMinutes(15)))));
    assertThat(deploymentConfiguration(Template.fromStack(blueGreen.compute()), blueGreen))
        .containsEntry("Strategy", "BLUE_GREEN")
        .containsEntry("BakeTimeInMinutes", 15)
        .doesNotContainKeys("CanaryConfiguration", "LinearConfiguration", "DeploymentCircuitBreaker");
  }

  @Test
  void theBffsDeploymentAlarmsOn5xxRateAndUnhealthyHostsRollBack() {
    CanaryTraffic c = prod.compute().canary().orElseThrow();
    assertThat(deploymentConfiguration(prodTemplate, prod)).containsEntry("Alarms", Map.of(
        "AlarmNames", List.of(Map.of("Ref", logicalId(c.errorRateAlarm())), Map.of("Ref", logicalId(c.unhealthyHostsAlarm()))),
        "Enable", true, "Rollback", true));
    Map<String, Object> errors = resource(prodTemplate, logicalId(c.errorRateAlarm()));
    assertThat(errors).containsEntry("Threshold", 5).containsEntry("ComparisonOperator", "GreaterThanThreshold")
        .containsEntry("TreatMissingData", "notBreaching");
    assertThat(String.valueOf(errors.get("Metrics"))).contains("100 * (FILL(e1, 0) + FILL(e2, 0)) / (r1 + r2)")
        .contains("HTTPCode_Target_5XX_Count").contains("RequestCount")
        .contains(logicalId(prod.compute().targetGroup())).contains(logicalId(c.alternateTargetGroup()));
    Map<String, Object> unhealthy = resource(prodTemplate, logicalId(c.unhealthyHostsAlarm()));
    assertThat(unhealthy).containsEntry("Threshold", 1)
        .containsEntry("ComparisonOperator", "GreaterThanOrEqualToThreshold");
    assertThat(String.valueOf(unhealthy.get("Metrics"))).contains("MAX([u1, u2])").contains("UnHealthyHostCount");
  }

  @Test
  void theBffHasAnAlternateTargetGroupAndProductionAndTestListenerRulesForEcsToShift() {
    CanaryTraffic c = dev.compute().canary().orElseThrow();
    assertThat(service(devTemplate, dev, "bff").get("LoadBalancers")).isEqualTo(List.of(Map.of(
        "ContainerName", "bff", "ContainerPort", 3000,
        "TargetGroupArn", Map.of("Ref", logicalId(dev.compute().targetGroup())),
        "AdvancedConfiguration", Map.of(
            "AlternateTargetGroupArn", Map.of("Ref", logicalId(c.alternateTargetGroup())),
            "ProductionListenerRule", Map.of("Ref", logicalId(dev.compute().listenerRule())),
            "TestListenerRule", Map.of("Ref", logicalId(c.testRule())),
            "RoleArn", Map.of("Fn::GetAtt", List.of(logicalId(c.infrastructureRole()), "Arn"))))));
    assertThat(resource(devTemplate, logicalId(c.alternateTargetGroup())))
        .containsEntry("TargetType", "ip").containsEntry("Port", 3000).containsEntry("HealthCheckPath", "/api/health");
    Map<String, Object> test = resource(devTemplate, logicalId(c.testRule()));
    assertThat(test).containsEntry("Priority", ComputeStack.LISTENER_RULE_PRIORITY - 1);
  }

  /**
   * Issue 21, blocker 5: a query string anyone can add opened the new revision to the internet before it took
   * production traffic. The test rule now matches only a header whose value is a generated secret, resolved into the
   * rule by CloudFormation (a secretsmanager dynamic reference), so no template holds the value.
   */
  @Test
  @SuppressWarnings("unchecked")
  void theTestRouteNeedsTheGeneratedSecretInAHeaderAndNoQueryStringOpensIt() {
    CanaryTraffic c = dev.compute().canary().orElseThrow();
    List<Map<String, Object>> conditions = (List<Map<String, Object>>) resource(devTemplate, logicalId(c.testRule()))
        .get("Conditions");
    assertThat(conditions).singleElement().satisfies(cond -> {
      assertThat(cond).containsEntry("Field", "http-header");
      Map<String, Object> header = (Map<String, Object>) cond.get("HttpHeaderConfig");
      assertThat(header).containsEntry("HttpHeaderName", io.gitops.contract.CanaryTestRoute.HEADER);
      assertThat(String.valueOf(header.get("Values"))).contains("{{resolve:secretsmanager:")
          .contains("Ref=" + logicalId(c.testRouteSecret())).contains(":SecretString:::}}");
    });
    Map<String, Object> secret = resource(devTemplate, logicalId(c.testRouteSecret()));
    assertThat(secret.get("GenerateSecretString")).isEqualTo(Map.of(
        "PasswordLength", io.gitops.contract.CanaryTestRoute.SECRET_LENGTH, "ExcludePunctuation", true,
        "IncludeSpace", false));
  }

  /**
   * Issue 21, blocker 4: ECS shifts a canary by changing the weights of the groups each rule already forwards to
   * (developer guide, "Application Load Balancer resources for blue/green, linear, and canary deployments"). Both
   * rules forward to both groups, primary 100, alternate 0; a rule naming the primary alone leaves ECS nothing to shift.
   */
  @Test
  void bothCanaryRulesForwardToThePrimaryAt100AndTheAlternateAt0() {
    CanaryTraffic c = dev.compute().canary().orElseThrow();
    Object weighted = List.of(Map.of("Type", "forward", "ForwardConfig", Map.of("TargetGroups", List.of(
        Map.of("TargetGroupArn", Map.of("Ref", logicalId(dev.compute().targetGroup())), "Weight", 100),
        Map.of("TargetGroupArn", Map.of("Ref", logicalId(c.alternateTargetGroup())), "Weight", 0)))));
    assertThat(resource(devTemplate, logicalId(dev.compute().listenerRule())).get("Actions")).isEqualTo(weighted);
    assertThat(resource(devTemplate, logicalId(c.testRule())).get("Actions")).isEqualTo(weighted);
  }

  @Test
  void ecsShiftsTheRulesWithTheInfrastructureRoleForLoadBalancers() {
    CanaryTraffic c = dev.compute().canary().orElseThrow();
    Map<String, Object> role = resource(devTemplate, logicalId(c.infrastructureRole()));
    assertThat(String.valueOf(role.get("AssumeRolePolicyDocument"))).contains("ecs.amazonaws.com");
    assertThat(String.valueOf(role.get("ManagedPolicyArns"))).contains("AmazonECSInfrastructureRolePolicyForLoadBalancers");
  }

  /**
   * Issue 21, blocker 3: ECS validates a hook's target when CloudFormation creates the service. The target is a
   * reference to the canary hook's alias in this same stack, so CloudFormation creates the alias first; it was a
   * constructed ARN of the guard, which the deployment stack creates after compute.
   */
  @Test
  @SuppressWarnings("unchecked")
  void theHookIsTheCanaryHookFunctionsAliasInThisStackByReferenceAtTheStagesThatMatter() {
    Map<String, Object> hook = ((List<Map<String, Object>>) (List<?>) deploymentConfiguration(prodTemplate, prod)
        .get("LifecycleHooks")).get(0);
    assertThat(hook.get("LifecycleStages")).isEqualTo(List.of("POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT"));
    CanaryHookFunction fn = prod.compute().canaryHook().orElseThrow();
    assertThat(hook.get("HookTargetArn")).isEqualTo(Map.of("Ref", logicalId(fn.alias())));
    Map<String, Object> alias = resource(prodTemplate, logicalId(fn.alias()));
    assertThat(alias).containsEntry("Name", CanaryHookFunction.ALIAS)
        .containsEntry("FunctionName", Map.of("Ref", logicalId(fn.function())));
    assertThat(resource(prodTemplate, logicalId(fn.function())))
        .containsEntry("Handler", io.gitops.contract.FunctionHandler.CANARY_HOOK.handler());
    String role = (String) ((List<?>) ((Map<?, ?>) hook.get("RoleArn")).get("Fn::GetAtt")).get(0);
    assertThat(role).isEqualTo(logicalId(prod.compute().canary().orElseThrow().hookRole()));
    assertThat(statementsOfRole(prodTemplate, role)).isNotEmpty()
        .allSatisfy(st -> assertThat(st).startsWith("lambda:InvokeFunction on ").contains("BffCanaryHookAlias"));
    // Nothing the compute stack names comes from a stack after it.
    assertThat(prod.compute().getDependencies()).doesNotContain(prod.deployment(), prod.monitoring());
    assertThat(String.valueOf(prodTemplate.toJSON())).doesNotContain("guard:live").doesNotContain("-guard");
  }

  /**
   * Issue 20, finding 8: the hook shared the guard's function, whose reserved concurrency (5) the event stream uses;
   * a synchronous hook call throttled (429) is a failed hook, and ECS rolls a good canary back. Reserved concurrency
   * is per function: the hook is a function of its own, with its own, and no event rule invokes it.
   */
  @Test
  void theHookHasAFunctionAndReservedConcurrencyOfItsOwnThatNoEventInvokes() {
    CanaryHookFunction fn = prod.compute().canaryHook().orElseThrow();
    assertThat(resource(prodTemplate, logicalId(fn.function())))
        .containsEntry("ReservedConcurrentExecutions", CanaryHookFunction.RESERVED_CONCURRENCY_PER_SERVICE)
        .containsEntry("SnapStart", Map.of("ApplyOn", "PublishedVersions"));
    assertThat(prodTemplate.findResources("AWS::Events::Rule")).isEmpty();
    assertThat(prod.deployment().guard().function().getNode().getPath())
        .isNotEqualTo(fn.function().getNode().getPath());
    Template deployment = Template.fromStack(prod.deployment());
    assertThat(String.valueOf(deployment.toJSON())).doesNotContain("BffCanaryHookAlias");
  }

  @Test
  @SuppressWarnings("unchecked")
  void servicesRunInPrivateSubnetsOfBothAzsWithoutPublicIps() {
    Map<String, Object> vpc = (Map<String, Object>) service(devTemplate, dev, "agentcore").get("NetworkConfiguration");
    Map<String, Object> awsvpc = (Map<String, Object>) vpc.get("AwsvpcConfiguration");
    assertThat(awsvpc).containsEntry("AssignPublicIp", "DISABLED");
    assertThat(((List<Object>) awsvpc.get("Subnets")).stream().map(ComputeFixture::render).toList())
        .hasSize(2).allSatisfy(s -> assertThat(s).contains("privateSubnet"));
  }

  @Test
  void desiredCountsComeFromTheConfig() {
    assertThat(service(devTemplate, dev, "bff")).containsEntry("DesiredCount", 2);
    assertThat(service(prodTemplate, prod, "bff")).containsEntry("DesiredCount", 3);
  }

  @Test
  void eachServiceScalesOnCpuAndMemoryWithAFiveMinuteScaleInCooldown() {
    prodTemplate.resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 3);
    prodTemplate.allResourcesProperties("AWS::ApplicationAutoScaling::ScalableTarget", Match.objectLike(Map.of(
        "MinCapacity", 3, "MaxCapacity", 10, "ScalableDimension", "ecs:service:DesiredCount")));
    prodTemplate.resourceCountIs("AWS::ApplicationAutoScaling::ScalingPolicy", 6);
    for (Object[] metric : new Object[][] {{"ECSServiceAverageCPUUtilization", 70}, {"ECSServiceAverageMemoryUtilization", 75}}) {
      prodTemplate.resourcePropertiesCountIs("AWS::ApplicationAutoScaling::ScalingPolicy", Match.objectLike(Map.of(
          "PolicyType", "TargetTrackingScaling",
          "TargetTrackingScalingPolicyConfiguration", Map.of(
              "PredefinedMetricSpecification", Map.of("PredefinedMetricType", metric[0]),
              "TargetValue", metric[1],
              "ScaleInCooldown", 300,
              "ScaleOutCooldown", 60))), 3);
    }
  }

  @Test
  void privateServicesRegisterShortLivedARecordsInThePrivateNamespace() {
    devTemplate.hasResourceProperties("AWS::ServiceDiscovery::PrivateDnsNamespace", Map.of(
        "Name", "dev.gitops.internal"));
    devTemplate.resourceCountIs("AWS::ServiceDiscovery::Service", 2);
    for (String name : List.of("graphql", "agentcore")) {
      devTemplate.hasResourceProperties("AWS::ServiceDiscovery::Service", Map.of(
          "Name", name,
          "NamespaceId", Map.of("Fn::GetAtt", List.of(logicalId(dev.compute().namespace()), "Id")),
          "DnsConfig", Map.of("DnsRecords", List.of(Map.of("Type", "A", "TTL", 10)),
              "NamespaceId", Map.of("Fn::GetAtt", List.of(logicalId(dev.compute().namespace()), "Id")),
              "RoutingPolicy", "MULTIVALUE")));
      assertThat(service(devTemplate, dev, name)).containsKey("ServiceRegistries");
    }
    assertThat(service(devTemplate, dev, "bff")).doesNotContainKey("ServiceRegistries");
  }

  @Test
  void ecsExecIsEncryptedAndLoggedInDevAndAbsentInProd() {
    devTemplate.hasResourceProperties("AWS::ECS::Cluster", Match.objectLike(Map.of(
        "Configuration", Map.of("ExecuteCommandConfiguration", Map.of(
            "KmsKeyId", Map.of("Fn::GetAtt", List.of(logicalId(dev.compute().key()), "Arn")),
            "Logging", "OVERRIDE",
            "LogConfiguration", Map.of(
                "CloudWatchEncryptionEnabled", true,
                "CloudWatchLogGroupName", Match.objectLike(Map.of("Ref", Match.stringLikeRegexp("ExecLogs.*")))))))));
    assertThat(service(devTemplate, dev, "bff")).containsEntry("EnableExecuteCommand", true);
    prodTemplate.hasResourceProperties("AWS::ECS::Cluster", Match.not(Match.objectLike(Map.of(
        "Configuration", Match.anyValue()))));
    assertThat(service(prodTemplate, prod, "bff")).containsEntry("EnableExecuteCommand", false);
  }

  /**
   * Blocker 7 of issue 21: with a read-only root filesystem, ECS Exec's SSM agent needs its state and log
   * directories writable, and ECS's init process; dev only, where ECS Exec is on.
   */
  @Test
  @SuppressWarnings("unchecked")
  void ecsExecCanStartInDevsReadOnlyContainersAndProdGetsNoneOfItsPaths() {
    for (String name : List.of("bff", "graphql", "agentcore")) {
      Map<String, Object> c = container(devTemplate, dev, name);
      assertThat(c.get("ReadonlyRootFilesystem")).as(name).isEqualTo(true);
      assertThat((Map<String, Object>) c.get("LinuxParameters")).as(name).containsEntry("InitProcessEnabled", true);
      List<Map<String, Object>> mounts = (List<Map<String, Object>>) c.get("MountPoints");
      Map<String, String> writable = new java.util.HashMap<>();
      mounts.stream().filter(m -> Boolean.FALSE.equals(m.get("ReadOnly")))
          .forEach(m -> writable.put((String) m.get("ContainerPath"), (String) m.get("SourceVolume")));
      assertThat(writable).as(name).containsKeys("/var/lib/amazon", "/var/log/amazon");
      // Each is an empty task-storage volume (no host path): discarded with the task.
      Map<String, Object> td = resource(devTemplate, logicalId(dev.compute().services().get(name).taskDefinition()));
      List<Map<String, Object>> volumes = (List<Map<String, Object>>) td.get("Volumes");
      for (String path : List.of("/var/lib/amazon", "/var/log/amazon")) {
        assertThat(volumes).as(name + " " + path).contains(Map.of("Name", writable.get(path)));
      }

      Map<String, Object> p = container(prodTemplate, prod, name);
      assertThat(p).as(name).doesNotContainKey("LinuxParameters");
      assertThat(String.valueOf(p.get("MountPoints"))).as(name).doesNotContain("/var/lib/amazon", "/var/log/amazon");
    }
  }

  @Test
  void logKeyRotatesAndAdmitsCloudWatchLogsOfThisAccountOnly() {
    Object logGroups = Map.of("Fn::Join", List.of("", List.of(
        "arn:", Map.of("Ref", "AWS::Partition"), ":logs:us-east-1:111111111111:log-group:*")));
    Object statement = Match.objectLike(Map.of(
        "Sid", "AllowCloudWatchLogs",
        "Principal", Map.of("Service", "logs.us-east-1.amazonaws.com"),
        "Condition", Map.of("ArnLike", Map.of("kms:EncryptionContext:aws:logs:arn", logGroups))));
    devTemplate.hasResourceProperties("AWS::KMS::Key", Match.objectLike(Map.of(
        "EnableKeyRotation", true,
        "KeyPolicy", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(statement)))))));
  }

  /** The canary hook reads the revision each invocation names (issue 20, finding 5): the BFF's revisions only. */
  @Test
  void theCanaryHookMayDescribeOnlyTheBffsServiceRevisions() {
    List<String> grants = new java.util.ArrayList<>();
    for (Object policy : devTemplate.findResources("AWS::IAM::Policy").values()) {
      String text = String.valueOf(policy);
      if (text.contains("ecs:DescribeServiceRevisions")) grants.add(text);
    }
    assertThat(grants).singleElement().satisfies(g -> assertThat(g)
        .contains("service-revision/").contains("{Fn::GetAtt=[BffServiceB785B0C3, Name]}, /*").contains("Roles=[{Ref=BffCanaryHookRole")
        .doesNotContain("service-revision/*"));
  }
}
