package io.gitops.sandbox.sim.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.cloudformation.EmulatedAccount;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * One emulated account's part of moto, which keeps accounts apart: the model's own calls name the account with
 * moto's {@code x-moto-account-id} header, the steps reach it with the keys moto's STS issues for a role of
 * that account (as {@code AssumeRole} does on AWS). The release parameters, the roles with explicit names and the ECR
 * repositories go here, so that the pipeline's steps (the AWS CLI under the keys {@code AssumeRole} gives
 * them) find them where AWS would.
 */
final class MotoAccountStore implements EmulatedAccount.Store {
  private final URI endpoint;
  private final String account;
  private final String region;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  MotoAccountStore(URI endpoint, String account, String region) {
    if (!"127.0.0.1".equals(endpoint.getHost())) throw new SandboxException("first-run only talks to an emulator on 127.0.0.1");
    this.endpoint = endpoint;
    this.account = account;
    this.region = region;
  }

  @Override
  public Optional<String> parameter(String name) {
    ObjectNode body = CloudAssembly.JSON.createObjectNode().put("Name", name);
    HttpResponse<String> r = send("ssm", "application/x-amz-json-1.1", "AmazonSSM.GetParameter", body.toString());
    if (r.statusCode() == 400) return Optional.empty();
    check(r, "ssm GetParameter");
    return Optional.of(json(r).path("Parameter").path("Value").asText());
  }

  @Override
  public void putParameterIfAbsent(String name, String value) {
    ObjectNode body = CloudAssembly.JSON.createObjectNode().put("Name", name).put("Value", value).put("Type", "String");
    HttpResponse<String> r = send("ssm", "application/x-amz-json-1.1", "AmazonSSM.PutParameter", body.toString());
    if (r.statusCode() == 400 && r.body().contains("ParameterAlreadyExists")) return;
    check(r, "ssm PutParameter " + name);
  }

  @Override
  public void createRole(String name, String trustPolicy) {
    String form = "Action=CreateRole&Version=2010-05-08&RoleName=" + enc(name) + "&AssumeRolePolicyDocument=" + enc(trustPolicy);
    HttpResponse<String> r = send("iam", "application/x-www-form-urlencoded", null, form);
    if (r.statusCode() == 409 || r.body().contains("EntityAlreadyExists")) return;
    check(r, "iam CreateRole " + name);
  }

  /** Whether the role exists in this account (moto's STS does not check it; AWS's does). */
  boolean roleExists(String name) {
    HttpResponse<String> r = send("iam", "application/x-www-form-urlencoded", null,
        "Action=GetRole&Version=2010-05-08&RoleName=" + enc(name));
    return r.statusCode() / 100 == 2;
  }

  @Override
  public void createRepository(String name, String policy) {
    ObjectNode body = CloudAssembly.JSON.createObjectNode().put("repositoryName", name);
    HttpResponse<String> r = send("ecr", "application/x-amz-json-1.1", "AmazonEC2ContainerRegistry_V20150921.CreateRepository", body.toString());
    if (r.body().contains("RepositoryAlreadyExists")) return;
    check(r, "ecr CreateRepository " + name);
    if (policy != null && !policy.isBlank() && !"\"\"".equals(policy) && !"null".equals(policy)) {
      ObjectNode p = CloudAssembly.JSON.createObjectNode().put("repositoryName", name).put("policyText", policy);
      check(send("ecr", "application/x-amz-json-1.1", "AmazonEC2ContainerRegistry_V20150921.SetRepositoryPolicy", p.toString()),
          "ecr SetRepositoryPolicy " + name);
    }
  }

  /**
   * Keys of a user of this account that moto's IAM issued (moto maps only such keys to their account): what a
   * CodeBuild step of the toolchain account signs with. Returns {access key id, secret}.
   */
  String[] accessKey(String user) {
    HttpResponse<String> u = send("iam", "application/x-www-form-urlencoded", null,
        "Action=CreateUser&Version=2010-05-08&UserName=" + enc(user));
    if (u.statusCode() / 100 != 2 && !u.body().contains("EntityAlreadyExists")) check(u, "iam CreateUser " + user);
    HttpResponse<String> k = send("iam", "application/x-www-form-urlencoded", null,
        "Action=CreateAccessKey&Version=2010-05-08&UserName=" + enc(user));
    check(k, "iam CreateAccessKey " + user);
    return new String[] {xml(k.body(), "AccessKeyId"), xml(k.body(), "SecretAccessKey")};
  }

  /** An S3 bucket of this account (the pipeline's report bucket, which the pipeline stack would create). */
  void createBucket(String name) {
    HttpRequest req = HttpRequest.newBuilder(endpoint.resolve("/" + name))
        .timeout(Duration.ofSeconds(20))
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + account + "/20260101/" + region
            + "/s3/aws4_request, SignedHeaders=host, Signature=0")
        .header("x-moto-account-id", account)
        .PUT(HttpRequest.BodyPublishers.noBody())
        .build();
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2 && !r.body().contains("BucketAlreadyOwnedByYou")) check(r, "s3 CreateBucket " + name);
    } catch (IOException e) {
      throw new SandboxException("no emulator answers on " + endpoint + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted");
    }
  }

  private static String xml(String body, String tag) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<" + tag + ">([^<]*)</" + tag + ">").matcher(body);
    if (!m.find()) throw new SandboxException("no <" + tag + "> in the emulator's answer");
    return m.group(1);
  }

  private HttpResponse<String> send(String service, String contentType, String target, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve("/"))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", contentType)
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + account + "/20260101/" + region + "/" + service
            + "/aws4_request, SignedHeaders=host, Signature=0")
        // moto 5.2.1 maps an access key to an account only for keys its IAM or STS issued; its own header
        // selects the account for the model's calls (the steps get their accounts' keys from AssumeRole).
        .header("x-moto-account-id", account)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (target != null) b.header("X-Amz-Target", target);
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SandboxException("no emulator answers on " + endpoint + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SandboxException("interrupted");
    }
  }

  private static void check(HttpResponse<String> r, String what) {
    if (r.statusCode() / 100 != 2) {
      throw new SandboxException(what + " failed in the emulator (" + r.statusCode() + "): " + r.body().replaceAll("\\s+", " "));
    }
  }

  private static JsonNode json(HttpResponse<String> r) {
    try {
      return CloudAssembly.JSON.readTree(r.body());
    } catch (IOException e) {
      throw new SandboxException("unreadable answer from the emulator: " + r.body());
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
