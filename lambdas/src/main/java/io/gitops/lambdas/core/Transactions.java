package io.gitops.lambdas.core;

import java.util.List;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * {@code TransactWriteItems} with DynamoDB's cancellation reasons read: a transaction cancelled for a
 * {@code TransactionConflict}, throttling or an internal error is tried again here (a few times, briefly);
 * only one cancelled on its conditions alone ({@code ConditionalCheckFailed}) reaches the caller as a lost race.
 * Anything else is rethrown as is, and {@link Failures#isTransient} classifies it as transient, so the event is
 * retried by Lambda instead of being taken for a lost race (which would drop a HEALTHY mark or keep a lock).
 */
public final class Transactions {
  public static final int ATTEMPTS = 3;

  private Transactions() {}

  /**
   * Writes the items. Throws {@link TransactionCanceledException} only when the conditions failed
   * ({@link Failures#conditionsFailedOnly}); any other cancellation after {@link #ATTEMPTS} tries is rethrown
   * too, but callers must let it propagate (see {@link #lostRace}).
   */
  public static void write(DynamoDbClient dynamo, List<TransactWriteItem> items) {
    for (int attempt = 1; ; attempt++) {
      try {
        dynamo.transactWriteItems(b -> b.transactItems(items));
        return;
      } catch (TransactionCanceledException e) {
        if (Failures.conditionsFailedOnly(e) || !Failures.cancelledTransiently(e) || attempt >= ATTEMPTS) throw e;
        sleep(10L << attempt);
      }
    }
  }

  /** Rethrows {@code e} unless it is a lost race (conditions failed, nothing else). */
  public static void lostRace(TransactionCanceledException e) {
    if (!Failures.conditionsFailedOnly(e)) throw e;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }
}
