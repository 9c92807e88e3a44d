package io.gitops.stacks.storage;

import io.gitops.stacks.config.Sorted;
import io.gitops.stacks.nag.Nag;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.customresources.AwsCustomResource;
import software.amazon.awscdk.customresources.AwsCustomResourcePolicy;
import software.amazon.awscdk.customresources.AwsSdkCall;
import software.amazon.awscdk.customresources.PhysicalResourceId;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.logs.ILogGroup;
import software.constructs.Construct;

/**
 * The id of the region's AWS-managed S3 prefix list ({@code com.amazonaws.REGION.s3}), which the S3
 * gateway endpoint routes and which the task security groups name as an egress destination.
 *
 * <p>The id differs per region and no CloudFormation attribute returns it (AWS::EC2::VPCEndpoint has
 * none), and synth never calls AWS. So it is looked up at deploy time: a custom resource calls
 * {@code DescribeManagedPrefixLists} (Amazon VPC User Guide, "AWS-managed prefix lists") through the
 * stack's existing custom-resource function, on create and on every update.
 */
public final class S3PrefixList extends Construct {

  private final AwsCustomResource resource;

  public S3PrefixList(Construct scope, String id, IRole role, ILogGroup logGroup) {
    super(scope, id);
    String name = "com.amazonaws." + Stack.of(this).getRegion() + ".s3";
    AwsSdkCall describe = AwsSdkCall.builder()
        .service("EC2")
        .action("DescribeManagedPrefixLists")
        .parameters(Map.of("Filters", List.of(Sorted.map(Map.of("Name", "prefix-list-name", "Values", List.of(name))))))
        .physicalResourceId(PhysicalResourceId.fromResponse("PrefixLists.0.PrefixListId"))
        .outputPaths(List.of("PrefixLists.0.PrefixListId"))
        .build();
    resource = AwsCustomResource.Builder.create(this, "Resource")
        .resourceType("Custom::S3PrefixList")
        .installLatestAwsSdk(false)
        .role(role)
        .logGroup(logGroup)
        .onCreate(describe)
        .onUpdate(describe)
        // DescribeManagedPrefixLists supports no resource-level permissions: "*" is required.
        .policy(AwsCustomResourcePolicy.fromStatements(List.of(PolicyStatement.Builder.create()
            .actions(List.of("ec2:DescribeManagedPrefixLists"))
            .resources(List.of("*"))
            .build())))
        .build();
    Nag.acknowledge(resource.getNode().findChild("CustomResourcePolicy"), "AwsSolutions-IAM5[Resource::*]",
        "ec2:DescribeManagedPrefixLists supports no resource-level permissions; it is the policy's only action "
            + "and reads public, AWS-managed prefix lists");
  }

  /** The prefix list id, e.g. pl-63a5400a in us-east-1; resolved at deploy time. */
  public String prefixListId() {
    return resource.getResponseField("PrefixLists.0.PrefixListId");
  }
}
