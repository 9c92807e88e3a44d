package io.gitops.stacks.network;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.IAspect;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.ec2.CfnSecurityGroup;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.constructs.IConstruct;

/**
 * Keeps an explicit egress list on every security group that may not send everywhere.
 *
 * <p>EC2 gives a security group created without egress rules a rule allowing all outbound traffic
 * (CloudFormation template reference, AWS::EC2::SecurityGroup). CDK marks a group with
 * {@code allowAllOutbound(false)} by an inline rule that matches nothing, but drops it as soon as any
 * rule is added to the group, even a rule CDK writes as a separate AWS::EC2::SecurityGroupEgress
 * (every rule to a group of another stack, or to a group in the same stack). The group then has no
 * inline egress at all, and whether the default rule goes depends on those separate rules being
 * created, after the group. This aspect puts the match-nothing rule back on such a group, so the
 * group never has the default rule, not even between its creation and its rules'.
 */
public final class ExplicitEgress implements IAspect {

  /** CDK's own rule for "no traffic": no host has 255.255.255.255, and ICMP type 252 code 86 does not exist. */
  public static final Map<String, Object> MATCH_NOTHING = Map.of(
      "CidrIp", "255.255.255.255/32", "Description", "Disallow all traffic",
      "IpProtocol", "icmp", "FromPort", 252, "ToPort", 86);

  @Override
  public void visit(IConstruct node) {
    if (!(node instanceof SecurityGroup group) || group.getAllowAllOutbound()) {
      return;
    }
    CfnSecurityGroup cfn = (CfnSecurityGroup) group.getNode().getDefaultChild();
    Object inline = Stack.of(group).resolve(cfn.getSecurityGroupEgress());
    if (inline == null || (inline instanceof List<?> rules && rules.isEmpty())) {
      cfn.addPropertyOverride("SecurityGroupEgress", List.of(MATCH_NOTHING));
    }
  }
}
