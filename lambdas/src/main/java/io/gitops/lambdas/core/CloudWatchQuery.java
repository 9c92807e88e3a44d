package io.gitops.lambdas.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.regions.Region;

/**
 * CloudWatch's {@code GetMetricData} and {@code PutMetricData} over its Query protocol (form-encoded POST,
 * XML answer, SigV4), which CloudWatch still serves (CloudWatch API reference, "Making API requests":
 * Query requests). The SDK's CloudWatch client speaks only Smithy RPC v2 CBOR since 2.40, which the local
 * emulator does not: this small client works against both, and keeps the CloudWatch module (and its CBOR
 * stack) out of the functions' jar.
 */
public final class CloudWatchQuery {
  private static final String VERSION = "2010-08-01";

  /** One metric series: namespace, name, dimensions (name → value) and the statistic. */
  public record Series(String namespace, String metricName, Map<String, String> dimensions, String stat) {}

  /** One series' answer: the data points' values, oldest first. Empty when CloudWatch has none. */
  public record Values(List<Double> values) {
    public Optional<Double> sum() {
      return values.isEmpty() ? Optional.empty() : Optional.of(values.stream().mapToDouble(Double::doubleValue).sum());
    }

    public Optional<Double> max() {
      return values.stream().max(Double::compare);
    }
  }

  private final SdkHttpClient http;
  private final URI endpoint;
  private final Region region;
  private final AwsCredentialsProvider credentials;
  private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

  public CloudWatchQuery(SdkHttpClient http, Optional<URI> endpointOverride, Region region,
      AwsCredentialsProvider credentials) {
    this.http = http;
    this.region = region;
    this.credentials = credentials;
    this.endpoint = endpointOverride.orElse(URI.create("https://monitoring." + region.id() + ".amazonaws.com"));
  }

  public static CloudWatchQuery create(AwsClients.Settings settings, SdkHttpClient http) {
    return new CloudWatchQuery(http, settings.endpoint(), settings.region(), settings.credentials());
  }

  /**
   * The data points of each series between {@code from} and {@code to}, at {@code periodSeconds} resolution.
   * A CloudWatch error or an unreadable answer throws {@link RetryableException} (a later call may work).
   */
  public List<Values> get(List<Series> series, Instant from, Instant to, int periodSeconds) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("Action", "GetMetricData");
    form.put("Version", VERSION);
    form.put("StartTime", iso(from));
    form.put("EndTime", iso(to));
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      String p = "MetricDataQueries.member." + (i + 1) + ".";
      form.put(p + "Id", "m" + i);
      form.put(p + "ReturnData", "true");
      form.put(p + "MetricStat.Metric.Namespace", s.namespace());
      form.put(p + "MetricStat.Metric.MetricName", s.metricName());
      int d = 1;
      for (Map.Entry<String, String> dim : s.dimensions().entrySet()) {
        form.put(p + "MetricStat.Metric.Dimensions.member." + d + ".Name", dim.getKey());
        form.put(p + "MetricStat.Metric.Dimensions.member." + d + ".Value", dim.getValue());
        d++;
      }
      form.put(p + "MetricStat.Period", Integer.toString(periodSeconds));
      form.put(p + "MetricStat.Stat", s.stat());
    }
    Document doc = call(form);
    Map<String, List<Double>> byId = new LinkedHashMap<>();
    NodeList results = doc.getElementsByTagName("MetricDataResults");
    for (int r = 0; r < results.getLength(); r++) {
      for (Element member : children((Element) results.item(r), "member")) {
        String id = text(member, "Id");
        List<Double> values = new ArrayList<>();
        for (Element v : children(first(member, "Values"), "member")) {
          values.add(Double.parseDouble(v.getTextContent().trim()));
        }
        byId.put(id, values);
      }
    }
    List<Values> out = new ArrayList<>();
    for (int i = 0; i < series.size(); i++) {
      out.add(new Values(List.copyOf(byId.getOrDefault("m" + i, List.of()))));
    }
    return out;
  }

  /** Writes one value per series at {@code at} (the sandbox's traffic, and tests' recorded series). */
  public void put(String namespace, Map<Series, Double> values, Instant at) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("Action", "PutMetricData");
    form.put("Version", VERSION);
    form.put("Namespace", namespace);
    int i = 1;
    for (Map.Entry<Series, Double> e : values.entrySet()) {
      String p = "MetricData.member." + i++ + ".";
      form.put(p + "MetricName", e.getKey().metricName());
      form.put(p + "Value", Double.toString(e.getValue()));
      form.put(p + "Timestamp", iso(at));
      int d = 1;
      for (Map.Entry<String, String> dim : e.getKey().dimensions().entrySet()) {
        form.put(p + "Dimensions.member." + d + ".Name", dim.getKey());
        form.put(p + "Dimensions.member." + d + ".Value", dim.getValue());
        d++;
      }
    }
    call(form);
  }

  private Document call(Map<String, String> form) {
    StringBuilder body = new StringBuilder();
    form.forEach((k, v) -> {
      if (body.length() > 0) body.append('&');
      body.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
    });
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    SdkHttpRequest request = SdkHttpRequest.builder()
        .method(SdkHttpMethod.POST)
        .uri(endpoint.resolve("/"))
        .putHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        .putHeader("Content-Length", Integer.toString(bytes.length))
        .build();
    SignedRequest signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
        .request(request)
        .payload(ContentStreamProvider.fromByteArray(bytes))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "monitoring")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region.id()));
    try {
      HttpExecuteResponse response = http.prepareRequest(HttpExecuteRequest.builder()
          .request(signed.request())
          .contentStreamProvider(signed.payload().orElse(null))
          .build()).call();
      byte[] answer;
      try (InputStream in = response.responseBody().map(InputStream.class::cast).orElse(InputStream.nullInputStream())) {
        answer = in.readAllBytes();
      }
      int status = response.httpResponse().statusCode();
      if (status / 100 == 4 && status != 429 && !new String(answer, StandardCharsets.UTF_8).contains("Throttling")) {
        throw new Refused("CloudWatch " + form.get("Action") + " refused the request (" + status + "): "
            + new String(answer, StandardCharsets.UTF_8).strip());
      }
      if (status / 100 != 2) {
        throw new RetryableException("CloudWatch " + form.get("Action") + " answered " + status + ": "
            + new String(answer, StandardCharsets.UTF_8).strip(), null);
      }
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return f.newDocumentBuilder().parse(new ByteArrayInputStream(answer));
    } catch (IOException e) {
      throw new RetryableException("CloudWatch " + form.get("Action") + " failed: " + e.getMessage(), e);
    } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
      throw new RetryableException("CloudWatch " + form.get("Action") + " answered something other than XML: "
          + e.getMessage(), e);
    }
  }

  /**
   * CloudWatch refused the request itself (a 4xx other than throttling: bad parameters, access denied): asking
   * again the same way gets the same answer. Throttling, 5xx answers and I/O errors stay plain
   * {@link RetryableException}s.
   */
  public static final class Refused extends RetryableException {
    public Refused(String message) {
      super(message, null);
    }
  }

  private static String iso(Instant t) {
    return t.truncatedTo(ChronoUnit.MILLIS).toString();
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    if (parent == null) return out;
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && name.equals(e.getLocalName() == null ? e.getTagName() : e.getLocalName())) {
        out.add(e);
      }
    }
    return out;
  }

  private static Element first(Element parent, String name) {
    List<Element> c = children(parent, name);
    return c.isEmpty() ? null : c.get(0);
  }

  private static String text(Element parent, String name) {
    Element e = first(parent, name);
    return e == null ? "" : e.getTextContent().trim();
  }
}
