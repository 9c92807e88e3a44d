package io.gitops.stacks.network;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import java.util.List;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.services.ec2.IpAddresses;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationListener;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.BaseApplicationListenerProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerAction;
import software.amazon.awscdk.services.elasticloadbalancingv2.FixedResponseOptions;
import software.constructs.Construct;

/** The VPC across two AZs and the public Application Load Balancer in front of the BFF. */
public class NetworkStack extends PlatformStack {

  private final Vpc vpc;
  private final SecurityGroup albSecurityGroup;
  private final ApplicationLoadBalancer alb;
  private final ApplicationListener listener;
  private final CfnOutput albDnsNameOutput;

  public NetworkStack(Construct scope, String id, EnvironmentConfig config) {
    super(scope, id, config, "VPC, subnets, endpoints and the public load balancer");

    vpc = Vpc.Builder.create(this, "Vpc")
        .ipAddresses(IpAddresses.cidr(config.vpcCidr()))
        .maxAzs(config.availabilityZones().size())
        .natGateways(config.natGateways())
        .subnetConfiguration(List.of(
            SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).cidrMask(24).build(),
            SubnetConfiguration.builder().name("private").subnetType(SubnetType.PRIVATE_WITH_EGRESS).cidrMask(22).build(),
            SubnetConfiguration.builder().name("isolated").subnetType(SubnetType.PRIVATE_ISOLATED).cidrMask(24).build()))
        .build();

    albSecurityGroup = SecurityGroup.Builder.create(this, "AlbSecurityGroup")
        .vpc(vpc)
        .description("Public ALB: the only resource open to the internet, on 80 and 443")
        .allowAllOutbound(false)
        .build();
    albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(80), "HTTP from the internet");
    albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(443), "HTTPS from the internet");
    Nag.acknowledge(albSecurityGroup, "AwsSolutions-EC23",
        "The public ALB must accept internet traffic; only ports 80 and 443 are open, and this is the only such group");

    alb = ApplicationLoadBalancer.Builder.create(this, "Alb")
        .vpc(vpc)
        .internetFacing(true)
        .securityGroup(albSecurityGroup)
        .dropInvalidHeaderFields(true)
        .build();

    listener = alb.addListener("HttpListener", BaseApplicationListenerProps.builder()
        .protocol(ApplicationProtocol.HTTP)
        .port(80)
        .open(false)
        .defaultAction(ListenerAction.fixedResponse(404, FixedResponseOptions.builder()
            .contentType("text/plain")
            .messageBody("not found")
            .build()))
        .build());

    albDnsNameOutput = CfnOutput.Builder.create(this, "AlbDnsName")
        .description("Public DNS name of the ALB; the pipeline's smoke test calls its health endpoint")
        .value(alb.getLoadBalancerDnsName())
        .build();
  }

  /** The ALB's DNS name, as an output the pipeline's smoke test reads. */
  public CfnOutput albDnsNameOutput() {
    return albDnsNameOutput;
  }

  public Vpc vpc() {
    return vpc;
  }

  public SecurityGroup albSecurityGroup() {
    return albSecurityGroup;
  }

  public ApplicationLoadBalancer alb() {
    return alb;
  }

  /** The listener that serves application traffic; compute attaches the BFF's target group here. */
  public ApplicationListener listener() {
    return listener;
  }
}
