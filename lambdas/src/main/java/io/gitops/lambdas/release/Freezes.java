package io.gitops.lambdas.release;

import static io.gitops.lambdas.core.Attributes.s;
import static io.gitops.lambdas.core.Attributes.str;

import io.gitops.lambdas.core.LedgerItems;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * The freeze items of one environment's ledger ({@link LedgerItems#FREEZE_PK}): what {@code bin/gitops release
 * freeze|unfreeze} writes and what the image deployer's claim checks (docs/ledger.md, "Freezes").
 */
public final class Freezes {
  /** One freeze: {@code service} null for the whole environment. */
  public record Freeze(String service, String reason, String frozenAt, String frozenBy) {}

  private final DynamoDbClient dynamo;
  private final String table;
  private final Clock clock;

  public Freezes(DynamoDbClient dynamo, String table, Clock clock) {
    this.dynamo = dynamo;
    this.table = table;
    this.clock = clock;
  }

  /** Freezes {@code service} (null: the environment); a second freeze replaces the reason. */
  public void freeze(String service, String reason, String by) {
    Map<String, AttributeValue> item = new HashMap<>(LedgerItems.freezeKey(sk(service)));
    item.put("type", s("FREEZE"));
    if (service != null) item.put("service", s(service));
    item.put("reason", s(reason));
    item.put("frozenAt", s(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()));
    item.put("frozenBy", s(by));
    dynamo.putItem(b -> b.tableName(table).item(item));
  }

  /** Lifts the freeze; false if there was none. Frozen pushes stay FROZEN: nothing is replayed. */
  public boolean unfreeze(String service) {
    var old = dynamo.deleteItem(b -> b.tableName(table).key(LedgerItems.freezeKey(sk(service)))
        .returnValues(ReturnValue.ALL_OLD)).attributes();
    return old != null && !old.isEmpty();
  }

  /** Every freeze of the environment, the environment's own first. */
  public List<Freeze> list() {
    List<Freeze> out = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      var r = dynamo.query(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)
          .keyConditionExpression("pk = :pk").expressionAttributeValues(Map.of(":pk", s(LedgerItems.FREEZE_PK))));
      for (var i : r.items()) {
        boolean all = LedgerItems.FREEZE_ALL.equals(str(i, LedgerItems.SK));
        out.add(new Freeze(all ? null : str(i, "service"), str(i, "reason"), str(i, "frozenAt"), str(i, "frozenBy")));
      }
      start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    out.sort(java.util.Comparator.comparing((Freeze f) -> f.service() != null).thenComparing(
        f -> f.service() == null ? "" : f.service()));
    return out;
  }

  private static String sk(String service) {
    return service == null ? LedgerItems.FREEZE_ALL : LedgerItems.freezeSk(service);
  }
}
