package io.gitops.lambdas.core;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.ContainerDefinition;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * SnapStart priming: a CRaC {@code beforeCheckpoint} hook that runs the request path once before the
 * snapshot, so that the restored function starts with the SDK's marshalling, signing, endpoint rules,
 * retry strategy and response parsing (and the function's own JSON path) already loaded and profiled.
 *
 * <p>It changes no state: the priming clients are configured exactly like the function's
 * ({@link AwsClients#configure}) but send every request to an in-memory HTTP client that answers with a
 * canned empty response. Nothing reaches the network, and nothing fails init: priming is best effort.
 * On a JVM without CRaC (locally) the hook is never called; {@link #prime()} can be called directly.
 */
public final class Priming implements Resource {
  private final AwsClients.Settings settings;
  private final Runnable functionPath;
  private volatile long lastPrimeNanos = -1;

  private Priming(AwsClients.Settings settings, Runnable functionPath) {
    this.settings = settings;
    this.functionPath = functionPath;
  }

  /**
   * Registers the hook with the global CRaC context. The caller must keep the returned object: the
   * context holds its resources weakly.
   */
  public static Priming register(AwsClients.Settings settings, Runnable functionPath) {
    Priming p = new Priming(settings, functionPath);
    Core.getGlobalContext().register(p);
    return p;
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) {
    prime();
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) {
    // Nothing to refresh: the real clients were never used before the snapshot, so they hold no
    // connection and no credentials; both are resolved on the first call after the restore.
  }

  /** Runs the priming path once; returns how long it took, or -1 if it failed (never throws). */
  public long prime() {
    long start = System.nanoTime();
    // Static keys, never the function's own: priming runs before the snapshot, and resolving the real
    // credentials here would fetch them from the container endpoint into the snapshot, shared by every
    // restored environment and possibly expired by then. The canned client never sends anything anyway.
    AwsClients.Settings offline = new AwsClients.Settings(settings.region(), settings.endpoint(),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("priming", "priming")), settings.sdk(),
        settings.interceptors());
    try (SdkHttpClient canned = new CannedHttpClient()) {
      EcsClient ecs = AwsClients.configure(EcsClient.builder(), offline, canned).build();
      DynamoDbClient dynamo = AwsClients.configure(DynamoDbClient.builder(), offline, canned).build();
      SsmClient ssm = AwsClients.configure(SsmClient.builder(), offline, canned).build();
      SnsClient sns = AwsClients.configure(SnsClient.builder(), offline, canned).build();
      ecs.describeServices(b -> b.cluster("priming").services("priming"));
      ecs.describeTaskDefinition(b -> b.taskDefinition("priming:1"));
      ecs.registerTaskDefinition(b -> b.family("priming").containerDefinitions(
          ContainerDefinition.builder().name("app").image("priming@sha256:0").build()));
      ecs.updateService(b -> b.cluster("priming").service("priming").taskDefinition("priming:2"));
      Map<String, AttributeValue> key = Map.of("pk", AttributeValue.fromS("p"), "sk", AttributeValue.fromS("s"));
      dynamo.getItem(b -> b.tableName("priming").key(key).consistentRead(true));
      dynamo.query(b -> b.tableName("priming").keyConditionExpression("pk = :p")
          .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("p"))));
      dynamo.putItem(b -> b.tableName("priming").item(key).conditionExpression("attribute_not_exists(pk)"));
      dynamo.updateItem(b -> b.tableName("priming").key(key).updateExpression("SET n = :n")
          .expressionAttributeValues(Map.of(":n", AttributeValue.fromN("1"))));
      dynamo.transactWriteItems(b -> b.transactItems(List.of(TransactWriteItem.builder()
          .put(p -> p.tableName("priming").item(key)).build())));
      ssm.getParameter(b -> b.name("/priming"));
      ssm.putParameter(b -> b.name("/priming").value("v").overwrite(true));
      sns.publish(b -> b.topicArn("arn:aws:sns:us-east-1:123456789012:priming").message("m"));
      functionPath.run();
      ecs.close();
      dynamo.close();
      ssm.close();
      sns.close();
      lastPrimeNanos = System.nanoTime() - start;
    } catch (RuntimeException | LinkageError e) {
      System.err.println("{\"level\":\"WARN\",\"message\":\"priming skipped\",\"error\":\""
          + e.getClass().getSimpleName() + "\"}");
      lastPrimeNanos = -1;
    }
    return lastPrimeNanos;
  }

  public long lastPrimeNanos() {
    return lastPrimeNanos;
  }

  /** Answers every request in memory: {@code {}} for JSON protocols, a minimal document for SNS (XML). */
  static final class CannedHttpClient implements SdkHttpClient {
    private static final byte[] JSON = "{}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SNS_PUBLISH = ("<PublishResponse><PublishResult><MessageId>0</MessageId>"
        + "</PublishResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></PublishResponse>")
        .getBytes(StandardCharsets.UTF_8);

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
      boolean xml = request.httpRequest().host().startsWith("sns.")
          || request.httpRequest().firstMatchingHeader("Content-Type").orElse("").contains("x-www-form-urlencoded");
      byte[] body = xml ? SNS_PUBLISH : JSON;
      return new ExecutableHttpRequest() {
        @Override
        public HttpExecuteResponse call() {
          request.contentStreamProvider().ifPresent(p -> {
            try (var in = p.newStream()) {
              in.readAllBytes();
            } catch (java.io.IOException ignored) {
              // the request body is read only to exercise the same path as a real send
            }
          });
          return HttpExecuteResponse.builder()
              .response(SdkHttpResponse.builder().statusCode(200)
                  .putHeader("Content-Type", xml ? "text/xml" : "application/x-amz-json-1.1")
                  .putHeader("x-amzn-RequestId", "priming").build())
              .responseBody(AbortableInputStream.create(new ByteArrayInputStream(body)))
              .build();
        }

        @Override
        public void abort() {}
      };
    }

    @Override
    public void close() {}

    @Override
    public String clientName() {
      return "Priming";
    }
  }
}
