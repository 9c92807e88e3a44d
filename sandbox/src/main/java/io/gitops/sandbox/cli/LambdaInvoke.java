package io.gitops.sandbox.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.regions.Region;

/**
 * Lambda's {@code Invoke} ({@code RequestResponse}) as one SigV4-signed HTTP call: the Lambda SDK module is not
 * among this build's dependencies, and the call is small (Lambda API reference, "Invoke": POST
 * /2015-03-31/functions/{FunctionName}/invocations; a function error is a 200 with {@code X-Amz-Function-Error}).
 */
final class LambdaInvoke {
  private final SdkHttpClient http;
  private final AwsCredentialsProvider credentials;
  private final Region region;
  private final String function;
  private final URI endpoint;

  LambdaInvoke(SdkHttpClient http, AwsCredentialsProvider credentials, Region region, String function) {
    this(http, credentials, region, function, URI.create("https://lambda." + region.id() + ".amazonaws.com"));
  }

  LambdaInvoke(SdkHttpClient http, AwsCredentialsProvider credentials, Region region, String function, URI endpoint) {
    this.http = http;
    this.credentials = credentials;
    this.region = region;
    this.function = function;
    this.endpoint = endpoint;
  }

  Redrive.Outcome call(byte[] event) {
    SdkHttpFullRequest request = SdkHttpFullRequest.builder()
        .method(SdkHttpMethod.POST)
        .uri(endpoint.resolve("/2015-03-31/functions/" + URLEncoder.encode(function, StandardCharsets.UTF_8)
            + "/invocations"))
        .putHeader("X-Amz-Invocation-Type", "RequestResponse")
        .putHeader("Content-Type", "application/json")
        .build();
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(credentials.resolveIdentity().join())
        .request(request)
        .payload(ContentStreamProvider.fromByteArray(event))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "lambda")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region.id()));
    try {
      HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder()
          .request(signed.request())
          .contentStreamProvider(signed.payload().orElse(null))
          .build()).call();
      String body = "";
      if (response.responseBody().isPresent()) {
        try (InputStream in = response.responseBody().get()) {
          body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
      int status = response.httpResponse().statusCode();
      var functionError = response.httpResponse().firstMatchingHeader("X-Amz-Function-Error");
      if (status / 100 != 2) {
        return new Redrive.Outcome(false, null, "Lambda answered " + status + ": " + body);
      }
      if (functionError.isPresent()) {
        return new Redrive.Outcome(false, null, functionError.get() + ": " + body);
      }
      return new Redrive.Outcome(true, body, null);
    } catch (IOException e) {
      throw new UncheckedIOException("Lambda Invoke of " + function + " failed: " + e.getMessage(), e);
    }
  }
}
