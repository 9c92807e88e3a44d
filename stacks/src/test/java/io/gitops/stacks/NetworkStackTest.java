package io.gitops.stacks;

import static io.gitops.stacks.TestEnvironments.properties;
import static io.gitops.stacks.TestEnvironments.resources;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class NetworkStackTest {

  private static PlatformStacks dev;
  private static PlatformStacks prod;
  private static Template devNetwork;
  private static Template prodNetwork;

  @BeforeAll
  static void synth() {
    dev = TestEnvironments.dev();
    prod = TestEnvironments.prod();
    devNetwork = Template.fromStack(dev.network());
    prodNetwork = Template.fromStack(prod.network());
  }

  @Test
  void devSharesOneNatGatewayAndProdRunsOnePerAz() {
    devNetwork.resourceCountIs("AWS::EC2::NatGateway", 1);
    prodNetwork.resourceCountIs("AWS::EC2::NatGateway", 2);
  }

  @Test
  void interfaceEndpointsAreEveryAwsApiTheTasksCall() {
    // Task egress names these endpoints instead of 0.0.0.0/0, so every API a task calls needs one.
    List<String> all = List.of("com.amazonaws.us-east-1.ecr.api", "com.amazonaws.us-east-1.ecr.dkr",
        "com.amazonaws.us-east-1.logs", "com.amazonaws.us-east-1.ssm", "com.amazonaws.us-east-1.secretsmanager",
        "com.amazonaws.us-east-1.sts", "com.amazonaws.us-east-1.bedrock-runtime");
    assertThat(interfaceEndpoints(prodNetwork)).containsExactlyInAnyOrderElementsOf(all);
    // Dev adds what ECS Exec sessions call from inside the task: SSM messages, and KMS for the session key.
    assertThat(interfaceEndpoints(devNetwork)).containsAll(all)
        .contains("com.amazonaws.us-east-1.ssmmessages", "com.amazonaws.us-east-1.kms")
        .hasSize(all.size() + 2);
  }

  @Test
  void prodRedirectsHttpToHttpsBehindTheManagedCommonRuleSet() {
    prodNetwork.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Map.of(
        "Protocol", "HTTP", "Port", 80,
        "DefaultActions", List.of(Match.objectLike(Map.of("Type", "redirect",
            "RedirectConfig", Match.objectLike(Map.of("Protocol", "HTTPS", "Port", "443", "StatusCode", "HTTP_301"))))),
        "LoadBalancerArn", Match.anyValue()));
    prodNetwork.hasResourceProperties("AWS::WAFv2::WebACL", Match.objectLike(Map.of(
        "Scope", "REGIONAL",
        "DefaultAction", Map.of("Allow", Map.of()),
        "Rules", List.of(Match.objectLike(Map.of(
            "Statement", Map.of("ManagedRuleGroupStatement", Map.of("VendorName", "AWS", "Name", "AWSManagedRulesCommonRuleSet")),
            "OverrideAction", Map.of("None", Map.of())))))));
    prodNetwork.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
    devNetwork.resourceCountIs("AWS::WAFv2::WebACL", 0);
    // No subnet hands out public IPs on launch.
    prodNetwork.allResourcesProperties("AWS::EC2::Subnet", Match.objectLike(Map.of("MapPublicIpOnLaunch", false)));
  }

  @Test
  void s3AndDynamoDbHaveGatewayEndpoints() {
    for (Template t : List.of(devNetwork, prodNetwork)) {
      List<String> gateways = endpoints(t, "Gateway");
      assertThat(gateways).hasSize(2);
      assertThat(String.join(" ", gateways)).contains(".s3").contains(".dynamodb");
    }
  }

  @Test
  void interfaceEndpointsAdmitHttpsFromTheVpcOnly() {
    prodNetwork.hasResourceProperties("AWS::EC2::SecurityGroup", Map.of(
        "GroupDescription", "Interface VPC endpoints: HTTPS from inside the VPC",
        "SecurityGroupIngress", List.of(Map.of("CidrIp", "10.30.0.0/16", "FromPort", 443, "ToPort", 443,
            "IpProtocol", "tcp", "Description", "HTTPS from the VPC"))));
  }

  @Test
  void vpcFlowLogsRecordAllTrafficToTheLogsBucket() {
    prodNetwork.hasResourceProperties("AWS::EC2::FlowLog", Map.of(
        "ResourceType", "VPC", "TrafficType", "ALL", "LogDestinationType", "s3"));
  }

  @Test
  void withACertificateTheListenerIsHttpsWithATls12PlusPolicy() {
    prodNetwork.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Map.of(
        "Protocol", "HTTPS", "Port", 443,
        "SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "Certificates", List.of(Map.of("CertificateArn", TestEnvironments.CERTIFICATE))));
    assertThat(prod.network().listener().getNode().getId()).isEqualTo("HttpsListener");
  }

  @Test
  void withACertificateHttpRedirectsPermanentlyToHttps() {
    prodNetwork.resourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 2);
    prodNetwork.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Map.of(
        "Protocol", "HTTP", "Port", 80,
        "DefaultActions", List.of(Map.of("Type", "redirect", "RedirectConfig",
            Map.of("Protocol", "HTTPS", "Port", "443", "StatusCode", "HTTP_301")))));
  }

  @Test
  void withoutACertificateANonProdAlbServesHttpOnlyAndProdDoesNotSynthesize() {
    devNetwork.resourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 1);
    devNetwork.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Map.of(
        "Protocol", "HTTP", "Port", 80));
    // The warning is printed once by the app (GitOpsApp.httpOnlyWarnings, CertificateSettingsTest).
    assertThatThrownBy(() -> io.gitops.stacks.config.Environments.prod(
            new io.gitops.stacks.config.DeployTarget("333333333333", "us-east-1"), java.util.Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a production environment needs an ACM certificate for prod.gitops.example.com");
  }

  @Test
  void albLogsAccessAndIsDeletionProtectedInProdOnly() {
    assertThat(albAttributes(prodNetwork)).containsEntry("deletion_protection.enabled", "true")
        .containsEntry("access_logs.s3.enabled", "true").containsEntry("access_logs.s3.prefix", "alb")
        .containsEntry("routing.http.drop_invalid_header_fields.enabled", "true");
    assertThat(albAttributes(devNetwork)).containsEntry("deletion_protection.enabled", "false")
        .containsEntry("access_logs.s3.enabled", "true");
  }

  @Test
  void logsBucketIsEncryptedPrivateAndTlsOnly() {
    prodNetwork.hasResourceProperties("AWS::S3::Bucket", Map.of(
        "BucketEncryption", Map.of("ServerSideEncryptionConfiguration", List.of(Map.of(
            "ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "AES256")))),
        "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
            "IgnorePublicAcls", true, "RestrictPublicBuckets", true)));
    prodNetwork.hasResourceProperties("AWS::S3::BucketPolicy", Map.of("PolicyDocument", Map.of(
        "Statement", Match.arrayWith(List.of(Match.objectLike(Map.of("Effect", "Deny",
            "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
    prodNetwork.hasResourceProperties("AWS::S3::BucketPolicy", Map.of("PolicyDocument", Map.of(
        "Statement", Match.arrayWith(List.of(Match.objectLike(Map.of("Sid", "AlbAccessLogDelivery",
            "Principal", Map.of("Service", "logdelivery.elasticloadbalancing.amazonaws.com"),
            "Action", "s3:PutObject")))))));
  }

  /**
   * Across every stack of two environments: 0.0.0.0/0 (or ::/0) reaches only the ALB group, on 80,
   * and on 443 only where a 443 listener exists (prod has a certificate, dev does not).
   */
  @Test
  void onlyTheAlbSecurityGroupIsOpenToTheInternetAndOnlyOnItsListenerPorts() {
    List<String> open = new ArrayList<>();
    for (PlatformStacks env : List.of(dev, prod)) {
      for (Stack stack : TestEnvironments.stacks(env)) {
        for (var entry : resources(Template.fromStack(stack)).entrySet()) {
          Map<String, Object> props = properties(entry.getValue());
          String type = (String) entry.getValue().get("Type");
          List<Map<String, Object>> rules = new ArrayList<>();
          if ("AWS::EC2::SecurityGroup".equals(type) && props.get("SecurityGroupIngress") instanceof List<?> list) {
            list.forEach(r -> rules.add(castMap(r)));
          } else if ("AWS::EC2::SecurityGroupIngress".equals(type)) {
            rules.add(props);
          }
          for (Map<String, Object> rule : rules) {
            if ("0.0.0.0/0".equals(rule.get("CidrIp")) || "::/0".equals(rule.get("CidrIpv6"))) {
              open.add(stack.getStackName() + "/" + entry.getKey() + ":" + rule.get("FromPort") + "-" + rule.get("ToPort"));
            }
          }
        }
      }
    }
    assertThat(open).allMatch(rule -> rule.contains("/AlbSecurityGroup"))
        .allMatch(rule -> rule.endsWith(":80-80") || rule.endsWith(":443-443"))
        .hasSize(3);
    assertThat(open).filteredOn(rule -> rule.endsWith(":443-443")).hasSize(1)
        .allMatch(rule -> rule.startsWith(prod.network().getStackName()));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static Set<String> interfaceEndpoints(Template t) {
    return new TreeSet<>(endpoints(t, "Interface"));
  }

  private static List<String> endpoints(Template t, String type) {
    List<String> names = new ArrayList<>();
    for (var resource : t.findResources("AWS::EC2::VPCEndpoint").values()) {
      Map<String, Object> props = properties(castMap(resource));
      if (type.equals(props.getOrDefault("VpcEndpointType", "Gateway"))) {
        Object name = props.get("ServiceName");
        names.add(name instanceof String s ? s : String.valueOf(name));
      }
    }
    return names;
  }

  private static Map<String, String> albAttributes(Template t) {
    Map<String, Object> alb = properties(castMap(t.findResources("AWS::ElasticLoadBalancingV2::LoadBalancer")
        .values().iterator().next()));
    Map<String, String> attributes = new java.util.HashMap<>();
    for (Object a : (List<?>) alb.get("LoadBalancerAttributes")) {
      Map<String, Object> attribute = castMap(a);
      attributes.put((String) attribute.get("Key"), String.valueOf(attribute.get("Value")));
    }
    return attributes;
  }
}
