package io.gitops.sandbox.sim.network;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.sandbox.aws.cloudformation.CloudFormation;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The network a task's ENI sits in, read from the resources the account's stacks created (resolved properties,
 * so every id is the one CloudFormation gave). What it models, from AWS's documentation:
 * <ul>
 *   <li>Fargate pulls through the task's ENI (platform 1.4.0): from a private ECR registry of the region it
 *       calls {@code ecr.api} and {@code ecr.dkr} on 443 and fetches the layers from S3; every other registry
 *       (ECR Public, Docker Hub, ECR of another region) is an internet host on 443.
 *   <li>An interface endpoint with private DNS in the task's VPC answers the service's default hostname; the
 *       task's security group must allow 443 out to it (its security group or a CIDR holding its subnets) and
 *       the endpoint's security group 443 in from the task (its group or a CIDR holding the task's subnet).
 *   <li>S3 through a gateway endpoint on the task subnet's route table: the security group must allow 443 to
 *       S3's prefix list (or to 0.0.0.0/0).
 *   <li>The internet: the subnet's route table sends 0.0.0.0/0 to a NAT gateway whose own subnet routes to an
 *       internet gateway attached to the VPC (or straight to the internet gateway with a public IP), and the
 *       security group allows 443 to 0.0.0.0/0.
 *   <li>A security group created without a {@code SecurityGroupEgress} property keeps EC2's default rule (all
 *       traffic to 0.0.0.0/0), also when separate {@code AWS::EC2::SecurityGroupEgress} resources add rules;
 *       with the property, only the rules listed there and the separate ones apply (CDK's "Disallow all
 *       traffic" ICMP rule matches nothing).
 * </ul>
 * Not modelled (docs/emulator-gaps.md): network ACLs (the templates create none, so the default allows all),
 * DNS resolution other than an endpoint's private DNS, endpoint policies, and the AZ an endpoint's ENI is in.
 */
public final class NetworkModel {
  private static final Pattern PRIVATE_ECR = Pattern.compile("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com/.*");

  private final View account;

  public NetworkModel(EmulatedAccount account) {
    this(account.region(), account.resources());
  }

  /** Over a list of created resources (an account's, plus those of the stack being created). */
  public NetworkModel(String region, List<Resource> resources) {
    this.account = new View(region, resources);
  }

  /** The resources the model reads, by type and by physical id. */
  private record View(String region, List<Resource> all) {
    List<Resource> resources(String type) {
      return all.stream().filter(r -> r.type().equals(type)).toList();
    }

    Optional<Resource> byPhysical(String value) {
      return all.stream().filter(r -> r.ref().equals(value) || r.attributes().containsValue(value)).findFirst();
    }
  }

  /** The task's place in the network: its subnets, security groups and whether it gets a public IP. */
  public record Eni(List<String> subnets, List<String> securityGroups, boolean publicIp) {
    public static Eni of(JsonNode awsvpcConfiguration) {
      List<String> subnets = new ArrayList<>();
      awsvpcConfiguration.path("Subnets").forEach(s -> subnets.add(s.asText()));
      List<String> groups = new ArrayList<>();
      awsvpcConfiguration.path("SecurityGroups").forEach(s -> groups.add(s.asText()));
      return new Eni(subnets, groups, "ENABLED".equals(awsvpcConfiguration.path("AssignPublicIp").asText()));
    }
  }

  /** Null when Fargate can pull {@code image} from this ENI, else the reason, naming the blocking hop. */
  public String imagePull(Eni eni, String image) {
    Matcher m = PRIVATE_ECR.matcher(image);
    if (m.matches() && m.group(2).equals(account.region())) {
      for (String service : List.of("ecr.api", "ecr.dkr")) {
        String why = https(eni, service);
        if (why != null) return "pulling " + image + ": " + why;
      }
      String why = s3(eni);
      return why == null ? null : "pulling " + image + " (its layers are in S3): " + why;
    }
    String host = image.contains("/") ? image.substring(0, image.indexOf('/')) : "registry-1.docker.io";
    String why = internet(eni, 443);
    return why == null ? null : "pulling " + image + ": " + host + " is on the internet (no VPC endpoint serves it), and "
        + why;
  }

  /** Null when the regional AWS API {@code service} (ecr.api, ssmmessages, ...) answers on 443 from this ENI. */
  public String https(Eni eni, String service) {
    String name = "com.amazonaws." + account.region() + "." + service;
    for (String subnet : eni.subnets()) {
      Optional<String> vpc = vpcOfSubnet(subnet);
      Optional<Resource> endpoint = account.resources("AWS::EC2::VPCEndpoint").stream()
          .filter(e -> e.properties().path("ServiceName").asText().equals(name))
          .filter(e -> vpc.isPresent() && e.properties().path("VpcId").asText().equals(vpc.get()))
          .filter(e -> !"Gateway".equals(e.properties().path("VpcEndpointType").asText()))
          .filter(e -> e.properties().path("PrivateDnsEnabled").asBoolean(false))
          .findFirst();
      if (endpoint.isEmpty()) {
        String why = internet(eni, 443);
        if (why != null) return service + " has no interface endpoint with private DNS in the VPC, so its name is a public"
            + " address, and " + why;
        continue;
      }
      Resource e = endpoint.get();
      List<String> endpointGroups = texts(e.properties().path("SecurityGroupIds"));
      List<String> endpointCidrs = texts(e.properties().path("SubnetIds")).stream().map(this::cidrOfSubnet).toList();
      if (!egressAllows(eni.securityGroups(), 443, endpointGroups, endpointCidrs, null)) {
        return "the task's security groups " + names(eni.securityGroups()) + " allow no egress on 443 to the " + service
            + " endpoint " + e.logicalId() + " (its security groups " + names(endpointGroups) + ")";
      }
      String taskCidr = cidrOfSubnet(subnet);
      if (!ingressAllows(endpointGroups, 443, eni.securityGroups(), taskCidr)) {
        return "the " + service + " endpoint's security groups " + names(endpointGroups) + " admit no HTTPS from the task ("
            + names(eni.securityGroups()) + ", " + taskCidr + ")";
      }
    }
    return null;
  }

  /** Null when S3 is reachable on 443: a gateway endpoint plus the prefix list, an interface endpoint, or the internet. */
  public String s3(Eni eni) {
    String name = "com.amazonaws." + account.region() + ".s3";
    for (String subnet : eni.subnets()) {
      String table = routeTable(subnet).map(Resource::ref).orElse("");
      boolean gateway = account.resources("AWS::EC2::VPCEndpoint").stream()
          .filter(e -> e.properties().path("ServiceName").asText().equals(name))
          .anyMatch(e -> texts(e.properties().path("RouteTableIds")).contains(table));
      if (gateway) {
        if (!egressAllows(eni.securityGroups(), 443, List.of(), List.of(), CloudFormation.S3_PREFIX_LIST)) {
          return "the subnet's route table has S3's gateway endpoint, but the task's security groups "
              + names(eni.securityGroups()) + " allow no egress on 443 to S3's prefix list";
        }
        continue;
      }
      String why = internet(eni, 443);
      if (why != null) return "S3 has no gateway endpoint on the subnet's route table, and " + why;
    }
    return null;
  }

  /** Null when the ENI reaches the internet on {@code port}; else what stops it. */
  public String internet(Eni eni, int port) {
    if (!egressAllows(eni.securityGroups(), port, List.of(), List.of("0.0.0.0/0"), null)) {
      return "the task's security groups " + names(eni.securityGroups()) + " allow no egress to 0.0.0.0/0 on " + port;
    }
    for (String subnet : eni.subnets()) {
      Optional<Resource> table = routeTable(subnet);
      Optional<Resource> route = table.flatMap(t -> defaultRoute(t.ref()));
      if (route.isEmpty()) return "subnet " + name(subnet) + " has no route to 0.0.0.0/0 (no NAT gateway, no internet gateway)";
      JsonNode r = route.get().properties();
      if (r.hasNonNull("NatGatewayId")) {
        Optional<Resource> nat = account.byPhysical(r.get("NatGatewayId").asText());
        Optional<Resource> natRoute = nat.flatMap(n -> routeTable(n.properties().path("SubnetId").asText()))
            .flatMap(t -> defaultRoute(t.ref()));
        if (natRoute.isEmpty() || !natRoute.get().properties().hasNonNull("GatewayId")
            || !igwAttached(natRoute.get().properties().get("GatewayId").asText(), vpcOfSubnet(subnet).orElse(""))) {
          return "the NAT gateway of subnet " + name(subnet) + " has no route to an attached internet gateway";
        }
      } else if (r.hasNonNull("GatewayId") && r.get("GatewayId").asText().startsWith("igw-")) {
        if (!eni.publicIp()) return "subnet " + name(subnet) + " routes to an internet gateway, but the task has no public IP";
      } else {
        return "subnet " + name(subnet) + "'s default route leads to neither a NAT gateway nor an internet gateway";
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------

  private boolean igwAttached(String igw, String vpc) {
    return account.resources("AWS::EC2::VPCGatewayAttachment").stream()
        .anyMatch(a -> a.properties().path("InternetGatewayId").asText().equals(igw)
            && a.properties().path("VpcId").asText().equals(vpc));
  }

  private Optional<Resource> defaultRoute(String table) {
    return account.resources("AWS::EC2::Route").stream()
        .filter(r -> r.properties().path("RouteTableId").asText().equals(table))
        .filter(r -> "0.0.0.0/0".equals(r.properties().path("DestinationCidrBlock").asText()))
        .findFirst();
  }

  private Optional<Resource> routeTable(String subnet) {
    return account.resources("AWS::EC2::SubnetRouteTableAssociation").stream()
        .filter(a -> a.properties().path("SubnetId").asText().equals(subnet))
        .findFirst()
        .flatMap(a -> account.byPhysical(a.properties().path("RouteTableId").asText()));
  }

  private Optional<String> vpcOfSubnet(String subnet) {
    return account.byPhysical(subnet).map(s -> s.properties().path("VpcId").asText());
  }

  private String cidrOfSubnet(String subnet) {
    return account.byPhysical(subnet).map(s -> s.properties().path("CidrBlock").asText()).orElse("0.0.0.0/32");
  }

  /** Whether any of {@code groups} lets TCP {@code port} out to one of the groups, CIDRs or the prefix list. */
  boolean egressAllows(List<String> groups, int port, List<String> toGroups, List<String> toCidrs, String toPrefixList) {
    for (String g : groups) {
      for (JsonNode rule : egressRules(g)) {
        if (!covers(rule, port)) continue;
        if (rule.hasNonNull("DestinationSecurityGroupId") && toGroups.contains(rule.get("DestinationSecurityGroupId").asText())) return true;
        if (rule.hasNonNull("DestinationPrefixListId") && rule.get("DestinationPrefixListId").asText().equals(toPrefixList)) return true;
        if (rule.hasNonNull("CidrIp")) {
          String cidr = rule.get("CidrIp").asText();
          if (cidr.equals("0.0.0.0/0")) return true;
          if (toCidrs.stream().anyMatch(c -> Cidr.contains(cidr, c))) return true;
        }
      }
    }
    return false;
  }

  private boolean ingressAllows(List<String> groups, int port, List<String> fromGroups, String fromCidr) {
    for (String g : groups) {
      for (JsonNode rule : ingressRules(g)) {
        if (!covers(rule, port)) continue;
        if (rule.hasNonNull("SourceSecurityGroupId") && fromGroups.contains(rule.get("SourceSecurityGroupId").asText())) return true;
        if (rule.hasNonNull("CidrIp") && Cidr.contains(rule.get("CidrIp").asText(), fromCidr)) return true;
      }
    }
    return false;
  }

  /** The group's egress rules: its property's (or EC2's default allow-all without one) and the separate resources'. */
  List<JsonNode> egressRules(String group) {
    List<JsonNode> out = new ArrayList<>();
    Optional<Resource> sg = account.byPhysical(group);
    if (sg.isPresent()) {
      JsonNode listed = sg.get().properties().get("SecurityGroupEgress");
      if (listed == null) {
        out.add(io.gitops.sandbox.aws.CloudAssembly.JSON.createObjectNode().put("IpProtocol", "-1").put("CidrIp", "0.0.0.0/0"));
      } else {
        listed.forEach(out::add);
      }
    }
    account.resources("AWS::EC2::SecurityGroupEgress").stream()
        .filter(r -> r.properties().path("GroupId").asText().equals(group)).forEach(r -> out.add(r.properties()));
    return out;
  }

  private List<JsonNode> ingressRules(String group) {
    List<JsonNode> out = new ArrayList<>();
    account.byPhysical(group).ifPresent(sg -> sg.properties().path("SecurityGroupIngress").forEach(out::add));
    account.resources("AWS::EC2::SecurityGroupIngress").stream()
        .filter(r -> r.properties().path("GroupId").asText().equals(group)).forEach(r -> out.add(r.properties()));
    return out;
  }

  private static boolean covers(JsonNode rule, int port) {
    String proto = rule.path("IpProtocol").asText();
    if (proto.equals("-1") || proto.equals("all")) return true;
    if (!proto.equals("tcp") && !proto.equals("6")) return false;
    return rule.path("FromPort").asInt(-1) <= port && port <= rule.path("ToPort").asInt(-1);
  }

  private static List<String> texts(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }

  private String name(String physical) {
    return account.byPhysical(physical).map(Resource::logicalId).orElse(physical);
  }

  private String names(List<String> physical) {
    return physical.stream().map(this::name).toList().toString();
  }
}
