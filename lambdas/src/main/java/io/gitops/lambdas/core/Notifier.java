package io.gitops.lambdas.core;

import software.amazon.awssdk.services.sns.SnsClient;

/** Notifications to the environment's alarm topic (SNS). The message is JSON; the subject is short text. */
public final class Notifier {
  private final SnsClient sns;
  private final String topicArn;

  public Notifier(SnsClient sns, String topicArn) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  /** Publishes; SNS subjects are limited to 100 characters, so the subject is cut. */
  public void publish(String subject, Json.Obj message) {
    String s = subject.length() > 100 ? subject.substring(0, 97) + "..." : subject;
    sns.publish(b -> b.topicArn(topicArn).subject(s).message(message.toString()));
  }
}
