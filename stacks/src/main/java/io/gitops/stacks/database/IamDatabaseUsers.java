package io.gitops.stacks.database;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import software.amazon.awscdk.customresources.AwsCustomResource;
import software.amazon.awscdk.customresources.AwsCustomResourcePolicy;
import software.amazon.awscdk.customresources.AwsSdkCall;
import software.amazon.awscdk.customresources.PhysicalResourceId;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.kms.IKey;
import software.amazon.awscdk.services.logs.ILogGroup;
import software.amazon.awscdk.services.rds.DatabaseCluster;
import software.constructs.Construct;

/**
 * The database users the services log in as, with IAM database authentication instead of a password:
 * one per service that needs the database, named after the service, member of {@code rds_iam}
 * (Aurora user guide, "Creating a database account using IAM authentication": for PostgreSQL,
 * {@code CREATE USER ...; GRANT rds_iam TO ...}). A service's task role has {@code rds-db:connect} on
 * exactly its own user (compute stack, {@code grantConnect}); no service ever receives the master
 * secret, so the master password's rotation cannot break a running task.
 *
 * <p>Created through the RDS Data API (the cluster's HTTP endpoint) by a custom resource, on create and
 * on every update: the statement is idempotent (the role is created only when missing; the grants can
 * be repeated), so a re-run never fails and a user dropped by hand comes back with the next deploy.
 * The Data API call authenticates with the master secret, read by the custom-resource function's role
 * (Data API user guide, "Authorizing access": {@code rds-data:ExecuteStatement} on the cluster plus
 * {@code secretsmanager:GetSecretValue} on the secret). The function runs outside the VPC; the Data
 * API is a regional HTTPS endpoint, and the database's security group stays closed to it.
 */
public final class IamDatabaseUsers extends Construct {

  private static final Pattern USER = Pattern.compile("[a-z][a-z0-9_]{0,62}");

  public IamDatabaseUsers(Construct scope, String id, DatabaseCluster cluster, String database, List<String> users,
      IKey secretKey, IRole role, ILogGroup logGroup) {
    super(scope, id);
    String secretArn = cluster.getSecret().getSecretArn();
    for (String user : users) {
      AwsSdkCall create = AwsSdkCall.builder()
          .service("@aws-sdk/client-rds-data")
          .action("ExecuteStatement")
          // Sorted: a Map.of's order changes between runs, and so would the template.
          .parameters(io.gitops.stacks.config.Sorted.map(Map.of(
              "resourceArn", cluster.getClusterArn(),
              "secretArn", secretArn,
              "database", database,
              "sql", sql(user, database))))
          .physicalResourceId(PhysicalResourceId.of("iam-database-user-" + user))
          // The response (records, metadata) is not needed; keep it out of CloudFormation's 4 KB limit.
          .outputPaths(List.of("numberOfRecordsUpdated"))
          .build();
      AwsCustomResource resource = AwsCustomResource.Builder.create(this, user)
          .resourceType("Custom::IamDatabaseUser")
          .installLatestAwsSdk(false)
          .role(role)
          .logGroup(logGroup)
          .onCreate(create)
          .onUpdate(create)
          // No onDelete: a user is dropped with its database, never while tasks may still log in.
          .policy(AwsCustomResourcePolicy.fromStatements(List.of(
              PolicyStatement.Builder.create()
                  .actions(List.of("rds-data:ExecuteStatement"))
                  .resources(List.of(cluster.getClusterArn()))
                  .build(),
              PolicyStatement.Builder.create()
                  .actions(List.of("secretsmanager:GetSecretValue"))
                  .resources(List.of(secretArn))
                  .build(),
              PolicyStatement.Builder.create()
                  .actions(List.of("kms:Decrypt"))
                  .resources(List.of(secretKey.getKeyArn()))
                  .conditions(Map.of("StringEquals", Map.of("kms:ViaService",
                      "secretsmanager." + software.amazon.awscdk.Stack.of(this).getRegion() + ".amazonaws.com")))
                  .build())))
          .build();
      // The writer must be up and the Data API on: the cluster's instances are created after the cluster.
      resource.getNode().addDependency(cluster);
    }
  }

  /**
   * One statement (the Data API runs one per call): create the login role if it is missing, then grant
   * IAM authentication, connection to the application database and use of its public schema.
   */
  public static String sql(String user, String database) {
    if (!USER.matcher(user).matches()) {
      throw new IllegalArgumentException("'" + user + "' cannot be a PostgreSQL user name here "
          + "(lowercase letters, digits and _, starting with a letter)");
    }
    if (!USER.matcher(database).matches()) {
      throw new IllegalArgumentException("'" + database + "' cannot be a PostgreSQL database name here");
    }
    return "DO $$ BEGIN "
        + "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" + user + "') THEN "
        + "CREATE ROLE \"" + user + "\" WITH LOGIN; END IF; "
        + "GRANT rds_iam TO \"" + user + "\"; "
        + "GRANT CONNECT ON DATABASE \"" + database + "\" TO \"" + user + "\"; "
        + "GRANT USAGE, CREATE ON SCHEMA public TO \"" + user + "\"; "
        + "END $$";
  }
}
