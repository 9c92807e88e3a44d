package io.gitops.stacks.compute;

import software.amazon.awscdk.services.ec2.CfnSecurityGroupEgress;
import software.amazon.awscdk.services.ec2.ISecurityGroup;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.constructs.Construct;

/**
 * Where a task may connect besides its named peers (database, search, the Cloud Map services it
 * calls, which {@link ComputeStack} opens port by port): the VPC's interface endpoints on 443 (ECR,
 * CloudWatch Logs, SSM, Secrets Manager, STS, Bedrock runtime, and SSM messages where ECS Exec is on)
 * and S3 through the gateway endpoint (ECR image layers, the documents bucket), named by the region's
 * S3 prefix list. Nothing else: no 0.0.0.0/0. A service that needs another destination gets an
 * endpoint or a named rule, reviewed like this one.
 *
 * <p>Separate AWS::EC2::SecurityGroupEgress resources rather than inline rules: the prefix list id
 * is a deploy-time value from the storage stack.
 */
final class TaskEgress {

  private TaskEgress() {}

  static void restrict(Construct scope, SecurityGroup tasks, ISecurityGroup endpoints, String s3PrefixListId) {
    CfnSecurityGroupEgress.Builder.create(scope, "EgressToEndpoints")
        .groupId(tasks.getSecurityGroupId())
        .ipProtocol("tcp").fromPort(443).toPort(443)
        .destinationSecurityGroupId(endpoints.getSecurityGroupId())
        .description("HTTPS to the VPC interface endpoints (AWS APIs)")
        .build();
    CfnSecurityGroupEgress.Builder.create(scope, "EgressToS3")
        .groupId(tasks.getSecurityGroupId())
        .ipProtocol("tcp").fromPort(443).toPort(443)
        .destinationPrefixListId(s3PrefixListId)
        .description("HTTPS to S3 through the gateway endpoint (image layers, documents)")
        .build();
  }
}
