package io.gitops.lambdas.core;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;
import software.amazon.awssdk.regions.Region;

/**
 * Secrets Manager's {@code GetSecretValue} over its JSON 1.1 protocol (SigV4), with each value kept for the life of
 * the execution environment. One call is all the functions need (the canary test route's header value), which does
 * not justify the Secrets Manager module in the functions' jar. A value is never logged.
 */
public final class SecretValues {
  private final SdkHttpClient http;
  private final URI endpoint;
  private final Region region;
  private final AwsCredentialsProvider credentials;
  private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
  private final Map<String, String> cache = new ConcurrentHashMap<>();

  public SecretValues(SdkHttpClient http, Optional<URI> endpointOverride, Region region,
      AwsCredentialsProvider credentials) {
    this.http = http;
    this.region = region;
    this.credentials = credentials;
    this.endpoint = endpointOverride.orElse(URI.create("https://secretsmanager." + region.id() + ".amazonaws.com"));
  }

  public static SecretValues create(AwsClients.Settings settings, SdkHttpClient http) {
    return new SecretValues(http, settings.endpoint(), settings.region(), settings.credentials());
  }

  /**
   * The secret's {@code SecretString}. A refused or failed call throws {@link RetryableException} naming the secret
   * and Secrets Manager's error type, never the value.
   */
  public String get(String secretId) {
    String cached = cache.get(secretId);
    if (cached != null) return cached;
    String value = fetch(secretId);
    cache.put(secretId, value);
    return value;
  }

  private String fetch(String secretId) {
    byte[] bytes = ("{\"SecretId\":" + Json.quote(secretId) + "}").getBytes(StandardCharsets.UTF_8);
    SdkHttpRequest request = SdkHttpRequest.builder()
        .method(SdkHttpMethod.POST)
        .uri(endpoint.resolve("/"))
        .putHeader("Content-Type", "application/x-amz-json-1.1")
        .putHeader("X-Amz-Target", "secretsmanager.GetSecretValue")
        .putHeader("Content-Length", Integer.toString(bytes.length))
        .build();
    SignedRequest signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
        .request(request)
        .payload(ContentStreamProvider.fromByteArray(bytes))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "secretsmanager")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region.id()));
    try {
      HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder()
          .request(signed.request())
          .contentStreamProvider(signed.payload().orElse(null))
          .build()).call();
      byte[] answer;
      try (InputStream in = response.responseBody().map(InputStream.class::cast).orElse(InputStream.nullInputStream())) {
        answer = in.readAllBytes();
      }
      int status = response.httpResponse().statusCode();
      JsonNode body;
      try {
        body = Json.parse(answer);
      } catch (InvalidInputException e) {
        throw new RetryableException("Secrets Manager GetSecretValue of " + secretId + " answered " + status
            + " with something other than JSON");
      }
      if (status != 200) {
        String type = body.isObject() && body.asObject().containsKey("__type")
            ? body.asObject().get("__type").asString() : "HTTP " + status;
        throw new RetryableException("Secrets Manager GetSecretValue of " + secretId + " failed: " + type);
      }
      JsonNode value = body.isObject() ? body.asObject().get("SecretString") : null;
      if (value == null || !value.isString()) {
        throw new RetryableException("Secrets Manager GetSecretValue of " + secretId + ": no SecretString");
      }
      return value.asString();
    } catch (IOException e) {
      throw new RetryableException("Secrets Manager GetSecretValue of " + secretId + " failed: " + e.getMessage(), e);
    }
  }
}
