package io.gitops.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gitops.sandbox.EventRouter;
import io.gitops.sandbox.aws.CloudAssembly;
import io.gitops.sandbox.aws.Emulator;
import io.gitops.sandbox.aws.StageWiring;
import io.gitops.sandbox.aws.TemplateProvisioner;
import io.gitops.testing.Events;
import io.gitops.testing.MotoServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ecs.model.Service;

/**
 * The dev stage's EventBridge rules as the app synthesizes them, for the routing tests: each
 * {@code AWS::Events::Rule}'s {@code EventPattern} from the dev templates, its intrinsics
 * ({@code Fn::ImportValue} of the repositories, the cluster and the services) resolved to the physical names
 * the stage gets when the sandbox provisions it in moto.
 *
 * <p>The event fixtures name a placeholder cluster ({@code test-cluster}) and the services by their
 * repository ({@code bff}, {@code graphql}, {@code agentcore}); {@link #event} rewrites those identifiers to
 * the provisioned stage's, and leaves every other value (another cluster, an unmapped service) as written.
 * Provisioned once per JVM; only strings are kept, so later moto resets do not matter.
 */
final class DevStageRules {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FIXTURE_CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/test-cluster";
  private static final String FIXTURE_SERVICE = "arn:aws:ecs:us-east-1:123456789012:service/test-cluster/";

  private static DevStageRules instance;

  /** Pattern JSON by the rule's logical ID without CDK's hash suffix (ImagePushRule, TaskStateRule, ...). */
  private final Map<String, String> patterns = new LinkedHashMap<>();
  /** Which function each rule targets, by the same key. */
  private final Map<String, String> targets = new LinkedHashMap<>();
  /** The mapped repositories, in SERVICE_MAP order. */
  private final List<String> repositories = new ArrayList<>();
  /** Fixture identifier (quoted JSON string) → the provisioned stage's. */
  private final Map<String, String> identifiers = new LinkedHashMap<>();

  private DevStageRules() {
    Emulator emulator = new Emulator(MotoServer.shared().reset(), List.of());
    emulator.warmUp().join(); // moto loads each service on first use: seconds, beyond the SDK's call timeout
    TemplateProvisioner p = new TemplateProvisioner(CloudAssembly.load(SynthesizedApp.get().outdir, "dev"), emulator);
    p.provisionAll();
    StageWiring wiring = StageWiring.read(p);
    for (EventRouter.Rule r : wiring.rules()) {
      String id = r.name().replaceAll("^.*/", "").replaceAll("[0-9A-F]{8}$", "");
      patterns.put(id, r.pattern().toString());
      targets.put(id, r.function());
    }
    JsonNode serviceMap = parse(wiring.environments().get("image-deployer").get("SERVICE_MAP"));
    serviceMap.fields().forEachRemaining(e -> {
      String repository = e.getKey();
      repositories.add(repository);
      JsonNode target = e.getValue();
      Service svc = emulator.clients().ecs()
          .describeServices(b -> b.cluster(target.path("cluster").asText()).services(target.path("service").asText()))
          .services().get(0);
      identifiers.put(quoted(FIXTURE_CLUSTER), quoted(svc.clusterArn()));
      identifiers.put(quoted(FIXTURE_SERVICE + fixtureName(repository)), quoted(svc.serviceArn()));
      identifiers.put(quoted("service:" + fixtureName(repository)), quoted("service:" + svc.serviceName()));
      identifiers.put(quoted(fixtureName(repository)), quoted(repository));
    });
  }

  static synchronized DevStageRules get() {
    if (instance == null) instance = new DevStageRules();
    return instance;
  }

  /** The synthesized pattern of rule {@code id} (e.g. ImagePushRule), resolved. */
  String pattern(String id) {
    String p = patterns.get(id);
    if (p == null) throw new IllegalArgumentException("no rule " + id + " in the dev stage (rules: " + patterns.keySet() + ")");
    return p;
  }

  /** The function rule {@code id} targets (image-deployer, guard). */
  String target(String id) {
    return targets.get(id);
  }

  List<String> repositories() {
    return repositories;
  }

  /** A fixture event (e.g. {@code events/guard/task-running.json}) with the provisioned stage's identifiers. */
  String event(String fixture) {
    return withStageIdentifiers(Events.text(fixture));
  }

  String withStageIdentifiers(String event) {
    String out = event;
    for (Map.Entry<String, String> e : identifiers.entrySet()) out = out.replace(e.getKey(), e.getValue());
    return out;
  }

  /** The name the fixtures give the service of {@code repository}: the repository's own name, as the sandbox names it. */
  private static String fixtureName(String repository) {
    return repository;
  }

  private static String quoted(String s) {
    return "\"" + s + "\"";
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
