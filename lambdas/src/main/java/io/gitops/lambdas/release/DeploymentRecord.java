package io.gitops.lambdas.release;

import static io.gitops.lambdas.core.Attributes.s;
import static io.gitops.lambdas.core.Attributes.str;

import io.gitops.lambdas.core.DeploymentStatus;
import io.gitops.lambdas.core.LedgerItems;
import io.gitops.lambdas.core.Owner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A ledger deployment item with the timestamps the delivery metrics need ({@code Deployment} leaves them out):
 * when it went out ({@code releasedAt}; a pipeline deployment's record time), when the guard last changed its
 * status ({@code statusChangedAt}), and an operator's rollback ({@code rolledBackAt}).
 */
public record DeploymentRecord(String service, String digest, String tag, Owner owner, DeploymentStatus status,
    Instant pushTime, Instant releasedAt, Instant statusChangedAt, Instant rolledBackAt, boolean byOperator) {

  /** When it reached the service: released by the deployer, or recorded from the pipeline's deployment. */
  public Instant deployedAt() {
    if (releasedAt != null) return releasedAt;
    return owner == Owner.PIPELINE ? pushTime : null;
  }

  static DeploymentRecord from(Map<String, AttributeValue> i) {
    var d = LedgerItems.fromItem(i);
    return new DeploymentRecord(d.service(), d.digest(), d.tag(), d.owner(), d.status(), d.pushTime(),
        instant(i, "releasedAt"), instant(i, "statusChangedAt"), instant(i, "rolledBackAt"),
        "OPERATOR".equals(str(i, "rolledBackBy")));
  }

  /** Every deployment item of {@code service}, oldest push first. */
  public static List<DeploymentRecord> read(DynamoDbClient dynamo, String table, String service) {
    List<DeploymentRecord> out = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      var r = dynamo.query(b -> b.tableName(table).consistentRead(true).exclusiveStartKey(from)
          .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
          .expressionAttributeValues(Map.of(":pk", s(LedgerItems.servicePk(service)),
              ":prefix", s(LedgerItems.DEPLOYMENT_PREFIX))));
      r.items().forEach(i -> out.add(from(i)));
      start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    out.sort(Comparator.comparing(DeploymentRecord::pushTime));
    return out;
  }

  private static Instant instant(Map<String, AttributeValue> i, String k) {
    String v = str(i, k);
    return v == null ? null : Instant.parse(v);
  }
}
