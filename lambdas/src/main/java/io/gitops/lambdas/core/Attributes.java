package io.gitops.lambdas.core;

import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Update;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/** DynamoDB attribute values to and from Java, for the ledger classes ({@link Ledger}, {@link LedgerItems}, the guard's GuardLedger). */
public final class Attributes {
  private Attributes() {}

  public static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  public static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }

  public static String str(Map<String, AttributeValue> i, String k) {
    AttributeValue v = i == null ? null : i.get(k);
    return v == null ? null : v.s();
  }

  public static Long num(Map<String, AttributeValue> i, String k) {
    AttributeValue v = i == null ? null : i.get(k);
    return v == null || v.n() == null ? null : Long.parseLong(v.n());
  }

  /** A transaction's update as a single UpdateItem request (the same key, expressions and values). */
  public static UpdateItemRequest request(Update u) {
    return UpdateItemRequest.builder().tableName(u.tableName()).key(u.key()).updateExpression(u.updateExpression())
        .conditionExpression(u.conditionExpression()).expressionAttributeNames(u.expressionAttributeNames())
        .expressionAttributeValues(u.expressionAttributeValues()).build();
  }
}
