package io.gitops.lambdas.testing;

import io.gitops.lambdas.core.AwsClients;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.core.LambdaConfig;
import io.gitops.lambdas.core.ServiceTarget;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecs.model.Compatibility;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.ecs.model.DescribeTaskDefinitionResponse;
import software.amazon.awssdk.services.ecs.model.NetworkMode;
import software.amazon.awssdk.services.ecs.model.RegisterTaskDefinitionRequest;
import software.amazon.awssdk.services.ecs.model.TaskDefinitionField;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Provisions an environment's deployable state into the emulator: per service an ECR repository, a task
 * definition, the ECS service and its release parameter; plus the cluster, the ledger table and the alarm
 * topic subscribed to a queue (so tests can read notifications). Reusable by the guard's tests.
 *
 * <pre>{@code
 * AwsFixture f = AwsFixture.builder(moto.endpoint()).service("bff").provision();
 * LambdaConfig config = f.config();
 * }</pre>
 */
public final class AwsFixture {
  /** The image every service starts with, as the real stack's placeholder does. */
  public static final String PLACEHOLDER_IMAGE = "public.ecr.aws/docker/library/nginx:stable";

  /**
   * Fast SDK retries for tests: 3 attempts, backoff from 1 ms (capped at 20 ms), as a local emulator needs
   * no time to recover; the fault tests' injected faults and outcomes are the same as with longer backoff.
   */
  public static final LambdaConfig.SdkSettings FAST_SDK =
      new LambdaConfig.SdkSettings(3, Duration.ofMillis(1), Duration.ofMillis(20), Duration.ofSeconds(10),
          Duration.ofSeconds(5));

  private final URI endpoint;
  private final AwsClients clients;
  private final EcrClient ecr;
  private final SqsClient sqs;
  private final String cluster;
  private final String ledgerTable;
  private final String topicArn;
  private final String queueUrl;
  private final Map<String, ServiceTarget> targets;

  private AwsFixture(URI endpoint, AwsClients clients, EcrClient ecr, SqsClient sqs, String cluster,
      String ledgerTable, String topicArn, String queueUrl, Map<String, ServiceTarget> targets) {
    this.endpoint = endpoint;
    this.clients = clients;
    this.ecr = ecr;
    this.sqs = sqs;
    this.cluster = cluster;
    this.ledgerTable = ledgerTable;
    this.topicArn = topicArn;
    this.queueUrl = queueUrl;
    this.targets = targets;
  }

  public static Builder builder(URI endpoint) {
    return new Builder(endpoint);
  }

  /** Clients straight to the emulator (no fault proxy), for provisioning and assertions. */
  public AwsClients clients() {
    return clients;
  }

  public URI endpoint() {
    return endpoint;
  }

  public String cluster() {
    return cluster;
  }

  public String ledgerTable() {
    return ledgerTable;
  }

  public String topicArn() {
    return topicArn;
  }

  /** The ECR client the fixture provisions with (shared per endpoint). */
  public EcrClient ecr() {
    return ecr;
  }

  public ServiceTarget target(String repository) {
    ServiceTarget t = targets.get(repository);
    if (t == null) throw new IllegalArgumentException("no such repository in the fixture: " + repository);
    return t;
  }

  /** The environment variables the stack would set, pointing at {@code endpointForFunction}. */
  public Map<String, String> env(URI endpointForFunction) {
    Json.Obj map = Json.obj();
    targets.forEach((repo, t) -> map.put(repo, Json.obj().put("cluster", t.cluster()).put("service", t.service())
        .put("container", t.container()).put("releaseParameter", t.releaseParameter())
        .put("repositoryUri", t.repositoryUri())));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ENDPOINT_URL", endpointForFunction.toString());
    env.put("LEDGER_TABLE", ledgerTable);
    env.put("ALARM_TOPIC_ARN", topicArn);
    env.put("SERVICE_MAP", map.toString());
    env.put("ENVIRONMENT_NAME", "test");
    return env;
  }

  public Map<String, String> env() {
    return env(endpoint);
  }

  public LambdaConfig config() {
    return LambdaConfig.from(env());
  }

  /**
   * Clients for the function under test, optionally through another endpoint (a fault proxy). Without
   * interceptors they are built once per endpoint and settings and shared (SDK clients are thread-safe and
   * hold no state between calls): building them costs more than most of the calls a test makes.
   */
  public static AwsClients functionClients(URI endpoint, LambdaConfig.SdkSettings sdk,
      ExecutionInterceptor... interceptors) {
    if (interceptors.length == 0) {
      return SHARED.computeIfAbsent(endpoint + " " + sdk,
          k -> AwsClients.create(AwsClients.Settings.forEmulator(endpoint, sdk, List.of())));
    }
    return AwsClients.create(AwsClients.Settings.forEmulator(endpoint, sdk, List.of(interceptors)));
  }

  private static final Map<String, AwsClients> SHARED = new java.util.concurrent.ConcurrentHashMap<>();
  /** The provisioning-only clients, shared per endpoint as above. */
  private record ExtraClients(EcrClient ecr, SqsClient sqs) {}

  private static final Map<URI, ExtraClients> SHARED_EXTRA = new java.util.concurrent.ConcurrentHashMap<>();

  /** The task definition the service currently runs, with tags. */
  public DescribeTaskDefinitionResponse currentTaskDefinition(String repository) {
    ServiceTarget t = target(repository);
    String arn = clients.ecs().describeServices(b -> b.cluster(t.cluster()).services(t.service()))
        .services().get(0).taskDefinition();
    return clients.ecs().describeTaskDefinition(b -> b.taskDefinition(arn).include(TaskDefinitionField.TAGS));
  }

  /** Every registered revision ARN of the service's family. */
  public List<String> revisions(String repository) {
    return clients.ecs().listTaskDefinitions(b -> b.familyPrefix(target(repository).service()))
        .taskDefinitionArns();
  }

  public String releaseValue(String repository) {
    return clients.ssm().getParameter(b -> b.name(target(repository).releaseParameter())).parameter().value();
  }

  /** Drains the alarm topic's queue: the SNS message bodies received so far. */
  public List<String> notifications() {
    List<String> out = new ArrayList<>();
    while (true) {
      List<Message> batch = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(0))
          .messages();
      if (batch.isEmpty()) return out;
      for (Message m : batch) {
        var envelope = Json.object(Json.parse(m.body()), "$");
        out.add(envelope.containsKey("Message") ? envelope.get("Message").asString() : m.body());
        sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
      }
    }
  }

  public static final class Builder {
    private final URI endpoint;
    private final List<String[]> services = new ArrayList<>();
    private final List<String> unprovisioned = new ArrayList<>();
    private String cluster = "test-cluster";
    private String ledgerTable = "deployments";
    private UnaryOperator<RegisterTaskDefinitionRequest.Builder> taskDefinition = UnaryOperator.identity();

    private Builder(URI endpoint) {
      this.endpoint = endpoint;
    }

    public Builder cluster(String name) {
      this.cluster = name;
      return this;
    }

    public Builder ledgerTable(String name) {
      this.ledgerTable = name;
      return this;
    }

    /** A repository and a service of the same name, container "app". */
    public Builder service(String name) {
      return service(name, name, "app");
    }

    public Builder service(String repository, String service, String container) {
      services.add(new String[] {repository, service, container});
      return this;
    }

    /** Maps the repository in SERVICE_MAP but does not create its ECS service (a permanent failure). */
    public Builder mappedButMissing(String repository) {
      unprovisioned.add(repository);
      return service(repository, repository, "app");
    }

    /** Customises every initial task definition (e.g. every optional field set). */
    public Builder taskDefinition(UnaryOperator<RegisterTaskDefinitionRequest.Builder> customiser) {
      this.taskDefinition = customiser;
      return this;
    }

    public AwsFixture provision() {
      AwsClients clients = functionClients(endpoint, FAST_SDK);
      ExtraClients extra = SHARED_EXTRA.computeIfAbsent(endpoint, e -> {
        var settings = AwsClients.Settings.forEmulator(e, FAST_SDK, List.of());
        var http = UrlConnectionHttpClient.create();
        return new ExtraClients(AwsClients.configure(EcrClient.builder(), settings, http).build(),
            AwsClients.configure(SqsClient.builder(), settings, http).build());
      });
      EcrClient ecr = extra.ecr();
      SqsClient sqs = extra.sqs();

      clients.ecs().createCluster(b -> b.clusterName(cluster));
      clients.dynamo().createTable(b -> b.tableName(ledgerTable)
          .keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
              KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
          .attributeDefinitions(
              AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
              AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.S).build())
          .billingMode(BillingMode.PAY_PER_REQUEST));
      String topicArn = clients.sns().createTopic(b -> b.name("alarms")).topicArn();
      String queueUrl = sqs.createQueue(b -> b.queueName("alarm-notifications")).queueUrl();
      String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
          .attributes().get(QueueAttributeName.QUEUE_ARN);
      clients.sns().subscribe(b -> b.topicArn(topicArn).protocol("sqs").endpoint(queueArn)
          .attributes(Map.of("RawMessageDelivery", "false")));

      Map<String, ServiceTarget> targets = new LinkedHashMap<>();
      for (String[] s : services) {
        String repo = s[0];
        String service = s[1];
        String container = s[2];
        String uri = ecr.createRepository(b -> b.repositoryName(repo)).repository().repositoryUri();
        String parameter = "/gitops/test/" + service + "/image";
        clients.ssm().putParameter(b -> b.name(parameter).value(PLACEHOLDER_IMAGE).type(ParameterType.STRING));
        if (!unprovisioned.contains(repo)) {
          RegisterTaskDefinitionRequest.Builder td = RegisterTaskDefinitionRequest.builder()
              .family(service)
              .networkMode(NetworkMode.AWSVPC)
              .requiresCompatibilities(Compatibility.FARGATE)
              .cpu("256")
              .memory("512")
              .containerDefinitions(ContainerDefinition.builder().name(container).image(PLACEHOLDER_IMAGE)
                  .essential(true).memory(512).build());
          String arn = clients.ecs().registerTaskDefinition(taskDefinition.apply(td).build())
              .taskDefinition().taskDefinitionArn();
          clients.ecs().createService(b -> b.cluster(cluster).serviceName(service).taskDefinition(arn)
              .desiredCount(2));
        }
        targets.put(repo, new ServiceTarget(repo, cluster, service, container, parameter, uri));
      }
      return new AwsFixture(endpoint, clients, ecr, sqs, cluster, ledgerTable, topicArn, queueUrl, targets);
    }
  }
}
