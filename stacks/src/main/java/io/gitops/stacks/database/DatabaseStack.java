package io.gitops.stacks.database;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.DatabaseSizing;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import io.gitops.stacks.network.NetworkStack;
import io.gitops.stacks.security.SecurityStack;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.logs.CfnResourcePolicy;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.opensearchservice.LoggingOptions;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.secretsmanager.HostedRotation;
import software.amazon.awscdk.services.secretsmanager.RotationScheduleOptions;
import software.amazon.awscdk.services.secretsmanager.SingleUserHostedRotationOptions;
import software.amazon.awscdk.Tags;
import software.amazon.awscdk.services.ec2.ISecurityGroup;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.iam.AccountPrincipal;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.opensearchservice.AdvancedSecurityOptions;
import software.amazon.awscdk.services.opensearchservice.CapacityConfig;
import software.amazon.awscdk.services.opensearchservice.CfnDomain;
import software.amazon.awscdk.services.opensearchservice.Domain;
import software.amazon.awscdk.services.opensearchservice.EbsOptions;
import software.amazon.awscdk.services.opensearchservice.EncryptionAtRestOptions;
import software.amazon.awscdk.services.opensearchservice.EngineVersion;
import software.amazon.awscdk.services.opensearchservice.TLSSecurityPolicy;
import software.amazon.awscdk.services.opensearchservice.ZoneAwarenessConfig;
import software.amazon.awscdk.services.ec2.EbsDeviceVolumeType;
import software.amazon.awscdk.services.rds.AuroraPostgresClusterEngineProps;
import software.amazon.awscdk.services.rds.AuroraPostgresEngineVersion;
import software.amazon.awscdk.services.rds.BackupProps;
import software.amazon.awscdk.services.rds.ClusterInstance;
import software.amazon.awscdk.services.rds.Credentials;
import software.amazon.awscdk.services.rds.CredentialsBaseOptions;
import software.amazon.awscdk.services.rds.DatabaseCluster;
import software.amazon.awscdk.services.rds.DatabaseClusterEngine;
import software.amazon.awscdk.services.rds.IClusterInstance;
import software.amazon.awscdk.services.rds.ServerlessV2ClusterInstanceProps;
import software.amazon.awscdk.services.secretsmanager.ISecret;
import software.constructs.Construct;

/**
 * The environment's data stores: Aurora PostgreSQL Serverless v2 and an OpenSearch domain, both in
 * the isolated subnets, encrypted with the security stack's key, admitting nobody until the compute
 * stack grants its task security groups and roles.
 */
public class DatabaseStack extends PlatformStack {

  /** Principal tag a role must carry for the search domain's resource policy to admit it. */
  public static final String SEARCH_ACCESS_TAG = "gitops:search-access";
  public static final String DATABASE_NAME = "app";
  public static final String MASTER_USERNAME = "gitops_admin";
  public static final Duration ENHANCED_MONITORING_INTERVAL = Duration.seconds(60);

  private final DatabaseCluster cluster;
  private final SecurityGroup databaseSecurityGroup;
  private final Domain searchDomain;
  private final SecurityGroup searchSecurityGroup;
  private final Role searchAccessRole;

  public DatabaseStack(Construct scope, String id, EnvironmentConfig config, NetworkStack network,
      SecurityStack security) {
    super(scope, id, config, "Aurora PostgreSQL Serverless v2 and OpenSearch");
    DatabaseSizing sizing = config.database();
    SubnetSelection isolated = SubnetSelection.builder().subnetType(SubnetType.PRIVATE_ISOLATED).build();

    databaseSecurityGroup = SecurityGroup.Builder.create(this, "DatabaseSecurityGroup")
        .vpc(network.vpc())
        .description("Aurora PostgreSQL: admits only the security groups the compute stack adds, on 5432")
        .allowAllOutbound(false)
        .build();

    List<IClusterInstance> readers = new ArrayList<>();
    for (int i = 1; i <= sizing.readers(); i++) {
      readers.add(ClusterInstance.serverlessV2("reader" + i, ServerlessV2ClusterInstanceProps.builder()
          .scaleWithWriter(true)
          .autoMinorVersionUpgrade(true)
          .build()));
    }

    cluster = DatabaseCluster.Builder.create(this, "Aurora")
        .engine(DatabaseClusterEngine.auroraPostgres(AuroraPostgresClusterEngineProps.builder()
            .version(AuroraPostgresEngineVersion.VER_17_6)
            .build()))
        .writer(ClusterInstance.serverlessV2("writer", ServerlessV2ClusterInstanceProps.builder()
            .autoMinorVersionUpgrade(true)
            .build()))
        .readers(readers)
        .serverlessV2MinCapacity(sizing.minAcu())
        .serverlessV2MaxCapacity(sizing.maxAcu())
        .vpc(network.vpc())
        .vpcSubnets(isolated)
        .securityGroups(List.of(databaseSecurityGroup))
        .port(5432)
        .defaultDatabaseName(DATABASE_NAME)
        .credentials(Credentials.fromGeneratedSecret(MASTER_USERNAME, CredentialsBaseOptions.builder()
            .encryptionKey(security.key())
            .build()))
        .storageEncrypted(true)
        .storageEncryptionKey(security.key())
        .iamAuthentication(true)
        // The Data API (HTTP endpoint) creates the services' IAM database users (IamDatabaseUsers).
        .enableDataApi(true)
        .backup(BackupProps.builder().retention(Duration.days(sizing.backupRetentionDays())).build())
        .deletionProtection(config.isProduction())
        .removalPolicy(config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT)
        .copyTagsToSnapshot(true)
        .cloudwatchLogsExports(List.of("postgresql"))
        // Enhanced Monitoring (OS metrics every 60 s) in prod; CDK creates the monitoring role.
        .monitoringInterval(config.isProduction() ? ENHANCED_MONITORING_INTERVAL : null)
        .build();
    if (config.isProduction()) {
      Nag.acknowledge(cluster, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
          "The Enhanced Monitoring role uses the AWS managed policy AmazonRDSEnhancedMonitoringRole, the "
              + "one RDS documents for it: it only writes the RDSOSMetrics log group");
    }
    if (!config.isProduction()) {
      Nag.acknowledge(cluster, "AwsSolutions-RDS10",
        "Deletion protection is on in prod only (pinned by a test); " + config.name()
              + " is rebuilt from code and must be removable by its stack, which still takes a final snapshot");
    }

    // Rotates the master password every 30 days with a Secrets Manager managed (hosted) rotation
    // function. It runs in the private subnets (it calls the Secrets Manager API) and is the one
    // client this stack itself admits to the database port. Hosted rather than CDK's
    // addRotationSingleUser, whose Serverless Application Repository app names AWS-owned accounts.
    // Its own group rather than the hosted rotation's default one, which allowed all outbound traffic:
    // the database port, and HTTPS to the VPC's interface endpoints (Secrets Manager), nothing else.
    SecurityGroup rotationSecurityGroup = SecurityGroup.Builder.create(this, "RotationSecurityGroup")
        .vpc(network.vpc())
        .description("Master password rotation: Aurora on 5432 and the VPC interface endpoints on 443")
        .allowAllOutbound(false)
        .build();
    rotationSecurityGroup.addEgressRule(databaseSecurityGroup, Port.tcp(5432), "Aurora PostgreSQL");
    rotationSecurityGroup.addEgressRule(network.endpointSecurityGroup(), Port.tcp(443),
        "Secrets Manager through its interface endpoint");
    HostedRotation rotation = HostedRotation.postgreSqlSingleUser(SingleUserHostedRotationOptions.builder()
        .vpc(network.vpc())
        .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
        .securityGroups(List.of(rotationSecurityGroup))
        .build());
    cluster.getSecret().addRotationSchedule("Rotation", RotationScheduleOptions.builder()
        .hostedRotation(rotation)
        .automaticallyAfter(Duration.days(30))
        .build());
    databaseSecurityGroup.addIngressRule(rotation.getConnections().getSecurityGroups().get(0), Port.tcp(5432),
        "Secrets Manager rotation of the master password");

    iamDatabaseUsers(config, security);

    searchSecurityGroup = SecurityGroup.Builder.create(this, "SearchSecurityGroup")
        .vpc(network.vpc())
        .description("OpenSearch: admits only the security groups the compute stack adds, on 443")
        .allowAllOutbound(false)
        .build();

    boolean multiAz = sizing.searchInstances() > 1;
    RetentionDays logRetention = config.isProduction() ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH;
    Map<String, LogGroup> searchLogs = new LinkedHashMap<>();
    for (String kind : List.of("App", "SlowSearch", "SlowIndex", "Audit")) {
      searchLogs.put(kind, LogGroup.Builder.create(this, "Search" + kind + "Logs")
          .retention(logRetention)
          .encryptionKey(security.key())
          .removalPolicy(config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY)
          .build());
    }
    // The resource policy that lets OpenSearch write to exactly these log groups, written here as
    // a native resource instead of the custom resource (a Lambda) the Domain construct would add.
    CfnResourcePolicy searchLogsPolicy = CfnResourcePolicy.Builder.create(this, "SearchLogsPolicy")
        .policyName(software.amazon.awscdk.Names.uniqueId(this) + "-search-logs")
        .policyDocument(toJsonString(Sorted.map(Map.of(
            "Version", "2012-10-17",
            "Statement", List.of(Sorted.map(Map.of(
                "Effect", "Allow",
                "Principal", Map.of("Service", "es.amazonaws.com"),
                "Action", List.of("logs:PutLogEvents", "logs:CreateLogStream"),
                "Resource", searchLogs.values().stream().map(LogGroup::getLogGroupArn).toList(),
                "Condition", Map.of("StringEquals", Map.of("aws:SourceAccount", getAccount())))))))))
        .build();

    searchAccessRole = searchAccessRole(config);
    searchDomain = Domain.Builder.create(this, "Search")
        .version(EngineVersion.OPENSEARCH_2_19)
        .vpc(network.vpc())
        .vpcSubnets(List.of(multiAz ? isolated : SubnetSelection.builder()
            .subnetType(SubnetType.PRIVATE_ISOLATED).onePerAz(true)
            .availabilityZones(List.of(config.availabilityZones().get(0))).build()))
        .securityGroups(List.of(searchSecurityGroup))
        .capacity(CapacityConfig.builder()
            .dataNodes(sizing.searchInstances())
            .dataNodeInstanceType(sizing.searchInstanceType())
            .multiAzWithStandbyEnabled(false)
            .masterNodes(sizing.searchMasterNodes() > 0 ? sizing.searchMasterNodes() : null)
            .masterNodeInstanceType(sizing.searchMasterNodes() > 0 ? sizing.searchMasterInstanceType() : null)
            .build())
        .ebs(EbsOptions.builder()
            .volumeSize(sizing.searchVolumeGiB())
            .volumeType(EbsDeviceVolumeType.GP3)
            .build())
        .zoneAwareness(ZoneAwarenessConfig.builder()
            .enabled(multiAz)
            .availabilityZoneCount(multiAz ? config.availabilityZones().size() : null)
            .build())
        .encryptionAtRest(EncryptionAtRestOptions.builder().enabled(true).kmsKey(security.key()).build())
        .nodeToNodeEncryption(true)
        .enforceHttps(true)
        .tlsSecurityPolicy(TLSSecurityPolicy.TLS_1_2)
        .logging(LoggingOptions.builder()
            .appLogEnabled(true).appLogGroup(searchLogs.get("App"))
            .slowSearchLogEnabled(true).slowSearchLogGroup(searchLogs.get("SlowSearch"))
            .slowIndexLogEnabled(true).slowIndexLogGroup(searchLogs.get("SlowIndex"))
            .auditLogEnabled(true).auditLogGroup(searchLogs.get("Audit"))
            .build())
        // Fine-grained access control with an IAM master user, never an internal password: the
        // master is searchAccessRole, which the task roles granted search access assume.
        .fineGrainedAccessControl(AdvancedSecurityOptions.builder()
            .masterUserArn(searchAccessRole.getRoleArn())
            .build())
        .suppressLogsResourcePolicy(true)
        .enableAutoSoftwareUpdate(true)
        .offPeakWindowEnabled(true)
        .removalPolicy(config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY)
        .build();
    searchDomain.getNode().addDependency(searchLogsPolicy);
    Nag.acknowledge(searchDomain, "AwsSolutions-OS3",
        "The domain has no public endpoint: it lives in the isolated subnets behind a security group "
            + "that admits only the compute tasks, and its resource policy accepts only IAM-signed requests "
            + "from this account's roles tagged for search access; an IP allowlist adds nothing inside the VPC");
    if (sizing.searchMasterNodes() == 0) {
      Nag.acknowledge(searchDomain, "AwsSolutions-OS4",
        config.name() + " runs a small non-production domain whose data nodes elect the master; "
              + "dedicated masters are configured where the config asks for them (prod: 3)");
    }

    // The resource policy admits this account's principals that carry the search-access tag for
    // this environment, and only through IAM-signed requests; the identity policy that
    // grantSearchAccess adds to each task role is the second half. The policy names no role ARN, so
    // it never references the compute stack (which depends on this one): no cross-stack cycle.
    // It cannot name the domain's own ARN either (that would reference itself), hence domain/*:
    // a resource policy only ever applies to the domain it is attached to.
    CfnDomain cfnDomain = (CfnDomain) searchDomain.getNode().getDefaultChild();
    cfnDomain.setAccessPolicies(Map.of(
        "Version", "2012-10-17",
        "Statement", List.of(Map.of(
            "Effect", "Allow",
            "Principal", Map.of("AWS", "arn:" + getPartition() + ":iam::" + getAccount() + ":root"),
            "Action", List.of("es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut",
                "es:ESHttpPatch", "es:ESHttpDelete"),
            "Resource", "arn:" + getPartition() + ":es:" + getRegion() + ":" + getAccount() + ":domain/*/*",
            "Condition", Map.of("StringEquals",
                Map.of("aws:PrincipalTag/" + SEARCH_ACCESS_TAG, config.name()))))));
  }

  /**
   * The domain's fine-grained access control master user (AWS OpenSearch Service Developer Guide,
   * "Fine-grained access control", IAM ARN as master user). A role, not a password: its trust policy
   * admits only this account's principals that carry the search-access tag of this environment (the
   * task roles {@link #grantSearchAccess} tags), so no stack cycle arises and no role ARN of the
   * compute stack is named here.
   */
  private Role searchAccessRole(EnvironmentConfig config) {
    Role role = Role.Builder.create(this, "SearchAccessRole")
        .description("OpenSearch fine-grained access control master user (" + config.name()
            + "); assumed by the task roles granted search access")
        .assumedBy(new AccountPrincipal(getAccount()).withConditions(Map.of("StringEquals",
            Map.of("aws:PrincipalTag/" + SEARCH_ACCESS_TAG, config.name()))))
        .maxSessionDuration(Duration.hours(1))
        .build();
    Tags.of(role).add(SEARCH_ACCESS_TAG, config.name());
    return role;
  }

  /**
   * Lets {@code grantee} (a task role of the compute stack) call the search domain's HTTP API: an
   * identity policy on the grantee's side (so the grantee's stack depends on this one, never the
   * reverse), plus the principal tag the domain's resource policy requires. The compute stack still
   * has to add 443 ingress from its task security group to {@link #searchSecurityGroup()}.
   */
  public void grantSearchAccess(IGrantable grantee) {
    searchDomain.grantReadWrite(grantee);
    // Under fine-grained access control only the master user is mapped to a security role; the
    // services sign their requests as searchAccessRole (settings: searchRoleArn).
    searchAccessRole.grantAssumeRole(grantee.getGrantPrincipal());
    if (grantee.getGrantPrincipal() instanceof IRole role) {
      Tags.of(role).add(SEARCH_ACCESS_TAG, config().name());
    } else {
      throw new IllegalArgumentException("grantSearchAccess needs an IAM role, got " + grantee);
    }
  }

  /**
   * One IAM-authenticated database user per service that needs the database, named after it. The
   * custom-resource function gets its own role and log group: it can run statements on this cluster
   * with the master secret, and nothing else.
   */
  private void iamDatabaseUsers(EnvironmentConfig config, SecurityStack security) {
    List<String> users = config.services().stream()
        .filter(s -> s.needs(io.gitops.stacks.config.Access.DATABASE)).map(s -> s.name()).toList();
    if (users.isEmpty()) {
      return;
    }
    LogGroup logs = LogGroup.Builder.create(this, "DatabaseUsersProviderLogs")
        .retention(RetentionDays.ONE_YEAR)
        .encryptionKey(security.key())
        .removalPolicy(config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY)
        .build();
    software.amazon.awscdk.services.iam.Role role = software.amazon.awscdk.services.iam.Role.Builder
        .create(this, "DatabaseUsersProviderRole")
        .assumedBy(new software.amazon.awscdk.services.iam.ServicePrincipal("lambda.amazonaws.com"))
        .description("Creates the services' IAM database users through the Data API (custom resource)")
        .build();
    logs.grantWrite(role);
    new IamDatabaseUsers(this, "DatabaseUsers", cluster, DATABASE_NAME, users, security.key(), role, logs);
  }

  /** Aurora PostgreSQL Serverless v2 cluster, in the isolated subnets. */
  public DatabaseCluster cluster() {
    return cluster;
  }

  /**
   * The cluster's security group. It admits nothing by default; the compute stack adds ingress from
   * each task security group on 5432 (e.g. {@code databaseSecurityGroup().addIngressRule(taskSg, Port.tcp(5432))},
   * or {@code cluster().getConnections().allowDefaultPortFrom(taskSg)}).
   */
  public ISecurityGroup databaseSecurityGroup() {
    return databaseSecurityGroup;
  }

  /** Generated master credentials (JSON with username, password, host, port, dbname), KMS-encrypted. */
  public ISecret credentials() {
    return cluster.getSecret();
  }

  /** The FGAC master user role that the services assume to call the domain. */
  public Role searchAccessRole() {
    return searchAccessRole;
  }

  public Domain searchDomain() {
    return searchDomain;
  }

  /** The search domain's security group; admits nothing until compute adds 443 from its task groups. */
  public ISecurityGroup searchSecurityGroup() {
    return searchSecurityGroup;
  }
}
