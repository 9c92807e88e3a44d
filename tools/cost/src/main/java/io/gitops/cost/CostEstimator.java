package io.gitops.cost;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Estimates the monthly cost of one environment from its synthesized CloudFormation templates and the
 * committed {@link PriceTable}. It reads resource properties only (no AWS calls); where a cost depends
 * on usage, the assumption comes from the price table and is written into the line's basis.
 *
 * <p>Priced: NAT gateways, interface endpoints (per AZ), application load balancers, Fargate services
 * (vCPU and GB-hours at the desired count, split over Fargate and Fargate Spot by the capacity provider
 * strategy), Aurora Serverless v2 at its minimum ACUs, OpenSearch instances and storage, KMS keys,
 * CloudWatch log groups, alarms and dashboards, Secrets Manager secrets (including RDS-managed master
 * secrets), DynamoDB on-demand tables, and Lambda functions. Everything else is counted as unpriced.
 */
public final class CostEstimator {

  /** A template to estimate, with the stack name used in the report. */
  public record Template(String stack, JsonNode json) {}

  private static final List<String> FREE_TYPES = List.of(
      "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::SubnetRouteTableAssociation",
      "AWS::EC2::Route", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::SecurityGroup",
      "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress", "AWS::IAM::Role", "AWS::IAM::Policy",
      "AWS::IAM::ManagedPolicy", "AWS::CDK::Metadata", "AWS::ECS::Cluster", "AWS::ECS::TaskDefinition",
      "AWS::ECS::ClusterCapacityProviderAssociations", "AWS::ElasticLoadBalancingV2::Listener",
      "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::ListenerRule",
      "AWS::KMS::Alias", "AWS::SSM::Parameter", "AWS::Events::Rule", "AWS::Lambda::Permission",
      "AWS::Lambda::Version", "AWS::Lambda::Alias", "AWS::Lambda::EventInvokeConfig", "AWS::SNS::Topic",
      "AWS::SNS::TopicPolicy", "AWS::SNS::Subscription", "AWS::SQS::QueuePolicy", "AWS::RDS::DBSubnetGroup",
      "AWS::RDS::DBClusterParameterGroup", "AWS::SecretsManager::SecretTargetAttachment",
      "AWS::EC2::EIP", "AWS::ServiceDiscovery::PrivateDnsNamespace", "AWS::ServiceDiscovery::Service",
      "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
      "AWS::ECR::Repository", "AWS::EC2::FlowLog", "AWS::S3::BucketPolicy", "AWS::IAM::InstanceProfile",
      "AWS::CloudFormation::WaitConditionHandle", "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry",
      "AWS::EC2::SubnetNetworkAclAssociation", "AWS::Logs::ResourcePolicy", "AWS::Logs::MetricFilter", "AWS::WAFv2::WebACLAssociation",
      // A pull-through cache rule costs nothing; the cached placeholder is one small image in ECR storage.
      "AWS::ECR::PullThroughCacheRule",
      // Backup vaults and selections cost nothing; the plan's line prices the recovery points it keeps.
      // WAF's logging configuration is free; its log group is priced as WAF logs.
      "AWS::Backup::BackupVault", "AWS::Backup::BackupSelection", "AWS::WAFv2::LoggingConfiguration");

  private final PriceTable prices;

  public CostEstimator(PriceTable prices) {
    this.prices = prices;
  }

  public Estimate estimate(String environment, List<Template> templates) {
    List<CostLine> lines = new ArrayList<>();
    Map<String, Integer> unpriced = new TreeMap<>();
    double hours = prices.hoursPerMonth();
    List<CostLine> lambdas = new ArrayList<>();
    int natCount = 0;
    int endpointAzs = 0;
    int albs = 0;
    int onDemandTables = 0;
    for (Template t : templates) {
      JsonNode resources = t.json().path("Resources");
      for (Iterator<Map.Entry<String, JsonNode>> it = resources.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String id = e.getKey();
        JsonNode r = e.getValue();
        String type = r.path("Type").asText();
        JsonNode p = r.path("Properties");
        String s = t.stack();
        switch (type) {
          case "AWS::EC2::NatGateway" -> {
            natCount++;
            lines.add(new CostLine(s, id, "NAT", hours * prices.price("natGatewayHour"),
                fmt("1 NAT gateway x %.0f h x $%s", hours, prices.price("natGatewayHour"))));
          }
          case "AWS::EC2::VPCEndpoint" -> {
            if ("Interface".equals(p.path("VpcEndpointType").asText("Gateway"))) {
              int azs = p.path("SubnetIds").isArray() ? p.path("SubnetIds").size() : 1;
              endpointAzs += azs;
              lines.add(new CostLine(s, id, "Endpoints", azs * hours * prices.price("interfaceEndpointAzHour"),
                  fmt("interface endpoint %s in %d AZ x %.0f h x $%s", serviceName(p), azs, hours,
                      prices.price("interfaceEndpointAzHour"))));
            }
          }
          case "AWS::ElasticLoadBalancingV2::LoadBalancer" -> {
            String lbType = p.path("Type").asText("application");
            if ("application".equals(lbType)) {
              albs++;
              double lcu = prices.usage("albLcu", environment);
              lines.add(new CostLine(s, id, "ALB",
                  hours * (prices.price("albHour") + lcu * prices.price("albLcuHour")),
                  fmt("ALB %.0f h x $%s + assumed %.1f LCU x $%s/LCU-h", hours, prices.price("albHour"), lcu,
                      prices.price("albLcuHour"))));
            } else {
              unpriced.merge(type + " (" + lbType + ")", 1, Integer::sum);
            }
          }
          case "AWS::ECS::Service" -> lines.add(fargate(s, id, p, resources, hours));
          case "AWS::RDS::DBInstance" -> lines.add(auroraInstance(s, id, p, resources, hours, unpriced));
          case "AWS::RDS::DBCluster" -> {
            double gb = prices.usage("auroraStorageGb", environment);
            lines.add(new CostLine(s, id, "Aurora", gb * prices.price("auroraStorageGbMonth"),
                fmt("storage, assumed %.0f GB x $%s/GB-month (I/O not included)", gb,
                    prices.price("auroraStorageGbMonth"))));
            if (p.path("ManageMasterUserPassword").asBoolean(false)) {
              lines.add(new CostLine(s, id + "/MasterUserSecret", "Secrets",
                  prices.price("secretsManagerSecretMonth"), "RDS-managed master user secret"));
            }
          }
          case "AWS::OpenSearchService::Domain" -> lines.addAll(openSearch(s, id, p, hours, unpriced));
          case "AWS::KMS::Key" -> lines.add(new CostLine(s, id, "KMS", prices.price("kmsKeyMonth"),
              "1 customer managed key (request charges not included)"));
          case "AWS::Logs::LogGroup" -> lines.add(logGroup(s, id, p, environment));
          case "AWS::CloudWatch::Alarm" -> {
            int metrics = p.path("Metrics").isArray()
                ? (int) countMetricStats(p.path("Metrics")) : 1;
            metrics = Math.max(metrics, 1);
            lines.add(new CostLine(s, id, "CloudWatch alarms", metrics * prices.price("cloudWatchAlarmMonth"),
                fmt("%d alarm metric(s) x $%s", metrics, prices.price("cloudWatchAlarmMonth"))));
          }
          case "AWS::CloudWatch::CompositeAlarm" -> lines.add(new CostLine(s, id, "CloudWatch alarms", 0.50,
              "composite alarm $0.50 (unverified list price)"));
          case "AWS::CloudWatch::Dashboard" -> lines.add(new CostLine(s, id, "CloudWatch dashboards",
              prices.price("cloudWatchDashboardMonth"), "1 dashboard (account free tier of 3 ignored)"));
          case "AWS::SecretsManager::Secret" -> lines.add(new CostLine(s, id, "Secrets",
              prices.price("secretsManagerSecretMonth"), "1 secret (API calls not included)"));
          case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable" -> {
            if ("PAY_PER_REQUEST".equals(p.path("BillingMode").asText("PROVISIONED"))) {
              onDemandTables++;
              lines.add(dynamo(s, id, environment));
            } else {
              unpriced.merge(type + " (provisioned)", 1, Integer::sum);
            }
          }
          case "AWS::Lambda::Function" -> lambdas.add(lambda(s, id, p));
          case "AWS::WAFv2::WebACL" -> {
            int rules = p.path("Rules").size();
            double millions = prices.usage("wafRequestsMillionsPerMonth", environment);
            lines.add(new CostLine(s, id, "WAF", prices.price("wafWebAclMonth") + rules * prices.price("wafRuleMonth")
                + millions * prices.price("wafRequestsMillion"), String.format(java.util.Locale.ROOT,
                "1 web ACL + %d rule group(s) + assumed %.0f M requests x $%.2f/M", rules, millions,
                prices.price("wafRequestsMillion"))));
          }
          case "AWS::Backup::BackupPlan" -> {
            // Aurora's recovery points are incremental snapshots; DynamoDB's are full copies, one a day.
            double aurora = prices.usage("backupAuroraGb", environment);
            double dynamo = prices.usage("backupDynamoDbGb", environment);
            lines.add(new CostLine(s, id, "Backup", aurora * prices.price("backupAuroraGbMonth")
                + dynamo * prices.price("backupDynamoDbGbMonth"), fmt("assumed %.0f GB of Aurora snapshots x $%s"
                + " + %.0f GB of DynamoDB backups x $%s per GB-month", aurora, prices.price("backupAuroraGbMonth"),
                dynamo, prices.price("backupDynamoDbGbMonth"))));
          }
          case "AWS::SQS::Queue" -> lines.add(new CostLine(s, id, "SQS", 0.0,
              "standard queue; pay per request, near zero at this volume"));
          default -> {
            if (!FREE_TYPES.contains(type) && !type.startsWith("Custom::")) unpriced.merge(type, 1, Integer::sum);
          }
        }
      }
    }
    lines.addAll(spreadLambdaUsage(lambdas, environment));
    if (natCount > 0) {
      double gb = prices.usage("natGbPerMonth", environment);
      lines.add(new CostLine("-", "NatDataProcessed", "NAT", gb * prices.price("natGatewayGb"),
          fmt("assumed %.0f GB/month through NAT x $%s/GB", gb, prices.price("natGatewayGb"))));
    }
    if (endpointAzs > 0) {
      double gb = prices.usage("endpointGbPerMonth", environment);
      lines.add(new CostLine("-", "EndpointDataProcessed", "Endpoints", gb * prices.price("interfaceEndpointGb"),
          fmt("assumed %.0f GB/month through interface endpoints x $%s/GB", gb, prices.price("interfaceEndpointGb"))));
    }
    return new Estimate(environment, List.copyOf(lines), unpriced);
  }

  private CostLine fargate(String s, String id, JsonNode p, JsonNode resources, double hours) {
    Optional<Double> desiredLiteral = number(p.path("DesiredCount"));
    double desired = desiredLiteral.orElse(1.0);
    JsonNode td = resources.path(refName(p.path("TaskDefinition")));
    JsonNode tdp = td.path("Properties");
    Optional<Double> cpuUnits = number(tdp.path("Cpu"));
    Optional<Double> memMb = number(tdp.path("Memory"));
    if (cpuUnits.isEmpty() || memMb.isEmpty()) {
      return new CostLine(s, id, "Fargate", 0.0, "task definition size not a literal; not priced");
    }
    double vcpu = cpuUnits.get() / 1024.0;
    double gb = memMb.get() / 1024.0;
    boolean arm = "ARM64".equalsIgnoreCase(tdp.path("RuntimePlatform").path("CpuArchitecture").asText());
    double vcpuPrice = prices.price(arm ? "fargateVcpuHourArm" : "fargateVcpuHourX86");
    double gbPrice = prices.price(arm ? "fargateGbHourArm" : "fargateGbHourX86");
    JsonNode strategy = p.path("CapacityProviderStrategy");
    if (!strategy.isArray() || strategy.isEmpty()) {
      strategy = clusterDefaultStrategy(resources, p.path("Cluster"));
    }
    double spotTasks = spotTasks(strategy, desired);
    double onDemandTasks = desired - spotTasks;
    double perTaskHour = vcpu * vcpuPrice + gb * gbPrice;
    double discount = prices.price("fargateSpotDiscount");
    double monthly = hours * perTaskHour * (onDemandTasks + spotTasks * (1 - discount));
    return new CostLine(s, id, "Fargate", monthly,
        fmt("%s tasks (%.2f on demand, %.2f Spot at -%.0f%%) x %.2f vCPU + %.1f GB %s x %.0f h%s",
            trim(desired), onDemandTasks, spotTasks, discount * 100, vcpu, gb, arm ? "arm64" : "x86", hours,
            desiredLiteral.isPresent() ? "" : " (DesiredCount not set: assumed 1)"));
  }

  /** Tasks on FARGATE_SPOT out of {@code desired}: bases are filled first, the rest split by weight. */
  static double spotTasks(JsonNode strategy, double desired) {
    if (!strategy.isArray() || strategy.isEmpty()) return 0;
    double remaining = desired;
    double spot = 0;
    double weightSum = 0;
    double spotWeight = 0;
    for (JsonNode item : strategy) {
      boolean isSpot = "FARGATE_SPOT".equals(item.path("CapacityProvider").asText());
      double base = Math.min(item.path("Base").asDouble(0), remaining);
      remaining -= base;
      if (isSpot) spot += base;
      double w = item.path("Weight").asDouble(0);
      weightSum += w;
      if (isSpot) spotWeight += w;
    }
    if (weightSum > 0) spot += remaining * spotWeight / weightSum;
    return spot;
  }

  private static JsonNode clusterDefaultStrategy(JsonNode resources, JsonNode clusterRef) {
    String cluster = refName(clusterRef);
    for (Iterator<JsonNode> it = resources.elements(); it.hasNext(); ) {
      JsonNode r = it.next();
      if ("AWS::ECS::ClusterCapacityProviderAssociations".equals(r.path("Type").asText())
          && cluster.equals(refName(r.path("Properties").path("Cluster")))) {
        return r.path("Properties").path("DefaultCapacityProviderStrategy");
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private CostLine auroraInstance(String s, String id, JsonNode p, JsonNode resources, double hours,
      Map<String, Integer> unpriced) {
    String cls = p.path("DBInstanceClass").asText();
    if (!"db.serverless".equals(cls)) {
      unpriced.merge("AWS::RDS::DBInstance (" + cls + ")", 1, Integer::sum);
      return new CostLine(s, id, "Aurora", 0.0, "instance class " + cls + " not in the price table");
    }
    JsonNode cluster = resources.path(refName(p.path("DBClusterIdentifier"))).path("Properties");
    Optional<Double> min = number(cluster.path("ServerlessV2ScalingConfiguration").path("MinCapacity"));
    double acu = min.orElse(0.5);
    return new CostLine(s, id, "Aurora", acu * hours * prices.price("auroraServerlessV2AcuHour"),
        fmt("serverless v2 instance at its minimum %s ACU x %.0f h x $%s%s", trim(acu), hours,
            prices.price("auroraServerlessV2AcuHour"),
            acu == 0 ? " (scales to zero: compute only while in use)" : "")
            + (min.isPresent() ? "" : " (MinCapacity not found: assumed 0.5)"));
  }

  private List<CostLine> openSearch(String s, String id, JsonNode p, double hours, Map<String, Integer> unpriced) {
    List<CostLine> out = new ArrayList<>();
    JsonNode cc = p.path("ClusterConfig");
    String type = cc.path("InstanceType").asText("r6g.large.search");
    int count = cc.path("InstanceCount").asInt(1);
    Optional<Double> hourly = prices.openSearchInstanceHour(type);
    if (hourly.isEmpty()) {
      unpriced.merge("OpenSearch instance " + type, count, Integer::sum);
    } else {
      out.add(new CostLine(s, id, "OpenSearch", count * hours * hourly.get(),
          fmt("%d x %s x %.0f h x $%s", count, type, hours, hourly.get())));
    }
    if (cc.path("DedicatedMasterEnabled").asBoolean(false)) {
      String mType = cc.path("DedicatedMasterType").asText(type);
      int mCount = cc.path("DedicatedMasterCount").asInt(3);
      prices.openSearchInstanceHour(mType).ifPresentOrElse(
          h -> out.add(new CostLine(s, id + "/Masters", "OpenSearch", mCount * hours * h,
              fmt("%d dedicated masters x %s x %.0f h x $%s", mCount, mType, hours, h))),
          () -> unpriced.merge("OpenSearch master " + mType, mCount, Integer::sum));
    }
    JsonNode ebs = p.path("EBSOptions");
    if (ebs.path("EBSEnabled").asBoolean(false)) {
      double gb = ebs.path("VolumeSize").asDouble(10);
      String vt = ebs.path("VolumeType").asText("gp2");
      String key = "gp3".equals(vt) ? "openSearchGp3GbMonth" : "openSearchGp2GbMonth";
      out.add(new CostLine(s, id + "/Storage", "OpenSearch", count * gb * prices.price(key),
          fmt("%d nodes x %.0f GB %s x $%s/GB-month", count, gb, vt, prices.price(key))));
    }
    return out;
  }

  private CostLine logGroup(String s, String id, JsonNode p, String environment) {
    // WAF writes one record per request inspected: its volume follows the traffic, not the group count.
    double ingest = p.path("LogGroupName").asText("").startsWith("aws-waf-logs-")
        ? prices.usage("wafLogGbPerMonth", environment)
        : prices.usage("logGbPerGroupPerMonth", environment);
    Optional<Double> days = number(p.path("RetentionInDays"));
    // Steady state: the stored volume is the monthly ingest times the months kept (never-expire capped at 12).
    double monthsKept = days.map(d -> Math.min(d / 30.0, 12.0)).orElse(12.0);
    double monthly = ingest * prices.price("cloudWatchLogsIngestGb")
        + ingest * monthsKept * prices.price("cloudWatchLogsStoreGbMonth");
    return new CostLine(s, id, "CloudWatch logs", monthly,
        fmt("assumed %.1f GB/month ingested x $%s + %.1f months kept x $%s/GB-month", ingest,
            prices.price("cloudWatchLogsIngestGb"), monthsKept, prices.price("cloudWatchLogsStoreGbMonth")));
  }

  private CostLine dynamo(String s, String id, String environment) {
    double deployments = prices.usage("deploymentsPerMonth", environment);
    double writes = deployments * prices.usage("ledgerWritesPerDeployment", environment);
    double reads = deployments * prices.usage("ledgerReadsPerDeployment", environment);
    double gb = prices.usage("dynamoDbStorageGb", environment);
    double monthly = writes / 1e6 * prices.price("dynamoDbWriteMillion")
        + reads / 1e6 * prices.price("dynamoDbReadMillion") + gb * prices.price("dynamoDbStorageGbMonth");
    return new CostLine(s, id, "DynamoDB", monthly,
        fmt("on-demand: assumed %.0f deployments x (%.0f writes + %.0f reads) + %.1f GB stored", deployments,
            prices.usage("ledgerWritesPerDeployment", environment),
            prices.usage("ledgerReadsPerDeployment", environment), gb));
  }

  /** A function's shape; the invocation volume is spread over this project's functions afterwards. */
  private CostLine lambda(String s, String id, JsonNode p) {
    double mb = p.path("MemorySize").asDouble(128);
    boolean arm = p.path("Architectures").toString().contains("arm64");
    boolean ours = p.path("Handler").asText().startsWith("io.gitops.");
    return new CostLine(s, id, ours ? "Lambda" : "Lambda (deploy-time)", 0.0,
        fmt("%.0f MB %s", mb, arm ? "arm64" : "x86_64") + (ours ? "" : "|deploy"));
  }

  private List<CostLine> spreadLambdaUsage(List<CostLine> functions, String environment) {
    long ours = functions.stream().filter(f -> !f.basis().endsWith("|deploy")).count();
    double invocations = prices.usage("lambdaInvocationsPerMonth", environment);
    double ms = prices.usage("lambdaAvgDurationMs", environment);
    List<CostLine> out = new ArrayList<>();
    for (CostLine f : functions) {
      if (f.basis().endsWith("|deploy")) {
        out.add(new CostLine(f.stack(), f.logicalId(), f.category(), 0.0,
            f.basis().replace("|deploy", "") + ", CDK helper run at deploy time only: ~$0"));
        continue;
      }
      double mb = Double.parseDouble(f.basis().split(" ")[0]);
      boolean arm = f.basis().contains("arm64");
      double n = invocations / ours;
      double gbSeconds = n * (ms / 1000.0) * (mb / 1024.0);
      double monthly = gbSeconds * prices.price(arm ? "lambdaGbSecondArm" : "lambdaGbSecondX86")
          + n / 1e6 * prices.price("lambdaRequestMillion");
      out.add(new CostLine(f.stack(), f.logicalId(), "Lambda", monthly,
          fmt("%s, assumed %.0f invocations x %.0f ms (free tier ignored)", f.basis(), n, ms)));
    }
    return out;
  }

  private static long countMetricStats(JsonNode metrics) {
    long n = 0;
    for (JsonNode m : metrics) if (m.has("MetricStat")) n++;
    return n;
  }

  /** The endpoint's service suffix ("ecr.api") from a literal or CDK's Fn::Join of region parts. */
  private static String serviceName(JsonNode p) {
    JsonNode n = p.path("ServiceName");
    String last = n.isTextual() ? n.asText() : "";
    JsonNode join = n.path("Fn::Join").path(1);
    for (JsonNode part : join) if (part.isTextual()) last = part.asText();
    int i = last.indexOf(".amazonaws.");
    return last.startsWith(".") ? last.substring(1) : (i >= 0 ? last.substring(last.indexOf('.', i + 11) + 1) : last);
  }

  static String refName(JsonNode ref) {
    if (ref.has("Ref")) return ref.path("Ref").asText();
    if (ref.has("Fn::GetAtt")) return ref.path("Fn::GetAtt").path(0).asText();
    return "";
  }

  static Optional<Double> number(JsonNode n) {
    if (n.isNumber()) return Optional.of(n.asDouble());
    if (n.isTextual()) {
      try {
        return Optional.of(Double.parseDouble(n.asText().trim()));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
