package io.gitops.stacks;

import io.gitops.stacks.database.DatabaseStack;

import static io.gitops.stacks.TestEnvironments.properties;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.assertions.Capture;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;

class DatabaseStackTest {

  private static Template dev;
  private static Template prod;
  private static Template consumer;

  @BeforeAll
  static void synth() {
    dev = Template.fromStack(TestEnvironments.dev().database());
    PlatformStacks prodStacks = TestEnvironments.prod();
    // A stand-in for the compute stack: a task role in a later stack, granted search access.
    Stack compute = new Stack((App) prodStacks.network().getNode().getScope(), "Consumer", StackProps.builder()
        .env(software.amazon.awscdk.Environment.builder()
            .account(TestEnvironments.TARGET.account()).region(TestEnvironments.TARGET.region()).build())
        .build());
    Role taskRole = Role.Builder.create(compute, "TaskRole")
        .assumedBy(new ServicePrincipal("ecs-tasks.amazonaws.com"))
        .build();
    prodStacks.database().grantSearchAccess(taskRole);
    prod = Template.fromStack(prodStacks.database());
    consumer = Template.fromStack(compute);
  }

  @Test
  void auroraIsServerlessV2PostgresInTheIsolatedSubnets() {
    prod.hasResourceProperties("AWS::RDS::DBCluster", Map.of(
        "Engine", "aurora-postgresql",
        "ServerlessV2ScalingConfiguration", Map.of("MinCapacity", 1, "MaxCapacity", 16)));
    prod.hasResourceProperties("AWS::RDS::DBInstance", Map.of("DBInstanceClass", "db.serverless"));
    Capture subnets = new Capture();
    prod.hasResourceProperties("AWS::RDS::DBSubnetGroup", Map.of("SubnetIds", subnets));
    assertThat(subnets.asArray()).hasSize(2)
        .allMatch(subnet -> String.valueOf(subnet).contains("isolatedSubnet"));
  }

  @Test
  void auroraIsEncryptedWithTheSecurityKeyAndUsesIamAuthentication() {
    Capture key = new Capture();
    prod.hasResourceProperties("AWS::RDS::DBCluster", Map.of(
        "StorageEncrypted", true, "KmsKeyId", key, "EnableIAMDatabaseAuthentication", true));
    assertThat(String.valueOf(key.asObject())).contains("DataKey");
  }

  @Test
  void deletionProtectionAndLongBackupsInProdOnly() {
    prod.hasResourceProperties("AWS::RDS::DBCluster", Map.of("DeletionProtection", true, "BackupRetentionPeriod", 14));
    dev.hasResourceProperties("AWS::RDS::DBCluster", Map.of("DeletionProtection", false, "BackupRetentionPeriod", 1));
    prod.hasResource("AWS::RDS::DBCluster", Map.of("DeletionPolicy", "Retain"));
    dev.hasResource("AWS::RDS::DBCluster", Map.of("DeletionPolicy", "Snapshot"));
  }

  @Test
  void credentialsAreGeneratedEncryptedAndRotatedMonthly() {
    prod.hasResourceProperties("AWS::SecretsManager::Secret", Map.of(
        "GenerateSecretString", Match.objectLike(Map.of("GenerateStringKey", "password",
            "SecretStringTemplate", "{\"username\":\"gitops_admin\"}")),
        "KmsKeyId", Match.anyValue()));
    prod.hasResourceProperties("AWS::SecretsManager::RotationSchedule", Map.of(
        "RotationRules", Map.of("ScheduleExpression", "rate(30 days)"),
        "HostedRotationLambda", Match.objectLike(Map.of("RotationType", "PostgreSQLSingleUser"))));
  }

  /** Nothing reaches 5432 until compute adds its task groups; only the rotation function does. */
  @Test
  void databaseSecurityGroupAdmitsOnlyTheRotationFunction() {
    prod.hasResourceProperties("AWS::EC2::SecurityGroup", Map.of(
        "GroupDescription", Match.stringLikeRegexp("Aurora PostgreSQL.*"),
        "SecurityGroupEgress", Match.arrayWith(List.of(Match.objectLike(Map.of("CidrIp", "255.255.255.255/32"))))));
    Map<String, Map<String, Object>> ingress = prod.findResources("AWS::EC2::SecurityGroupIngress");
    assertThat(ingress).hasSize(1);
    Map<String, Object> rule = properties(ingress.values().iterator().next());
    assertThat(rule).containsEntry("FromPort", 5432).containsEntry("ToPort", 5432);
    assertThat(String.valueOf(rule.get("SourceSecurityGroupId"))).contains("RotationSecurityGroup");
  }

  @Test
  void searchIsEncryptedHttpsOnlyWithTls12() {
    prod.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of(
        "EncryptionAtRestOptions", Match.objectLike(Map.of("Enabled", true)),
        "NodeToNodeEncryptionOptions", Map.of("Enabled", true),
        "DomainEndpointOptions", Map.of("EnforceHTTPS", true, "TLSSecurityPolicy", "Policy-Min-TLS-1-2-2019-07")));
  }

  @Test
  void searchIsSizedPerEnvironment() {
    prod.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of(
        "ClusterConfig", Match.objectLike(Map.of("InstanceType", "r6g.large.search", "InstanceCount", 4,
            "DedicatedMasterEnabled", true, "DedicatedMasterCount", 3, "ZoneAwarenessEnabled", true,
            "ZoneAwarenessConfig", Map.of("AvailabilityZoneCount", 2))),
        "EBSOptions", Map.of("EBSEnabled", true, "VolumeSize", 100, "VolumeType", "gp3")));
    dev.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of(
        "ClusterConfig", Match.objectLike(Map.of("InstanceType", "t3.small.search", "InstanceCount", 2,
            "DedicatedMasterEnabled", false)),
        "EBSOptions", Match.objectLike(Map.of("VolumeSize", 10))));
  }

  @Test
  void searchLivesInTheIsolatedSubnetsAndPublishesItsLogs() {
    Capture subnets = new Capture();
    prod.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of(
        "VPCOptions", Map.of("SubnetIds", subnets, "SecurityGroupIds", Match.anyValue())));
    assertThat(subnets.asArray()).hasSize(2).allMatch(s -> String.valueOf(s).contains("isolatedSubnet"));
    Capture logs = new Capture();
    prod.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of("LogPublishingOptions", logs));
    assertThat(logs.asObject()).containsOnlyKeys("ES_APPLICATION_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS", "AUDIT_LOGS");
  }

  @Test
  void searchUsesFineGrainedAccessControlWithAnIamMasterRoleNeverAPassword() {
    Capture master = new Capture();
    prod.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of("AdvancedSecurityOptions", Map.of(
        "Enabled", true, "InternalUserDatabaseEnabled", false,
        "MasterUserOptions", Map.of("MasterUserARN", master))));
    assertThat(master.asObject()).containsOnlyKeys("Fn::GetAtt");
    assertThat(master.asObject().get("Fn::GetAtt").toString()).contains("SearchAccessRole");
    // Only this account's roles tagged for this environment's search access may assume it.
    prod.hasResourceProperties("AWS::IAM::Role", Match.objectLike(Map.of("AssumeRolePolicyDocument", Map.of(
        "Version", "2012-10-17",
        "Statement", List.of(Match.objectLike(Map.of(
            "Action", "sts:AssumeRole",
            "Condition", Map.of("StringEquals", Map.of("aws:PrincipalTag/" + DatabaseStack.SEARCH_ACCESS_TAG, "prod")))))))));
  }

  @Test
  void prodHasEnhancedMonitoringAndDeletionProtection() {
    prod.hasResourceProperties("AWS::RDS::DBCluster", Match.objectLike(Map.of("DeletionProtection", true)));
    prod.allResourcesProperties("AWS::RDS::DBInstance", Match.objectLike(Map.of("MonitoringInterval", 60)));
    dev.hasResourceProperties("AWS::RDS::DBInstance", Match.objectLike(Map.of("MonitoringInterval", Match.absent())));
  }

  @Test
  void searchResourcePolicyAdmitsOnlyTaggedRolesOfTheAccount() {
    prod.hasResourceProperties("AWS::OpenSearchService::Domain", Map.of("AccessPolicies", Map.of(
        "Version", "2012-10-17",
        "Statement", List.of(Match.objectLike(Map.of(
            "Effect", "Allow",
            "Condition", Map.of("StringEquals", Map.of("aws:PrincipalTag/gitops:search-access", "prod"))))))));
  }

  @Test
  void grantSearchAccessTagsTheRoleAndGivesItHttpActionsOnTheDomain() {
    consumer.hasResourceProperties("AWS::IAM::Role", Map.of("Tags", Match.arrayWith(List.of(
        Map.of("Key", "gitops:search-access", "Value", "prod")))));
    Capture statements = new Capture();
    consumer.hasResourceProperties("AWS::IAM::Policy", Map.of("PolicyDocument", Map.of("Statement", statements)));
    String rendered = String.valueOf(statements.asArray());
    assertThat(rendered).contains("es:ESHttpGet").contains("es:ESHttpPut").doesNotContain("es:*");
    // The grant lives in the consumer's stack: the database template names no role of it.
    assertThat(String.valueOf(prod.toJSON())).doesNotContain("TaskRole");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  /**
   * Blocker 6 of issue 21: GraphQL's database user exists, logs in with IAM authentication only, and is
   * created idempotently through the Data API with the master secret, which no service receives.
   */
  @Test
  @SuppressWarnings("unchecked")
  void eachDatabaseServiceGetsAnIamAuthenticatedUserCreatedThroughTheDataApi() throws Exception {
    prod.hasResourceProperties("AWS::RDS::DBCluster", Match.objectLike(Map.of(
        "EnableIAMDatabaseAuthentication", true, "EnableHttpEndpoint", true)));
    Map<String, Map<String, Object>> users = new java.util.LinkedHashMap<>();
    TestEnvironments.resources(prod).forEach((id, r) -> {
      if ("Custom::IamDatabaseUser".equals(r.get("Type"))) {
        users.put(id, r);
      }
    });
    assertThat(users).hasSize(1);
    Map<String, Object> user = users.values().iterator().next();
    String clusterId = prod.findResources("AWS::RDS::DBCluster").keySet().iterator().next();
    assertThat((List<String>) user.get("DependsOn")).contains(clusterId);
    // Create is a Fn::Join (the cluster's and the secret's ARNs are tokens): read its literal parts.
    String create = String.valueOf(properties(user).get("Create"));
    assertThat(properties(user).get("Update")).isEqualTo(properties(user).get("Create"));
    assertThat(properties(user)).doesNotContainKey("Delete");
    assertThat(create).contains("\"service\":\"@aws-sdk/client-rds-data\"")
        .contains("\"action\":\"ExecuteStatement\"")
        .contains("\"database\":\"" + DatabaseStack.DATABASE_NAME + "\"");
    String sql = io.gitops.stacks.database.IamDatabaseUsers.sql("graphql", DatabaseStack.DATABASE_NAME);
    String quoted = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(sql);
    assertThat(create).contains("\"sql\":" + quoted);
    assertThat(sql).startsWith("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'graphql') THEN ")
        .contains("CREATE ROLE \"graphql\" WITH LOGIN; END IF;")
        .contains("GRANT rds_iam TO \"graphql\";")
        .doesNotContain("PASSWORD");
    // Runs with the master secret, and may do nothing else.
    assertThat(create).contains("secretArn").contains("resourceArn");
    Capture statements = new Capture();
    prod.hasResourceProperties("AWS::IAM::Policy", Map.of(
        "PolicyName", Match.stringLikeRegexp("DatabaseUsersgraphqlCustomResourcePolicy.*"),
        "PolicyDocument", Map.of("Statement", statements)));
    List<String> actions = statements.asArray().stream()
        .map(st -> String.valueOf(((Map<String, Object>) st).get("Action"))).toList();
    assertThat(actions).containsExactly("rds-data:ExecuteStatement", "secretsmanager:GetSecretValue", "kms:Decrypt");
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"graph-ql", "Graphql", "g'; DROP", ""})
  void aServiceNameThatIsNoPlainPostgresIdentifierIsRefused(String name) {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.gitops.stacks.database.IamDatabaseUsers.sql(name, DatabaseStack.DATABASE_NAME))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be a PostgreSQL user name");
  }
}
