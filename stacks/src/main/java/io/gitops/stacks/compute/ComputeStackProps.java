package io.gitops.stacks.compute;

import io.gitops.stacks.config.Sorted;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import software.amazon.awscdk.services.ec2.ISecurityGroup;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.elasticloadbalancingv2.IApplicationListener;
import software.amazon.awscdk.services.elasticloadbalancingv2.IApplicationLoadBalancer;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.opensearchservice.IDomain;
import software.amazon.awscdk.services.rds.IDatabaseCluster;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.secretsmanager.ISecret;

/**
 * Typed references the compute stack takes from the stacks before it. Nothing here is an exported
 * string: CDK turns each reference into a cross-stack import, and the dependency order follows.
 *
 * @param vpc                    the VPC; services run in its private (egress) subnets
 * @param alb                    the public load balancer (its DNS name becomes a compute output)
 * @param albSecurityGroup       the ALB's security group, the only source admitted to the BFF
 * @param listener               the ALB listener the BFF's target group is attached to
 * @param repositories           ECR repository per service name; the execution role may pull from these only
 * @param releaseParameterName   (environment, service) → SSM name of the service's release parameter;
 *                               must be a literal, because it becomes a CloudFormation parameter default
 * @param documentsBucket        the application's document bucket (AgentCore reads and writes it)
 * @param applicationSecret      application credentials injected into the BFF
 * @param database               Aurora cluster (GraphQL connects with IAM authentication)
 * @param databaseSecurityGroup  the cluster's security group; compute adds its 5432 ingress rules
 * @param databaseCredentials    the generated database credentials, injected into GraphQL
 * @param searchDomain           the OpenSearch domain (GraphQL uses its HTTP API)
 * @param searchSecurityGroup    the domain's security group; compute adds its 443 ingress rules
 * @param searchAccess           grants a task role the domain's HTTP API (the database stack's
 *                               {@code grantSearchAccess}: identity policy plus the principal tag its
 *                               resource policy requires)
 * @param endpointSecurityGroup  the interface endpoints' security group; tasks reach AWS APIs only there
 * @param s3PrefixListId         the region's S3 prefix list id (a deploy-time value), for egress to S3
 * @param searchRoleArn          the domain's fine-grained access control master role, which the
 *                               services granted search access assume to sign their requests
 */
public record ComputeStackProps(
    IVpc vpc,
    IApplicationLoadBalancer alb,
    ISecurityGroup albSecurityGroup,
    IApplicationListener listener,
    Map<String, IRepository> repositories,
    BiFunction<String, String, String> releaseParameterName,
    IBucket documentsBucket,
    ISecret applicationSecret,
    IDatabaseCluster database,
    ISecurityGroup databaseSecurityGroup,
    ISecret databaseCredentials,
    IDomain searchDomain,
    ISecurityGroup searchSecurityGroup,
    Consumer<IRole> searchAccess,
    String searchRoleArn,
    ISecurityGroup endpointSecurityGroup,
    String s3PrefixListId) {

  public ComputeStackProps {
    Objects.requireNonNull(vpc, "vpc");
    Objects.requireNonNull(alb, "alb");
    Objects.requireNonNull(albSecurityGroup, "albSecurityGroup");
    Objects.requireNonNull(listener, "listener");
    repositories = Sorted.map(Objects.requireNonNull(repositories, "repositories"));
    Objects.requireNonNull(releaseParameterName, "releaseParameterName");
    Objects.requireNonNull(documentsBucket, "documentsBucket");
    Objects.requireNonNull(applicationSecret, "applicationSecret");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(databaseSecurityGroup, "databaseSecurityGroup");
    Objects.requireNonNull(databaseCredentials, "databaseCredentials");
    Objects.requireNonNull(searchDomain, "searchDomain");
    Objects.requireNonNull(searchSecurityGroup, "searchSecurityGroup");
    Objects.requireNonNull(searchAccess, "searchAccess");
    Objects.requireNonNull(searchRoleArn, "searchRoleArn");
    Objects.requireNonNull(endpointSecurityGroup, "endpointSecurityGroup");
    Objects.requireNonNull(s3PrefixListId, "s3PrefixListId");
  }
}
