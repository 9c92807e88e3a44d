package io.gitops.sandbox.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.cloudformation.CloudFormation;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Each blocker's check fires on a small hand-made template with the blocker and stays silent on the same
 * template without it (the shapes of today's synthesized templates, cut down to what the check reads).
 * No emulator: the account is the CloudFormation model's, in memory.
 */
class BlockersTest {
  private static final String ACCOUNT = "111111111111";
  private static final String PUBLIC_IMAGE = "public.ecr.aws/nginx/nginx-unprivileged@sha256:" + "0c".repeat(32);
  private static final String PRIVATE_IMAGE = ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com/bff@sha256:" + "0c".repeat(32);
  private static final String HOOK = "arn:aws:lambda:us-east-1:" + ACCOUNT + ":function:gitops-dev-guard:live";

  // --- blocker 1: first images ------------------------------------------------------------------

  @Test
  void aPublicImageBehindEndpointOnlyEgressCannotBePulled() {
    EmulatedAccount a = stage(t -> { }, PUBLIC_IMAGE);
    assertThat(Blockers.firstImages(a)).startsWith("blocker 1").contains("CannotPullContainerError")
        .contains("public.ecr.aws is on the internet").contains("allow no egress to 0.0.0.0/0 on 443");
  }

  @Test
  void aPrivateEcrImageOfTheRegionIsPulledThroughTheEndpointsAndS3() {
    assertThat(Blockers.firstImages(stage(t -> { }, PRIVATE_IMAGE))).isNull();
  }

  @Test
  void withoutAnEgressPropertyEc2sDefaultAllowAllEgressReachesThePublicRegistryThroughTheNat() {
    EmulatedAccount a = stage(t -> ((ObjectNode) t.at("/Resources/TaskSg/Properties")).remove("SecurityGroupEgress"), PUBLIC_IMAGE);
    assertThat(Blockers.firstImages(a)).isNull();
  }

  @Test
  void withoutTheNatRouteEvenAllowAllEgressCannotReachThePublicRegistry() {
    EmulatedAccount a = stage(t -> {
      ((ObjectNode) t.at("/Resources/TaskSg/Properties")).remove("SecurityGroupEgress");
      ((ObjectNode) t.path("Resources")).remove("PrivateDefaultRoute");
    }, PUBLIC_IMAGE);
    assertThat(Blockers.firstImages(a)).contains("has no route to 0.0.0.0/0");
  }

  @Test
  void withoutThePrefixListRuleTheLayersInS3AreUnreachable() {
    EmulatedAccount a = stage(t -> ((ObjectNode) t.path("Resources")).remove("TaskEgressToS3"), PRIVATE_IMAGE);
    assertThat(Blockers.firstImages(a)).contains("its layers are in S3").contains("prefix list");
  }

  @Test
  void aCreateOfTheServiceWithAnUnpullableImageRollsTheStackBackOnTheBreaker() {
    ObjectNode t = template(PUBLIC_IMAGE);
    withHookTargetFirst(t);
    weighted(t);
    EmulatedAccount a = new EmulatedAccount("dev", ACCOUNT, "us-east-1", EmulatedAccount.inMemory());
    CloudFormation cfn = new CloudFormation((acct, svc, td, visible) -> {
      io.gitops.sandbox.sim.network.NetworkModel net = new io.gitops.sandbox.sim.network.NetworkModel(acct.region(), visible);
      String why = net.imagePull(io.gitops.sandbox.sim.network.NetworkModel.Eni.of(
          svc.properties().path("NetworkConfiguration").path("AwsvpcConfiguration")), td.properties().at("/ContainerDefinitions/0/Image").asText());
      return why == null ? null : "CannotPullContainerError: " + why;
    });
    CloudFormation.Outcome o = cfn.create(a, new CloudAssembly.Stack("dev-Compute", "Compute", t), List.of());
    assertThat(o.status()).isEqualTo(CloudFormation.Status.ROLLBACK_COMPLETE);
    assertThat(Blockers.classify(o.reason())).contains(Blockers.Blocker.FIRST_IMAGES);
    assertThat(a.hasStack("dev-Compute")).as("rolled back: nothing stays").isFalse();
  }

  // --- blocker 2: promotion roles ---------------------------------------------------------------

  @Test
  void aPromotionRoleThatNoStackCreatedYetBlocksThePromoteStep() {
    EmulatedAccount test = new EmulatedAccount("test", "222222222222", "us-east-1", EmulatedAccount.inMemory());
    String role = "arn:aws:iam::222222222222:role/gitops-delivery-test-release-promotion";
    assertThat(Blockers.promotionRoles(Map.of("222222222222", test), "Promote-test", List.of(role)))
        .startsWith("blocker 2").contains("does not exist yet in test's account");
    ObjectNode roles = json("""
        {"Resources": {"PromotionRole": {"Type": "AWS::IAM::Role", "Properties": {
          "RoleName": "gitops-delivery-test-release-promotion", "AssumeRolePolicyDocument": {}}}}}""");
    lenient().create(test, new CloudAssembly.Stack("test-Promotion", "Promotion", roles), List.of());
    assertThat(Blockers.promotionRoles(Map.of("222222222222", test), "Promote-test", List.of(role))).isNull();
  }

  @Test
  void aPromotionRoleWhoseTrustPolicyOmitsTheStepsRoleCannotBeAssumed() {
    EmulatedAccount test = new EmulatedAccount("test", "222222222222", "us-east-1", EmulatedAccount.inMemory());
    String role = "arn:aws:iam::222222222222:role/gitops-delivery-test-release-promotion";
    String step = "arn:aws:iam::100000000000:role/gitops-delivery-promote-to-test";
    lenient().create(test, new CloudAssembly.Stack("test-Storage", "Storage", json("""
        {"Resources": {"PromotionRole": {"Type": "AWS::IAM::Role", "Properties": {
          "RoleName": "gitops-delivery-test-release-promotion", "AssumeRolePolicyDocument": {"Statement": [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": ["PRINCIPAL"]}}]}}}}}""".replace("PRINCIPAL",
        "arn:aws:iam::100000000000:role/gitops-delivery-promote-to-prod"))), List.of());
    assertThat(Blockers.promotionRoles(Map.of("222222222222", test), "Promote-test", List.of(role), step))
        .startsWith("blocker 2").contains("does not admit");
    EmulatedAccount trusted = new EmulatedAccount("test", "222222222222", "us-east-1", EmulatedAccount.inMemory());
    lenient().create(trusted, new CloudAssembly.Stack("test-Storage", "Storage", json("""
        {"Resources": {"PromotionRole": {"Type": "AWS::IAM::Role", "Properties": {
          "RoleName": "gitops-delivery-test-release-promotion", "AssumeRolePolicyDocument": {"Statement": [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": ["PRINCIPAL"]}}]}}}}}""".replace("PRINCIPAL", step))),
        List.of());
    assertThat(Blockers.promotionRoles(Map.of("222222222222", trusted), "Promote-test", List.of(role), step)).isNull();
  }

  // --- blocker 3: the hook's target -------------------------------------------------------------

  @Test
  void aHookTargetCreatedAfterTheServicesStackFires() {
    EmulatedAccount a = stage(t -> { }, PRIVATE_IMAGE);
    assertThat(Blockers.hookTargets(a)).startsWith("blocker 3").contains("gitops-dev-guard:live");
    ObjectNode guard = guardStack();
    lenient().create(a, new CloudAssembly.Stack("dev-Deployment", "Deployment", guard), List.of());
    assertThat(Blockers.hookTargets(a)).as("created later still fires").contains("creates only after");
  }

  @Test
  void aHookTargetCreatedBeforeTheServiceIsFine() {
    ObjectNode t = template(PRIVATE_IMAGE);
    withHookTargetFirst(t);
    EmulatedAccount a = create(t);
    assertThat(Blockers.hookTargets(a)).isNull();
  }

  @Test
  void cloudFormationRefusesTheServiceWhoseHookTargetDoesNotExist() {
    EmulatedAccount a = new EmulatedAccount("dev", ACCOUNT, "us-east-1", EmulatedAccount.inMemory());
    CloudFormation.Outcome o = new CloudFormation((x, s, td, v) -> null)
        .create(a, new CloudAssembly.Stack("dev-Compute", "Compute", template(PRIVATE_IMAGE)), List.of());
    assertThat(o.failedResource()).isEqualTo("Service");
    assertThat(Blockers.classify(o.reason())).contains(Blockers.Blocker.HOOK_TARGET);
  }

  // --- blocker 4: the alternate target group ----------------------------------------------------

  @Test
  void rulesForwardingOnlyToThePrimaryGroupFire() {
    assertThat(Blockers.alternateTargetGroups(stage(t -> { }, PRIVATE_IMAGE))).startsWith("blocker 4")
        .contains("ProductionListenerRule");
  }

  @Test
  void weightedRulesOverBothGroupsAndATwinAlarmAreFine() {
    EmulatedAccount a = stage(t -> {
      weighted(t);
      ObjectNode twin = t.at("/Resources/UnhealthyPrimary").deepCopy();
      ((ObjectNode) twin.at("/Properties/Dimensions/0")).set("Value", json("{\"Fn::GetAtt\": [\"AlternateTg\", \"TargetGroupFullName\"]}"));
      ((ObjectNode) t.path("Resources")).set("UnhealthyAlternate", twin);
    }, PRIVATE_IMAGE);
    assertThat(Blockers.alternateTargetGroups(a)).isNull();
  }

  @Test
  void cloudFormationRefusesAServiceWhoseAlternateGroupIsInNoRule() {
    ObjectNode t = template(PRIVATE_IMAGE);
    withHookTargetFirst(t);
    CloudFormation.Outcome o = new CloudFormation((x, s, td, v) -> null).create(
        new EmulatedAccount("dev", ACCOUNT, "us-east-1", EmulatedAccount.inMemory()),
        new CloudAssembly.Stack("dev-Compute", "Compute", t), List.of());
    assertThat(Blockers.classify(o.reason())).as(o.reason()).contains(Blockers.Blocker.ALTERNATE_TARGET_GROUP);
  }

  // --- blocker 5: the test route ----------------------------------------------------------------

  @Test
  void aQueryStringTestRuleOnAnOpenListenerFires() {
    assertThat(Blockers.testRoute(stage(t -> { }, PRIVATE_IMAGE))).startsWith("blocker 5").contains("gitops-canary");
  }

  @Test
  void aTestRuleThatAsksForTheProbesSecretHeaderIsFine() {
    EmulatedAccount a = stage(t -> ((ArrayNode) t.at("/Resources/TestRule/Properties/Conditions")).add(json("""
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "x-gitops-canary", "Values": ["s3cr3t"]}}""")),
        PRIVATE_IMAGE);
    assertThat(Blockers.testRoute(a)).isNull();
  }

  // --- blocker 6: the master login --------------------------------------------------------------

  @Test
  void aDbPasswordFromTheClustersMasterSecretFires() {
    assertThat(Blockers.masterLogin(stage(t -> { }, PRIVATE_IMAGE))).startsWith("blocker 6").contains("DB_PASSWORD");
  }

  @Test
  void credentialsFromAServiceOwnSecretAreFine() {
    EmulatedAccount a = stage(t -> ((ObjectNode) t.at("/Resources/TaskDef/Properties/ContainerDefinitions/0/Secrets/0"))
        .set("ValueFrom", json("{\"Fn::Join\": [\"\", [{\"Ref\": \"GraphqlSecret\"}, \":password::\"]]}")), PRIVATE_IMAGE);
    assertThat(Blockers.masterLogin(a)).isNull();
  }

  // --- blocker 7: ECS Exec (SC-011) -------------------------------------------------------------

  @Test
  void aReadOnlyRootWithoutTheAgentsWritablePathsFires() {
    EmulatedAccount a = stage(t -> ((ObjectNode) t.at("/Resources/TaskDef/Properties/ContainerDefinitions/0"))
        .set("LinuxParameters", json("{\"InitProcessEnabled\": true}")), PRIVATE_IMAGE);
    assertThat(Blockers.exec(a, "")).startsWith("blocker 7").contains("/var/lib/amazon/ssm");
  }

  @Test
  void withoutAnInitProcessExecFires() {
    assertThat(Blockers.exec(stage(t -> { }, PRIVATE_IMAGE), "")).contains("init process");
  }

  @Test
  void writablePathsAnInitProcessTheChannelPermissionAndTheEndpointLetExecRun() {
    EmulatedAccount a = stage(BlockersTest::execReady, PRIVATE_IMAGE);
    assertThat(Blockers.exec(a, "")).isNull();
  }

  @Test
  void execNeedsTheSsmmessagesEndpointWhenTheTaskHasNoInternetEgress() {
    EmulatedAccount a = stage(t -> {
      execReady(t);
      ((ObjectNode) t.path("Resources")).remove("SsmmessagesEndpoint");
    }, PRIVATE_IMAGE);
    assertThat(Blockers.exec(a, "")).contains("ssmmessages is unreachable");
  }

  // ---------------------------------------------------------------------------------------------

  private static void execReady(ObjectNode t) {
    ObjectNode c = (ObjectNode) t.at("/Resources/TaskDef/Properties/ContainerDefinitions/0");
    c.set("LinuxParameters", json("{\"InitProcessEnabled\": true}"));
    ArrayNode mounts = (ArrayNode) c.path("MountPoints");
    for (String p : Blockers.EXEC_WRITABLE) {
      mounts.add(json("{\"ContainerPath\": \"" + p + "\", \"ReadOnly\": false, \"SourceVolume\": \"v\"}"));
    }
    ((ObjectNode) t.path("Resources")).set("TaskRolePolicy", json("""
        {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "exec", "Roles": [{"Ref": "TaskRole"}],
          "PolicyDocument": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]}]}}}"""));
  }

  /** The listener rules as AWS requires them for a traffic-shifting service: both groups, primary 100, alternate 0. */
  private static void weighted(ObjectNode t) {
    for (String rule : List.of("ProdRule", "TestRule")) {
      ObjectNode p = (ObjectNode) t.at("/Resources/" + rule + "/Properties");
      p.set("Actions", json("""
          [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": {"Ref": "PrimaryTg"}, "Weight": 100},
            {"TargetGroupArn": {"Ref": "AlternateTg"}, "Weight": 0}]}}]"""));
    }
  }

  private static void withHookTargetFirst(ObjectNode t) {
    ObjectNode r = (ObjectNode) t.path("Resources");
    guardStack().path("Resources").fields().forEachRemaining(e -> r.set(e.getKey(), e.getValue()));
    ((ObjectNode) r.path("Service")).set("DependsOn", json("[\"GuardLive\"]"));
  }

  private static ObjectNode guardStack() {
    return json("""
        {"Resources": {
          "GuardRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
          "Guard": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "gitops-dev-guard",
            "Role": {"Fn::GetAtt": ["GuardRole", "Arn"]}}},
          "GuardLive": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Guard"}, "Name": "live",
            "FunctionVersion": "1"}}}}""");
  }

  private static CloudFormation lenient() {
    return new CloudFormation((a, s, td, v) -> null, true);
  }

  private static EmulatedAccount create(ObjectNode t) {
    EmulatedAccount a = new EmulatedAccount("dev", ACCOUNT, "us-east-1", EmulatedAccount.inMemory());
    lenient().create(a, new CloudAssembly.Stack("dev-Compute", "Compute", t), List.of());
    return a;
  }

  private static EmulatedAccount stage(Consumer<ObjectNode> change, String image) {
    ObjectNode t = template(image);
    change.accept(t);
    return create(t);
  }

  /** A VPC with private subnets behind a NAT, ECR, S3 and ssmmessages endpoints, an ALB, and a canary service. */
  private static ObjectNode template(String image) {
    return json("""
        {"Resources": {
          "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.10.0.0/16"}},
          "Igw": {"Type": "AWS::EC2::InternetGateway", "Properties": {}},
          "IgwAttachment": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}},
          "Public": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.10.0.0/24"}},
          "PublicTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
          "PublicAssoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {"SubnetId": {"Ref": "Public"}, "RouteTableId": {"Ref": "PublicTable"}}},
          "PublicDefaultRoute": {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "PublicTable"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "Igw"}}},
          "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
          "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": {"Ref": "Public"}, "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}}},
          "Private": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.10.4.0/22"}},
          "PrivateTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
          "PrivateAssoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {"SubnetId": {"Ref": "Private"}, "RouteTableId": {"Ref": "PrivateTable"}}},
          "PrivateDefaultRoute": {"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": "PrivateTable"}, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": {"Ref": "Nat"}}},
          "EndpointSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "endpoints", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupEgress": [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}],
            "SecurityGroupIngress": [{"CidrIp": "10.10.0.0/16", "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443}]}},
          "EcrApiEndpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.ecr.api", "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": true, "SubnetIds": [{"Ref": "Private"}], "SecurityGroupIds": [{"Fn::GetAtt": ["EndpointSg", "GroupId"]}]}},
          "EcrDkrEndpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.ecr.dkr", "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": true, "SubnetIds": [{"Ref": "Private"}], "SecurityGroupIds": [{"Fn::GetAtt": ["EndpointSg", "GroupId"]}]}},
          "SsmmessagesEndpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.ssmmessages", "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": true, "SubnetIds": [{"Ref": "Private"}], "SecurityGroupIds": [{"Fn::GetAtt": ["EndpointSg", "GroupId"]}]}},
          "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.s3", "VpcEndpointType": "Gateway",
            "RouteTableIds": [{"Ref": "PrivateTable"}]}},
          "S3PrefixList": {"Type": "Custom::S3PrefixList", "Properties": {}},
          "AlbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "alb", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80}]}},
          "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{"Ref": "Public"}], "SecurityGroups": [{"Fn::GetAtt": ["AlbSg", "GroupId"]}]}},
          "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"LoadBalancerArn": {"Ref": "Alb"}, "Port": 80, "Protocol": "HTTP",
            "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}},
          "PrimaryTg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 3000, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}, "TargetType": "ip"}},
          "AlternateTg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {"Port": 3000, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}, "TargetType": "ip"}},
          "ProdRule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": {"Ref": "Listener"}, "Priority": 100,
            "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "PrimaryTg"}}],
            "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]}},
          "TestRule": {"Type": "AWS::ElasticLoadBalancingV2::ListenerRule", "Properties": {"ListenerArn": {"Ref": "Listener"}, "Priority": 99,
            "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "PrimaryTg"}}],
            "Conditions": [{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "gitops-canary", "Value": "test"}]}}]}},
          "UnhealthyPrimary": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "UnHealthyHostCount", "Namespace": "AWS/ApplicationELB",
            "Dimensions": [{"Name": "TargetGroup", "Value": {"Fn::GetAtt": ["PrimaryTg", "TargetGroupFullName"]}}]}},
          "TaskSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "tasks", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupEgress": [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}]}},
          "TaskEgressToEndpoints": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {"GroupId": {"Fn::GetAtt": ["TaskSg", "GroupId"]}, "IpProtocol": "tcp",
            "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": {"Fn::GetAtt": ["EndpointSg", "GroupId"]}}},
          "TaskEgressToS3": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {"GroupId": {"Fn::GetAtt": ["TaskSg", "GroupId"]}, "IpProtocol": "tcp",
            "FromPort": 443, "ToPort": 443, "DestinationPrefixListId": {"Fn::GetAtt": ["S3PrefixList", "PrefixLists.0.PrefixListId"]}}},
          "DbSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
          "GraphqlSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
          "Db": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-postgresql"}},
          "DbSecretAttachment": {"Type": "AWS::SecretsManager::SecretTargetAttachment", "Properties": {"SecretId": {"Ref": "DbSecret"},
            "TargetId": {"Ref": "Db"}, "TargetType": "AWS::RDS::DBCluster"}},
          "TaskRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
          "HookRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
          "InfraRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
          "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {}},
          "TaskDef": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
            "ContainerDefinitions": [{"Name": "bff", "Image": "IMAGE", "ReadonlyRootFilesystem": true,
              "MountPoints": [{"ContainerPath": "/tmp", "ReadOnly": false, "SourceVolume": "tmp"}],
              "Secrets": [{"Name": "DB_PASSWORD", "ValueFrom": {"Fn::Join": ["", [{"Ref": "DbSecretAttachment"}, ":password::"]]}}]}]}},
          "Service": {"Type": "AWS::ECS::Service", "DependsOn": ["ProdRule", "TestRule"], "Properties": {
            "Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "TaskDef"}, "DesiredCount": 2, "EnableExecuteCommand": true,
            "DeploymentConfiguration": {"Strategy": "CANARY", "LifecycleHooks": [{"HookTargetArn": "HOOK", "RoleArn": {"Fn::GetAtt": ["HookRole", "Arn"]},
              "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]},
            "LoadBalancers": [{"ContainerName": "bff", "ContainerPort": 3000, "TargetGroupArn": {"Ref": "PrimaryTg"},
              "AdvancedConfiguration": {"AlternateTargetGroupArn": {"Ref": "AlternateTg"}, "ProductionListenerRule": {"Ref": "ProdRule"},
                "TestListenerRule": {"Ref": "TestRule"}, "RoleArn": {"Fn::GetAtt": ["InfraRole", "Arn"]}}}],
            "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "Subnets": [{"Ref": "Private"}],
              "SecurityGroups": [{"Fn::GetAtt": ["TaskSg", "GroupId"]}]}}}}
        }}""".replace("IMAGE", image).replace("HOOK", HOOK));
  }

  @SuppressWarnings("unchecked")
  private static <T extends JsonNode> T json(String s) {
    try {
      return (T) CloudAssembly.JSON.readTree(s);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
