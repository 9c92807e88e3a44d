package io.gitops.stacks.network;

import io.gitops.stacks.PlatformStack;
import io.gitops.stacks.config.EnvironmentConfig;
import io.gitops.stacks.nag.Nag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.ec2.FlowLogDestination;
import software.amazon.awscdk.services.ec2.FlowLogOptions;
import software.amazon.awscdk.services.ec2.FlowLogTrafficType;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpoint;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.InterfaceVpcEndpoint;
import software.amazon.awscdk.services.ec2.InterfaceVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.InterfaceVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.IpAddresses;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationListener;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.ApplicationProtocol;
import software.amazon.awscdk.services.elasticloadbalancingv2.BaseApplicationListenerProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.FixedResponseOptions;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerAction;
import software.amazon.awscdk.services.elasticloadbalancingv2.ListenerCertificate;
import software.amazon.awscdk.services.elasticloadbalancingv2.RedirectOptions;
import software.amazon.awscdk.services.elasticloadbalancingv2.SslPolicy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.wafv2.CfnWebACL;
import software.amazon.awscdk.services.wafv2.CfnWebACLAssociation;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.constructs.Construct;

/**
 * The VPC across two AZs (public, private-with-egress and isolated subnets), its endpoints and
 * flow logs, and the public Application Load Balancer in front of the BFF.
 */
public class NetworkStack extends PlatformStack {

  /** TLS 1.3 and 1.2 only (ELBSecurityPolicy-TLS13-1-2-2021-06). */
  public static final SslPolicy TLS_POLICY = SslPolicy.RECOMMENDED_TLS;

  /** Key prefix of the ALB access logs in {@link #logsBucket()}. */
  public static final String ALB_LOG_PREFIX = "alb";

  private final Vpc vpc;
  private final Bucket logsBucket;
  private final Map<String, InterfaceVpcEndpoint> interfaceEndpoints = new LinkedHashMap<>();
  private final GatewayVpcEndpoint s3Endpoint;
  private final GatewayVpcEndpoint dynamoDbEndpoint;
  private final SecurityGroup endpointSecurityGroup;
  private final SecurityGroup albSecurityGroup;
  private final ApplicationLoadBalancer alb;
  private final ApplicationListener listener;
  private final ApplicationListener httpListener;
  private final CfnOutput albDnsNameOutput;
  private final CfnWebACL webAcl;

  public NetworkStack(Construct scope, String id, EnvironmentConfig config) {
    super(scope, id, config, "VPC, subnets, endpoints and the public load balancer");

    vpc = Vpc.Builder.create(this, "Vpc")
        .ipAddresses(IpAddresses.cidr(config.vpcCidr()))
        .maxAzs(config.availabilityZones().size())
        .natGateways(config.natGateways())
        // Nothing here uses the default security group (every resource gets its own group), and
        // restricting it costs a custom-resource Lambda; pinned so a feature flag cannot flip it.
        .restrictDefaultSecurityGroup(false)
        .subnetConfiguration(List.of(
            // Nothing launched in the public subnets needs a public IP of its own (the ALB and the NAT
            // gateways get theirs from AWS), so none is assigned on launch (CT.EC2.PR.11).
            SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).cidrMask(24)
                .mapPublicIpOnLaunch(false).build(),
            SubnetConfiguration.builder().name("private").subnetType(SubnetType.PRIVATE_WITH_EGRESS).cidrMask(22).build(),
            SubnetConfiguration.builder().name("isolated").subnetType(SubnetType.PRIVATE_ISOLATED).cidrMask(24).build()))
        .build();

    // One bucket for the network's own logs: ALB access logs and VPC flow logs. Both services only
    // deliver to SSE-S3 buckets (not SSE-KMS with a customer key), hence S3-managed encryption.
    logsBucket = Bucket.Builder.create(this, "NetworkLogsBucket")
        .encryption(BucketEncryption.S3_MANAGED)
        .versioned(true)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .enforceSsl(true)
        .minimumTlsVersion(1.2)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
        .lifecycleRules(List.of(LifecycleRule.builder()
            .id("expire-logs")
            .expiration(Duration.days(config.isProduction() ? 365 : 90))
            .noncurrentVersionExpiration(Duration.days(7))
            .abortIncompleteMultipartUploadAfter(Duration.days(1))
            .build()))
        .removalPolicy(config.retainData() ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY)
        .build();
    Nag.acknowledge(logsBucket, "AwsSolutions-S1",
        "This bucket is itself the destination of the ALB access logs and VPC flow logs; "
            + "server access logging on a log bucket would log its own log deliveries");

    vpc.addFlowLog("FlowLogs", FlowLogOptions.builder()
        .destination(FlowLogDestination.toS3(logsBucket, "flow-logs/"))
        .trafficType(FlowLogTrafficType.ALL)
        .build());

    // Gateway endpoints are free: ECR image layers come from S3, the deployment ledger is DynamoDB.
    s3Endpoint = vpc.addGatewayEndpoint("S3Endpoint", GatewayVpcEndpointOptions.builder()
        .service(GatewayVpcEndpointAwsService.S3)
        .build());
    dynamoDbEndpoint = vpc.addGatewayEndpoint("DynamoDbEndpoint", GatewayVpcEndpointOptions.builder()
        .service(GatewayVpcEndpointAwsService.DYNAMODB)
        .build());
    // One group for all interface endpoints: HTTPS from inside the VPC, by its literal CIDR (the
    // endpoints' default rule references the VPC's CIDR attribute, which cdk-nag cannot evaluate).
    endpointSecurityGroup = SecurityGroup.Builder.create(this, "EndpointSecurityGroup")
        .vpc(vpc)
        .description("Interface VPC endpoints: HTTPS from inside the VPC")
        .allowAllOutbound(false)
        .build();
    endpointSecurityGroup.addIngressRule(Peer.ipv4(config.vpcCidr()), Port.tcp(443), "HTTPS from the VPC");
    for (String service : config.interfaceEndpoints()) {
      interfaceEndpoints.put(service, vpc.addInterfaceEndpoint(endpointId(service),
          InterfaceVpcEndpointOptions.builder()
              .service(new InterfaceVpcEndpointAwsService(service))
              .privateDnsEnabled(true)
              .open(false)
              .securityGroups(List.of(endpointSecurityGroup))
              .subnets(SubnetSelection.builder().subnetType(SubnetType.PRIVATE_WITH_EGRESS).build())
              .build()));
    }

    albSecurityGroup = SecurityGroup.Builder.create(this, "AlbSecurityGroup")
        .vpc(vpc)
        .description(config.certificateArn().isPresent()
            ? "Public ALB: the only resource open to the internet, on 80 (redirect) and 443"
            : "Public ALB: the only resource open to the internet, on 80")
        .allowAllOutbound(false)
        .build();
    albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(80), "HTTP from the internet");
    // 443 is open only where a 443 listener exists.
    if (config.certificateArn().isPresent()) {
      albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(443), "HTTPS from the internet");
    }
    Nag.acknowledge(albSecurityGroup, "AwsSolutions-EC23",
        "The public ALB must accept internet traffic; only its listener ports are open, and this is the only such group");

    alb = ApplicationLoadBalancer.Builder.create(this, "Alb")
        .vpc(vpc)
        .internetFacing(true)
        .securityGroup(albSecurityGroup)
        .dropInvalidHeaderFields(true)
        .deletionProtection(config.isProduction())
        .build();
    // Access logs, granted to the ELB log delivery service principal rather than through
    // logAccessLogs, which names the region's ELB account (an account ID in the template).
    logsBucket.addToResourcePolicy(PolicyStatement.Builder.create()
        .sid("AlbAccessLogDelivery")
        .principals(List.of(new ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")))
        .actions(List.of("s3:PutObject"))
        .resources(List.of(logsBucket.arnForObjects(ALB_LOG_PREFIX + "/AWSLogs/" + getAccount() + "/*")))
        .build());
    alb.setAttribute("access_logs.s3.enabled", "true");
    alb.setAttribute("access_logs.s3.bucket", logsBucket.getBucketName());
    alb.setAttribute("access_logs.s3.prefix", ALB_LOG_PREFIX);
    // The ALB test-writes to the bucket when logging is switched on: the policy must exist first.
    alb.getNode().addDependency(logsBucket.getPolicy());

    ListenerAction notFound = ListenerAction.fixedResponse(404, FixedResponseOptions.builder()
        .contentType("text/plain")
        .messageBody("not found")
        .build());
    if (config.certificateArn().isPresent()) {
      listener = alb.addListener("HttpsListener", BaseApplicationListenerProps.builder()
          .protocol(ApplicationProtocol.HTTPS)
          .port(443)
          .open(false)
          .sslPolicy(TLS_POLICY)
          .certificates(List.of(ListenerCertificate.fromArn(config.certificateArn().get())))
          .defaultAction(notFound)
          .build());
      httpListener = alb.addListener("HttpListener", BaseApplicationListenerProps.builder()
          .protocol(ApplicationProtocol.HTTP)
          .port(80)
          .open(false)
          .defaultAction(ListenerAction.redirect(RedirectOptions.builder()
              .protocol("HTTPS")
              .port("443")
              .permanent(true)
              .build()))
          .build());
    } else {
      listener = alb.addListener("HttpListener", BaseApplicationListenerProps.builder()
          .protocol(ApplicationProtocol.HTTP)
          .port(80)
          .open(false)
          .defaultAction(notFound)
          .build());
      httpListener = listener;
      // EnvironmentConfig refuses a production environment without a certificate; the app's main
      // prints one warning per HTTP-only environment (GitOpsApp.httpOnlyWarnings).
    }

    webAcl = config.isProduction() ? webAcl(config) : null;

    albDnsNameOutput = CfnOutput.Builder.create(this, "AlbDnsName")
        .description("Public DNS name of the ALB; the pipeline's smoke test calls its health endpoint")
        .value(alb.getLoadBalancerDnsName())
        .build();
  }

  /**
   * AWS WAF in front of the production ALB: the AWS managed common rule set (OWASP-style request
   * inspection), blocking; metrics and sampled requests on. Non-production ALBs go without (cost).
   */
  private CfnWebACL webAcl(EnvironmentConfig config) {
    CfnWebACL acl = CfnWebACL.Builder.create(this, "WebAcl")
        .scope("REGIONAL")
        .description("Public ALB of " + config.name() + ": AWS managed common rule set")
        .defaultAction(CfnWebACL.DefaultActionProperty.builder()
            .allow(CfnWebACL.AllowActionProperty.builder().build())
            .build())
        .visibilityConfig(visibility("gitops-" + config.name() + "-alb"))
        .rules(List.of(CfnWebACL.RuleProperty.builder()
            .name("AWSManagedRulesCommonRuleSet")
            .priority(0)
            .statement(CfnWebACL.StatementProperty.builder()
                .managedRuleGroupStatement(CfnWebACL.ManagedRuleGroupStatementProperty.builder()
                    .vendorName("AWS")
                    .name("AWSManagedRulesCommonRuleSet")
                    .build())
                .build())
            // A managed rule group takes its rules' own actions (block); "none" keeps them.
            .overrideAction(CfnWebACL.OverrideActionProperty.builder()
                .none(Map.of())
                .build())
            .visibilityConfig(visibility("gitops-" + config.name() + "-common"))
            .build()))
        .build();
    CfnWebACLAssociation.Builder.create(this, "WebAclAssociation")
        .resourceArn(alb.getLoadBalancerArn())
        .webAclArn(acl.getAttrArn())
        .build();
    return acl;
  }

  private static CfnWebACL.VisibilityConfigProperty visibility(String metricName) {
    return CfnWebACL.VisibilityConfigProperty.builder()
        .cloudWatchMetricsEnabled(true)
        .sampledRequestsEnabled(true)
        .metricName(metricName)
        .build();
  }

  /** The production ALB's web ACL; empty outside production. */
  public java.util.Optional<CfnWebACL> webAcl() {
    return java.util.Optional.ofNullable(webAcl);
  }

  /** Construct ID of an interface endpoint, e.g. "ecr.api" → "EcrApiEndpoint". */
  static String endpointId(String service) {
    StringBuilder id = new StringBuilder();
    for (String part : service.split("[.-]")) {
      id.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return id.append("Endpoint").toString();
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

  /**
   * The listener that serves application traffic; compute attaches the BFF's target group here.
   * HTTPS (TLS 1.2+) when the environment has a certificate, otherwise plain HTTP.
   */
  public ApplicationListener listener() {
    return listener;
  }

  /** The port-80 listener: the redirect to HTTPS, or the application listener when HTTP-only. */
  public ApplicationListener httpListener() {
    return httpListener;
  }

  /** Interface endpoints by service name ("ecr.api", ...), as configured for the environment. */
  public Map<String, InterfaceVpcEndpoint> interfaceEndpoints() {
    return java.util.Collections.unmodifiableMap(interfaceEndpoints);
  }

  /** The security group of every interface endpoint (443 from the VPC CIDR). */
  public SecurityGroup endpointSecurityGroup() {
    return endpointSecurityGroup;
  }

  public GatewayVpcEndpoint s3Endpoint() {
    return s3Endpoint;
  }

  public GatewayVpcEndpoint dynamoDbEndpoint() {
    return dynamoDbEndpoint;
  }

  /** The bucket receiving ALB access logs (prefix alb/) and VPC flow logs (prefix flow-logs/). */
  public Bucket logsBucket() {
    return logsBucket;
  }
}
