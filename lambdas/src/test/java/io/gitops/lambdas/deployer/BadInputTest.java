package io.gitops.lambdas.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.lambdas.core.ApiCallCounter;
import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import io.gitops.lambdas.testing.AwsFixture;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * At least 100 malformed or mutated events: each ends in a clear error (naming a field or the problem),
 * none makes an AWS call that could change state (counted by an interceptor), none crashes, and the
 * emulator's state is unchanged.
 */
@ExtendWith(MotoExtension.class)
class BadInputTest {
  private static final String[] TOP = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"};
  private static final String[] DETAIL = {"result", "repository-name", "image-digest", "action-type", "image-tag"};
  private static final Object[] WRONG_TYPES = {42, true, List.of("x"), Map.of("k", "v"), "", 3.5};

  /** Case name -> event bytes. */
  static Map<String, byte[]> corpus() {
    Map<String, byte[]> c = new LinkedHashMap<>();
    String valid = Events.text("events/ecr-push-bff.json");
    c.put("empty body", new byte[0]);
    c.put("whitespace", Events.bytes("   \n"));
    c.put("null literal", Events.bytes("null"));
    c.put("array", Events.bytes("[]"));
    c.put("string", Events.bytes("\"event\""));
    c.put("number", Events.bytes("7"));
    c.put("empty object", Events.bytes("{}"));
    c.put("not json", Events.bytes("source=aws.ecr"));
    c.put("binary", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2});
    c.put("oversized (300 KB)", Events.bytes(valid.replace("\"version\": \"0\"",
        "\"version\": \"0\", \"padding\": \"" + "x".repeat(300 * 1024) + "\"")));
    c.put("deeply nested", Events.bytes("[".repeat(5000) + "]".repeat(5000)));
    for (int cut = 1; cut < valid.length(); cut += valid.length() / 12) {
      c.put("truncated at " + cut, Events.bytes(valid.substring(0, cut)));
    }
    for (String f : TOP) {
      if (f.equals("version") || f.equals("resources")) continue; // not needed by the deployer
      c.put("missing " + f, mutate(valid, f, null, true));
      for (Object w : WRONG_TYPES) c.put(f + " as " + describe(w), mutate(valid, f, w, false));
    }
    for (String f : DETAIL) {
      if (!f.equals("image-tag")) c.put("missing detail." + f, mutateDetail(valid, f, null, true));
      for (Object w : WRONG_TYPES) {
        if (f.equals("image-tag") && "".equals(w)) continue; // an empty tag is an untagged push
        c.put("detail." + f + " as " + describe(w), mutateDetail(valid, f, w, false));
      }
    }
    c.put("wrong source", mutate(valid, "source", "aws.ecs", false));
    c.put("wrong source (custom)", mutate(valid, "source", "my.app", false));
    c.put("wrong detail-type", mutate(valid, "detail-type", "ECR Image Scan", false));
    c.put("delete action", mutateDetail(valid, "action-type", "DELETE", false));
    c.put("failed push", mutateDetail(valid, "result", "FAILURE", false));
    c.put("short digest", mutateDetail(valid, "image-digest", "sha256:7f5b2640fe6f", false));
    c.put("md5 digest", mutateDetail(valid, "image-digest", "md5:0123456789abcdef0123456789abcdef", false));
    c.put("uppercase digest", mutateDetail(valid, "image-digest", Events.digest("x").toUpperCase(), false));
    c.put("bad time", mutate(valid, "time", "yesterday", false));
    c.put("time without zone", mutate(valid, "time", "2026-11-16T01:54:34", false));
    c.put("repository with spaces", mutateDetail(valid, "repository-name", "my repo", false));
    c.put("repository injection", mutateDetail(valid, "repository-name", "bff\"}", false));
    c.put("repository too long", mutateDetail(valid, "repository-name", "a".repeat(300), false));
    c.put("tag with slash", mutateDetail(valid, "image-tag", "1.0/../x", false));
    c.put("tag too long", mutateDetail(valid, "image-tag", "1".repeat(200), false));
    c.put("detail null", mutate(valid, "detail", null, false));
    Random r = new Random(7);
    for (int i = 0; i < 15; i++) {
      byte[] b = valid.getBytes(StandardCharsets.UTF_8);
      for (int k = 0; k < 3; k++) b[r.nextInt(b.length)] = (byte) "{}[]\",:x0 ".charAt(r.nextInt(10));
      c.put("byte flips #" + i, b);
    }
    return c;
  }

  @Test
  void malformedEventsEndInAClearErrorWithoutChangingAnyState(MotoServer moto) {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    String before = fx.currentTaskDefinition("bff").taskDefinition().taskDefinitionArn();
    ApiCallCounter counter = new ApiCallCounter();
    ByteArrayOutputStream logs = new ByteArrayOutputStream();
    var h = new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(moto.endpoint(), AwsFixture.FAST_SDK, counter),
        new PrintStream(logs, true, StandardCharsets.UTF_8), Clock.systemUTC());

    Map<String, byte[]> corpus = corpus();
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> unclear = new ArrayList<>();
    int accepted = 0;
    for (var e : corpus.entrySet()) {
      try {
        Outcome o = h.handle(e.getValue());
        // Some byte flips leave a valid event (e.g. a changed id); those must still behave normally.
        outcomes.merge("handled " + o.action() + " " + o.code(), 1, Integer::sum);
        accepted++;
      } catch (InvalidInputException ex) {
        outcomes.merge("InvalidInputException", 1, Integer::sum);
        String m = ex.getMessage();
        if (m == null || m.isBlank() || m.contains("\n") || m.length() > 300) unclear.add(e.getKey() + ": " + m);
      } catch (RuntimeException | StackOverflowError ex) {
        outcomes.merge("CRASH " + ex.getClass().getSimpleName(), 1, Integer::sum);
        unclear.add(e.getKey() + ": " + ex);
      }
    }
    System.out.printf("[bad-input] %d malformed/mutated events: %s; mutating AWS calls: %d; API calls: %s%n",
        corpus.size(), outcomes, counter.mutating(), counter.snapshot());

    assertThat(corpus.size()).isGreaterThanOrEqualTo(100);
    assertThat(unclear).isEmpty();
    assertThat(accepted).isLessThanOrEqualTo(3);
    assertThat(counter.mutating()).isZero();
    assertThat(fx.revisions("bff")).hasSize(1);
    assertThat(fx.currentTaskDefinition("bff").taskDefinition().taskDefinitionArn()).isEqualTo(before);
    assertThat(fx.releaseValue("bff")).isEqualTo(AwsFixture.PLACEHOLDER_IMAGE);
    assertThat(fx.clients().dynamo().scan(b -> b.tableName(fx.ledgerTable())).count()).isZero();
  }

  @Test
  void invalidEventsReturnAFailedOutcomeFromTheLambdaEntryPointInsteadOfThrowing(MotoServer moto) throws Exception {
    AwsFixture fx = AwsFixture.builder(moto.endpoint()).service("bff").provision();
    var h = new ImageDeployerHandler(fx.config(), AwsFixture.functionClients(moto.endpoint(), AwsFixture.FAST_SDK),
        new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    h.handleRequest(new java.io.ByteArrayInputStream(Events.resource("events/ecr-delete-bff.json")), out, null);

    Map<String, JsonNode> o = Json.object(Json.parse(out.toString(StandardCharsets.UTF_8)), "$");
    assertThat(o.get("action").asString()).isEqualTo("FAILED");
    assertThat(o.get("reason").asString()).startsWith("INVALID_EVENT: $.detail.action-type");
  }

  private static byte[] mutate(String json, String field, Object value, boolean remove) {
    Map<String, Object> m = toMap(Json.parse(json));
    if (remove) m.remove(field);
    else m.put(field, value);
    return write(m);
  }

  @SuppressWarnings("unchecked")
  private static byte[] mutateDetail(String json, String field, Object value, boolean remove) {
    Map<String, Object> m = toMap(Json.parse(json));
    Map<String, Object> d = (Map<String, Object>) m.get("detail");
    if (remove) d.remove(field);
    else d.put(field, value);
    return write(m);
  }

  private static byte[] write(Map<String, Object> m) {
    Json.Obj o = Json.obj();
    m.forEach(o::put);
    return Events.bytes(o.toString());
  }

  private static Map<String, Object> toMap(JsonNode n) {
    Map<String, Object> out = new LinkedHashMap<>();
    n.asObject().forEach((k, v) -> out.put(k, toJava(v)));
    return out;
  }

  private static Object toJava(JsonNode v) {
    if (v.isObject()) return toMap(v);
    if (v.isArray()) return v.asArray().stream().map(BadInputTest::toJava).toList();
    if (v.isString()) return v.asString();
    if (v.isNumber()) return Double.valueOf(v.asNumber());
    if (v.isBoolean()) return v.asBoolean();
    return null;
  }

  private static String describe(Object w) {
    return w instanceof String s && s.isEmpty() ? "empty string" : w.getClass().getSimpleName() + " " + w;
  }
}
