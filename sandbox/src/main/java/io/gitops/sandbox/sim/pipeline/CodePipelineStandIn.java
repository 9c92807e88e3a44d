package io.gitops.sandbox.sim.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.gitops.sandbox.SandboxException;
import io.gitops.sandbox.aws.CloudAssembly;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * CodePipeline's {@code ListActionExecutions} for the one pipeline execution the first run plays (the pipeline
 * itself is not deployed into moto): the manual approvals given so far, with their comments as the
 * {@code externalExecutionSummary} CodePipeline reports. The ConfirmBroadening step's real command reads them
 * through {@code AWS_ENDPOINT_URL_CODEPIPELINE}.
 */
final class CodePipelineStandIn implements AutoCloseable {
  private final HttpServer server;

  private CodePipelineStandIn(HttpServer server) {
    this.server = server;
  }

  static CodePipelineStandIn start(List<String[]> approvals, String executionId) {
    try {
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      s.createContext("/", x -> {
        String target = String.valueOf(x.getRequestHeaders().getFirst("X-Amz-Target"));
        ObjectNode body = CloudAssembly.JSON.createObjectNode();
        int status = 200;
        if (target.endsWith(".ListActionExecutions")) {
          ArrayNode details = body.putArray("actionExecutionDetails");
          for (String[] a : approvals) {
            ObjectNode d = details.addObject();
            d.put("pipelineExecutionId", executionId).put("stageName", a[0]).put("actionName", a[1]).put("status", "Succeeded");
            d.putObject("output").putObject("executionResult").put("externalExecutionSummary", a[2]);
          }
        } else {
          status = 400;
          body.put("__type", "UnknownOperationException").put("message", target + " is not played by the first run");
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
      });
      s.start();
      return new CodePipelineStandIn(s);
    } catch (IOException e) {
      throw new SandboxException("cannot serve CodePipeline's stand-in: " + e.getMessage());
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
