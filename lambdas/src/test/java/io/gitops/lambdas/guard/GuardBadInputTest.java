package io.gitops.lambdas.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.lambdas.core.InvalidInputException;
import io.gitops.lambdas.core.Json;
import io.gitops.testing.Events;
import io.gitops.testing.MotoExtension;
import io.gitops.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.protocols.jsoncore.JsonNode;

/**
 * Malformed and mutated events: each ends in one clear error (naming the field), makes no AWS call at all,
 * and never crashes the process. The mutations start from the documented fixtures.
 */
@ExtendWith(MotoExtension.class)
class GuardBadInputTest {
  private static final List<String> BASES = List.of("task-stopped-essential-exit", "task-running",
      "deployment-completed", "deployment-failed");

  @Test
  void everyMalformedEventEndsInAClearErrorWithoutAnAwsCall(MotoServer moto) {
    GuardHarness h = new GuardHarness(moto.endpoint());
    GuardHandler g = h.guard();
    Map<String, byte[]> cases = cases();
    Map<String, Integer> byField = new TreeMap<>();
    int errors = 0;
    for (Map.Entry<String, byte[]> c : cases.entrySet()) {
      try {
        GuardOutcome o = g.handle(c.getValue());
        throw new AssertionError(c.getKey() + " was accepted: " + o);
      } catch (InvalidInputException e) {
        errors++;
        assertThat(e.getMessage()).as(c.getKey()).isNotBlank().doesNotContain("\n");
        String m = e.getMessage();
        byField.merge(m.startsWith("$") ? m.substring(0, Math.max(1, m.indexOf(':'))) : m.split(":")[0], 1,
            Integer::sum);
      }
    }
    System.out.printf("[guard bad input] cases=%d clearErrors=%d apiCalls=%d byField=%s%n", cases.size(), errors,
        h.calls.total(), byField);
    assertThat(cases).hasSizeGreaterThanOrEqualTo(100);
    assertThat(errors).isEqualTo(cases.size());
    assertThat(h.calls.total()).isZero();
  }

  @Test
  void theLambdaEntryPointAnswersAFailedOutcomeInsteadOfThrowing(MotoServer moto) throws Exception {
    GuardHandler g = new GuardHarness(moto.endpoint()).guard();
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    g.handleRequest(new java.io.ByteArrayInputStream(Events.bytes("{\"source\":\"aws.ecs\"")), out, null);

    var o = Json.object(Json.parse(out.toString(StandardCharsets.UTF_8)), "$");
    assertThat(o.get("action").asString()).isEqualTo("FAILED");
    assertThat(o.get("reason").asString()).startsWith("INVALID_EVENT: malformed JSON");
  }

  @Test
  void aMisroutedEcrEventIsRejectedByItsSource() {
    assertThatThrownBy(() -> GuardEventParser.parse(Events.resource("events/ecr-push-bff.json")))
        .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("$.source: expected \"aws.ecs\"");
  }

  // ------------------------------------------------------------------------------------------------

  private static Map<String, byte[]> cases() {
    Map<String, byte[]> c = new LinkedHashMap<>();
    c.put("empty", new byte[0]);
    c.put("blank", Events.bytes("   "));
    c.put("open brace", Events.bytes("{"));
    c.put("array", Events.bytes("[]"));
    c.put("null", Events.bytes("null"));
    c.put("number", Events.bytes("42"));
    c.put("string", Events.bytes("\"ECS Task State Change\""));
    c.put("binary", new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe});
    c.put("oversized", Events.bytes("{\"pad\":\"" + "x".repeat(300 * 1024) + "\"}"));
    for (String base : BASES) {
      String text = Events.text("events/guard/" + base + ".json");
      c.put(base + " truncated", Events.bytes(text.substring(0, text.length() / 2)));
      top(c, base, "remove source", e -> e.remove("source"));
      top(c, base, "remove detail-type", e -> e.remove("detail-type"));
      top(c, base, "remove id", e -> e.remove("id"));
      top(c, base, "remove time", e -> e.remove("time"));
      top(c, base, "remove detail", e -> e.remove("detail"));
      top(c, base, "source aws.ecr", e -> e.put("source", "aws.ecr"));
      top(c, base, "other detail-type", e -> e.put("detail-type", "ECS Container Instance State Change"));
      top(c, base, "time not a date", e -> e.put("time", "yesterday"));
      top(c, base, "detail an array", e -> e.put("detail", List.of()));
      top(c, base, "detail a string", e -> e.put("detail", "x"));
      top(c, base, "source a number", e -> e.put("source", 7));
    }
    for (String base : List.of("task-stopped-essential-exit", "task-running")) {
      for (String f : List.of("clusterArn", "taskArn", "taskDefinitionArn", "lastStatus", "updatedAt")) {
        detail(c, base, "remove " + f, d -> d.remove(f));
        detail(c, base, f + " null", d -> d.put(f, null));
        detail(c, base, f + " a number", d -> d.put(f, 42));
        detail(c, base, f + " garbage", d -> d.put(f, "arn:aws:s3:::not-it"));
      }
      detail(c, base, "remove version", d -> d.remove("version"));
      detail(c, base, "version a string", d -> d.put("version", "4"));
      detail(c, base, "version negative", d -> d.put("version", -1));
      detail(c, base, "version fractional", d -> d.put("version", 1.5));
      detail(c, base, "containers a string", d -> d.put("containers", "app"));
      detail(c, base, "containers of numbers", d -> d.put("containers", List.of(1, 2)));
      detail(c, base, "container without a name", d -> d.put("containers", List.of(Map.of("exitCode", 1))));
      detail(c, base, "group a number", d -> d.put("group", 5));
      detail(c, base, "stopCode a number", d -> d.put("stopCode", 7));
      detail(c, base, "startedAt not a date", d -> d.put("startedAt", "soon"));
    }
    detail(c, "task-stopped-essential-exit", "stopped without a cause", d -> {
      d.remove("stopCode");
      d.remove("stoppedReason");
    });
    for (String base : List.of("deployment-completed", "deployment-failed")) {
      detail(c, base, "remove eventName", d -> d.remove("eventName"));
      detail(c, base, "eventName unknown", d -> d.put("eventName", "SERVICE_DEPLOYMENT_EXPLODED"));
      detail(c, base, "eventName a number", d -> d.put("eventName", 3));
      detail(c, base, "remove deploymentId", d -> d.remove("deploymentId"));
      detail(c, base, "deploymentId null", d -> d.put("deploymentId", null));
      detail(c, base, "remove updatedAt", d -> d.remove("updatedAt"));
      detail(c, base, "updatedAt not a date", d -> d.put("updatedAt", "later"));
      top(c, base, "no resources", e -> e.put("resources", List.of()));
      top(c, base, "resources not a service", e -> e.put("resources", List.of("arn:aws:s3:::bucket")));
      top(c, base, "two resources", e -> e.put("resources", List.of(
          "arn:aws:ecs:us-east-1:123456789012:service/test-cluster/bff",
          "arn:aws:ecs:us-east-1:123456789012:service/test-cluster/graphql")));
      top(c, base, "resources a string", e -> e.put("resources", "arn:aws:ecs:us-east-1:123456789012:service/a/b"));
    }
    return c;
  }

  private static void top(Map<String, byte[]> c, String base, String name, Consumer<Map<String, Object>> mutate) {
    Map<String, Object> e = load(base);
    mutate.accept(e);
    c.put(base + " " + name, Events.bytes(write(e)));
  }

  @SuppressWarnings("unchecked")
  private static void detail(Map<String, byte[]> c, String base, String name, Consumer<Map<String, Object>> mutate) {
    Map<String, Object> e = load(base);
    mutate.accept((Map<String, Object>) e.get("detail"));
    c.put(base + " detail " + name, Events.bytes(write(e)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(String base) {
    return (Map<String, Object>) toJava(Json.parse(Events.text("events/guard/" + base + ".json")));
  }

  private static Object toJava(JsonNode n) {
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      n.asObject().forEach((k, v) -> m.put(k, toJava(v)));
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.asArray().forEach(v -> l.add(toJava(v)));
      return l;
    }
    if (n.isString()) return n.asString();
    if (n.isNumber()) return new java.math.BigDecimal(n.asNumber());
    if (n.isBoolean()) return n.asBoolean();
    return null;
  }

  private static String write(Map<String, Object> e) {
    Json.Obj o = Json.obj();
    e.forEach(o::put);
    return o.toString();
  }
}
