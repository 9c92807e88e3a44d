package io.gitops.sandbox.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * {@code bin/gitops release redrive ENV [--dry-run]}: re-delivers the events parked in the functions' on-failure
 * queues, oldest event first, each through the function that parked it, and reports each outcome. A message is
 * deleted only once its event was handled (the function answered); one whose function fails again stays parked,
 * visible again for the next redrive. The functions are idempotent (the ledger's conditional writes), and an event
 * parked twice (Lambda's record and EventBridge's dead letter of the same event) is delivered once.
 *
 * <p>Two shapes are parked there: Lambda's on-failure destination record (the event under {@code requestPayload})
 * and EventBridge's dead letter for a target it could not invoke (the event itself).
 */
final class Redrive {

  /** How one function's parked events are re-delivered: its on-failure queue and a synchronous invocation. */
  interface Function {
    String name();

    String queueUrl();

    /**
     * One synchronous invocation with {@code event}; what follows from it (the sandbox's cascade) is printed.
     * {@code target} is the function (alias) ARN the parked record names, or null when it names none.
     */
    Outcome invoke(byte[] event, String target, PrintStream out);
  }

  /** The function's answer, or its error. */
  record Outcome(boolean handled, String payload, String error) {}

  /** A parked event, as read from its queue. */
  record Parked(Function function, Message message, JsonNode event, String eventTime, long sentAt, String shape,
      String target) {
    String key() {
      return function.name() + "#" + event.path("id").asText(message.messageId());
    }
  }

  /** Long enough for a redrive to finish before a message it holds reappears for someone else. */
  static final int VISIBILITY_SECONDS = 900;

  private final SqsClient sqs;
  private final List<Function> functions;
  private final PrintStream out;

  Redrive(SqsClient sqs, List<Function> functions, PrintStream out) {
    this.sqs = sqs;
    this.functions = List.copyOf(functions);
    this.out = out;
  }

  /** Returns how many events are still parked afterwards (0: the queues are empty). */
  int run(String env, boolean dryRun) {
    List<Parked> parked = new ArrayList<>();
    List<Message> unreadable = new ArrayList<>();
    Map<Message, Function> owners = new LinkedHashMap<>();
    for (Function f : functions) {
      for (Message m : receiveAll(f.queueUrl())) {
        owners.put(m, f);
        Parked p = parse(f, m);
        if (p == null) unreadable.add(m);
        else parked.add(p);
      }
    }
    // The original order: the events' own time (EventBridge's "time"), then when they were parked.
    parked.sort(Comparator.comparing(Parked::eventTime).thenComparingLong(Parked::sentAt));
    out.printf("%s: %d parked event(s) in %d on-failure queue(s)%s%n", env, parked.size() + unreadable.size(),
        functions.size(), dryRun ? " (dry run: nothing is delivered or deleted)" : "");
    for (Message m : unreadable) {
      out.printf("  %s: message %s is neither a Lambda destination record nor an event: left parked: %s%n",
          owners.get(m).name(), m.messageId(), Views.trim(m.body()));
    }
    int left = unreadable.size();
    Set<String> delivered = new LinkedHashSet<>();
    int n = 0;
    for (Parked p : parked) {
      n++;
      String what = String.format("%d. %s %s %s (%s, parked as %s)", n, p.function().name(), p.event().path("detail-type")
          .asText("event"), p.event().path("id").asText("-"), p.eventTime(), p.shape());
      if (dryRun) {
        out.println("  " + what + ": would be re-delivered");
        release(p.message(), owners.get(p.message()));
        continue;
      }
      if (!delivered.add(p.key())) {
        // The same event parked twice: delivered once above; this copy is handled by that delivery.
        delete(p);
        out.println("  " + what + ": DUPLICATE of an event delivered above, deleted");
        continue;
      }
      Outcome o = p.function().invoke(p.event().toString().getBytes(StandardCharsets.UTF_8), p.target(), out);
      if (o.handled()) {
        delete(p);
        out.println("  " + what + ": " + describe(o.payload()) + "; deleted from the queue");
      } else {
        release(p.message(), p.function());
        left++;
        out.println("  " + what + ": FAILED again (" + Views.trim(o.error()) + "); left parked");
      }
    }
    if (dryRun) return parked.size() + unreadable.size();
    out.printf("%s: %d re-delivered, %d still parked%n", env, parked.size() - (left - unreadable.size()), left);
    return left;
  }

  private List<Message> receiveAll(String queueUrl) {
    List<Message> all = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    while (true) {
      List<Message> page = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(0)
          .visibilityTimeout(VISIBILITY_SECONDS)
          .messageSystemAttributeNames(MessageSystemAttributeName.SENT_TIMESTAMP)
          .messageAttributeNames("All")).messages();
      if (page.isEmpty()) return all;
      for (Message m : page) {
        if (seen.add(m.messageId())) all.add(m);
      }
      if (all.size() > 10_000) throw new SandboxException(queueUrl + " holds more than 10000 messages: redrive it in parts");
    }
  }

  private static Parked parse(Function f, Message m) {
    JsonNode body;
    try {
      body = CloudAssembly.JSON.readTree(m.body());
    } catch (java.io.IOException e) {
      return null;
    }
    long sent = Long.parseLong(m.attributes().getOrDefault(MessageSystemAttributeName.SENT_TIMESTAMP, "0"));
    if (body.has("requestPayload") && body.get("requestPayload").isObject()) {
      JsonNode event = body.get("requestPayload");
      return new Parked(f, m, event, event.path("time").asText(body.path("timestamp").asText("")), sent,
          "Lambda's on-failure record (" + body.path("requestContext").path("condition").asText("?") + ")",
          body.path("requestContext").path("functionArn").asText(null));
    }
    if (body.has("detail-type") && body.has("source")) {
      // EventBridge names the target it could not invoke in the message's attributes (EventBridge user guide,
      // "Using dead-letter queues to process undelivered events").
      var target = m.messageAttributes().get("TARGET_ARN");
      return new Parked(f, m, body, body.path("time").asText(""), sent, "EventBridge's dead letter",
          target == null ? null : target.stringValue());
    }
    return null;
  }

  /** What the function said, in one line: its action and reason when it answered the usual outcome. */
  private static String describe(String payload) {
    try {
      JsonNode o = CloudAssembly.JSON.readTree(payload == null ? "null" : payload);
      if (o.has("action")) {
        return o.path("action").asText() + (o.has("reason") ? " (" + o.path("reason").asText() + ")" : "");
      }
    } catch (java.io.IOException e) {
      // not JSON: shown as it is
    }
    return "handled: " + Views.trim(String.valueOf(payload));
  }

  private void delete(Parked p) {
    sqs.deleteMessage(b -> b.queueUrl(p.function().queueUrl()).receiptHandle(p.message().receiptHandle()));
  }

  /** Visible again at once: a dry run, or an event that failed again, is left for the next redrive. */
  private void release(Message m, Function f) {
    sqs.changeMessageVisibility(b -> b.queueUrl(f.queueUrl()).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
  }
}
