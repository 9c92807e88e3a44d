package io.gitops.sandbox.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.sandbox.SandboxException;
import io.gitops.testing.MotoServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The sandbox's own connection to the emulator (provisioning, ECR pushes, assertions): SDK clients where the
 * request is small and typed, and raw JSON-protocol calls where CloudFormation's properties map one to one
 * onto the API's members (ECS, ECR, DynamoDB), so that definitions reach moto as synthesized.
 * The emulator accepts any signature; the fake Authorization header only names the service and region.
 */
public final class Emulator {
  public static final String REGION = "us-east-1";
  /** The system property naming the emulated account (first-run's dev account); moto's default otherwise. */
  public static final String ACCOUNT_PROPERTY = "gitops.sandbox.account";
  /**
   * The account the sandbox runs in: moto's default, 123456789012, unless {@value #ACCOUNT_PROPERTY} names one
   * (then moto_server is started with that account as its default, {@link MotoServer#startInAccount}).
   */
  public static final String ACCOUNT = System.getProperty(ACCOUNT_PROPERTY, "123456789012");

  private final URI endpoint;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AwsClients clients;
  private final SqsClient sqs;
  private final ElasticLoadBalancingV2Client elb;

  /**
   * The sandbox's own clients (provisioning, views, queue long polls) against moto on a possibly loaded
   * machine: the functions' production budget (2 s per call, docs/lambda-config.md) is sized for AWS and
   * is no limit for a 1 s SQS long poll plus moto's latency.
   */
  public static final LambdaConfig.SdkSettings SDK = new LambdaConfig.SdkSettings(3, java.time.Duration.ofMillis(100),
      java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(10));

  public Emulator(URI endpoint, List<ExecutionInterceptor> interceptors) {
    if (!"127.0.0.1".equals(endpoint.getHost()) && !"localhost".equals(endpoint.getHost())) {
      throw new SandboxException("the sandbox only talks to an emulator on 127.0.0.1, not " + endpoint);
    }
    this.endpoint = endpoint;
    AwsClients.Settings settings = AwsClients.Settings.forEmulator(endpoint, SDK, interceptors);
    this.clients = AwsClients.create(settings);
    SdkHttpClient h = UrlConnectionHttpClient.create();
    this.sqs = AwsClients.configure(SqsClient.builder(), settings, h).build();
    this.elb = AwsClients.configure(ElasticLoadBalancingV2Client.builder(), settings, h).build();
  }

  public URI endpoint() {
    return endpoint;
  }

  public AwsClients clients() {
    return clients;
  }

  public SqsClient sqs() {
    return sqs;
  }

  public ElasticLoadBalancingV2Client elb() {
    return elb;
  }

  /**
   * Warms both sides in parallel, in the background: moto loads each service's backend on its first request
   * and the JVM each SDK client's classes on first use; done concurrently, that costs one step, not eight.
   */
  public java.util.concurrent.CompletableFuture<Void> warmUp() {
    List<Runnable> calls = List.of(
        () -> clients.ecs().listClusters(),
        () -> clients.ssm().describeParameters(b -> b.maxResults(1)),
        () -> clients.dynamo().listTables(b -> b.limit(1)),
        () -> clients.sns().listTopics(),
        () -> sqs.listQueues(),
        () -> elb.describeTargetGroups(),
        () -> ec2("DescribeVpcs", Map.of()),
        () -> ecr("DescribeRepositories", object()));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(calls.size(), r -> {
      Thread t = new Thread(r, "emulator-warm-up");
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.CompletableFuture<?>[] all = calls.stream()
        .map(c -> java.util.concurrent.CompletableFuture.runAsync(() -> {
          try {
            c.run();
          } catch (RuntimeException ignored) {
            // a warm-up only; the real call reports any problem
          }
        }, pool))
        .toArray(java.util.concurrent.CompletableFuture[]::new);
    return java.util.concurrent.CompletableFuture.allOf(all).whenComplete((v, e) -> pool.shutdown());
  }

  /** Fails with one line when nothing answers on the endpoint. */
  public static void requireRunning(URI endpoint) {
    if (!MotoServer.isUp(endpoint)) {
      throw new SandboxException("no emulator answers on " + endpoint + " (run 'bin/gitops sandbox up')");
    }
  }

  /** A JSON-protocol call: {@code target} is the X-Amz-Target, e.g. AmazonEC2ContainerServiceV20141113.CreateCluster. */
  public JsonNode json(String service, String target, String jsonVersion, JsonNode body) {
    HttpRequest req = HttpRequest.newBuilder(endpoint.resolve("/"))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/x-amz-json-" + jsonVersion)
        .header("X-Amz-Target", target)
        .header("Authorization", auth(service))
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
        .build();
    String text = send(req, target);
    try {
      return CloudAssembly.JSON.readTree(text.isEmpty() ? "{}" : text);
    } catch (IOException e) {
      throw new SandboxException(target + ": unreadable answer: " + text);
    }
  }

  public JsonNode ecs(String action, JsonNode body) {
    return json("ecs", "AmazonEC2ContainerServiceV20141113." + action, "1.1", body);
  }

  public JsonNode ecr(String action, JsonNode body) {
    return json("ecr", "AmazonEC2ContainerRegistry_V20150921." + action, "1.1", body);
  }

  public JsonNode dynamodb(String action, JsonNode body) {
    return json("dynamodb", "DynamoDB_20120810." + action, "1.0", body);
  }

  /** An EC2 query-protocol call; returns the XML answer. */
  public String ec2(String action, Map<String, String> params) {
    String form = "Action=" + action + "&Version=2016-11-15&" + params.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    HttpRequest req = HttpRequest.newBuilder(endpoint.resolve("/"))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", auth("ec2"))
        .POST(HttpRequest.BodyPublishers.ofString(form))
        .build();
    return send(req, "ec2." + action);
  }

  /** The first {@code <tag>value</tag>} of an XML answer. */
  public static String xmlValue(String xml, String tag) {
    Matcher m = Pattern.compile("<" + tag + ">([^<]*)</" + tag + ">").matcher(xml);
    if (!m.find()) throw new SandboxException("no <" + tag + "> in the emulator's answer");
    return m.group(1);
  }

  private String send(HttpRequest req, String what) {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new SandboxException(what + " failed in the emulator (" + r.statusCode() + "): " + oneLine(r.body()));
      }
      return r.body();
    } catch (ConnectException e) {
      throw new SandboxException("no emulator answers on " + endpoint);
    } catch (IOException e) {
      throw new SandboxException(what + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted");
    }
  }

  private static String auth(String service) {
    return "AWS4-HMAC-SHA256 Credential=testing/20260101/" + REGION + "/" + service
        + "/aws4_request, SignedHeaders=host, Signature=0";
  }

  private static String oneLine(String s) {
    String t = s == null ? "" : s.replaceAll("\\s+", " ").trim();
    return t.length() > 300 ? t.substring(0, 300) + "..." : t;
  }

  public static ObjectNode object() {
    return CloudAssembly.JSON.createObjectNode();
  }
}
