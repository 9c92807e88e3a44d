package io.gitops.stacks.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The image a fresh environment starts from, before any service team has pushed one, and what it
 * is told to do.
 *
 * <p><b>What it is.</b> NGINX's own unprivileged nginx build, {@code nginx-unprivileged}, Alpine
 * variant, published on Amazon ECR Public (no Docker Hub rate limit on anonymous pulls from AWS), pinned
 * by digest. Tasks never pull it from there: their security groups reach only the VPC's endpoints and
 * S3, and VPC endpoints do not serve ECR Public. Each environment's storage stack has an ECR
 * pull-through cache rule for ECR Public and warms it ({@link #image}), and the release parameters
 * start at the cached copy in the environment's own registry. Per its documentation (github.com/nginxinc/docker-nginx-unprivileged): it runs as user
 * {@code nginx}, uid 101, never as root; it keeps its pid file and temporary files under
 * {@code /tmp}; Alpine's busybox provides {@code sh} and {@code wget}, which the container health
 * check needs. Its entrypoint runs any command other than {@code nginx} as given.
 *
 * <p><b>What it does here.</b> It does not run its default site (which answers only {@code /}).
 * While a service runs this image, the task definition gives it {@link #command(String)}: a
 * shell line that writes a one-server nginx configuration into {@code /tmp/placeholder} (a task
 * volume, so the root filesystem stays read-only) and runs nginx with it. That server listens on
 * {@code $PORT} (set by the task definition) and answers exactly one location, the service's health
 * path (GET and HEAD only), with 200 and the fixed text {@code placeholder}; everything else is
 * 404, other methods 403. It has no root directory, no proxying, no variables, no autoindex and
 * {@code server_tokens off}: nothing of the environment, the task or the filesystem can reach a
 * response. The command is attached through a CloudFormation condition (the image parameter equals
 * {@link #image}), marked with {@link #COMMAND_LABEL}, and the image deployer drops both when it
 * clones such a revision for a real image, so no real release ever inherits it.
 *
 * <p><b>How that was checked.</b> The script {@link #command(String)} returns was run with nginx
 * 1.22.1 (Debian bookworm), its listen address changed to 127.0.0.1 for the test: each service's
 * health path answered 200, while {@code /}, {@code /env}, another service's health path,
 * {@code /graphql/../etc/passwd} and {@code /%2e%2e/etc/passwd} answered 404 or 400 and a POST 403
 * (docs/release-parameters.md, "The placeholder"). Every path nginx writes to is set in the
 * configuration, under {@code /tmp/placeholder}; a read-only root filesystem was not simulated. <b>Not verified offline:</b>
 * this machine cannot reach a registry, so the digest below is the one that several public
 * projects pin for {@code nginx-unprivileged:1.29-alpine} (on Docker Hub and on ECR Public, where
 * NGINX publishes the same image), and the image's user, paths and tools are from its
 * documentation. README "Check the placeholder image" has the check to run before the first
 * deployment. The promotion step recognises the placeholder by this exact value and refuses to
 * promote it.
 */
public final class Placeholders {

  /** The pinned image's digest: the same bytes on ECR Public and in each environment's pull-through cache. */
  public static final String DIGEST = "sha256:0c79d56aee561a1d81c63f00eee5fb5fe29279560cdc55e91425133104c7fbe6";

  /** ECR Public, the upstream of every environment's pull-through cache rule. */
  public static final String UPSTREAM_REGISTRY = "public.ecr.aws";

  /** The image's repository on ECR Public, and under the cache prefix in each environment's registry. */
  public static final String UPSTREAM_REPOSITORY = "nginx/nginx-unprivileged";

  /** Where the image comes from (README, "Check the placeholder image"); no task pulls this reference. */
  public static final String UPSTREAM_IMAGE = UPSTREAM_REGISTRY + "/" + UPSTREAM_REPOSITORY + "@" + DIGEST;

  /** The tag this image was pinned from (documentation only; the digest is what is pulled). */
  public static final String PINNED_FROM_TAG = UPSTREAM_REGISTRY + "/" + UPSTREAM_REPOSITORY + ":1.29-alpine";

  /** ECR's limit on a pull-through cache rule's repository prefix (CreatePullThroughCacheRule). */
  static final int MAX_PREFIX_LENGTH = 30;

  /**
   * Docker label on a container while it runs the placeholder with {@link #command(String)}. The
   * image deployer removes the label and the command when it puts a real image into the container.
   */
  public static final String COMMAND_LABEL = "io.gitops-delivery.placeholder-command";

  /** Where the placeholder writes its configuration: a task volume, the root filesystem stays read-only. */
  public static final String WORK_DIR = "/tmp/placeholder";

  /** What a release looks like: an image reference pinned by a sha256 digest. */
  public static final Pattern RELEASE =
      Pattern.compile("[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}");

  private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");

  private Placeholders() {}

  /**
   * The repository prefix of an environment's pull-through cache rule for ECR Public. Per environment, so
   * environments sharing an account and region never share (or delete) each other's rule.
   */
  public static String cachePrefix(String environment) {
    String prefix = "gitops-" + environment + "-ecr-public";
    if (prefix.length() > MAX_PREFIX_LENGTH) {
      throw new IllegalArgumentException("environment name '" + environment + "' is too long for an ECR "
          + "pull-through cache prefix (" + prefix + " has more than " + MAX_PREFIX_LENGTH + " characters)");
    }
    return prefix;
  }

  /** The cache repository ECR creates for the placeholder on the first pull through the rule. */
  public static String cacheRepository(String environment) {
    return cachePrefix(environment) + "/" + UPSTREAM_REPOSITORY;
  }

  /**
   * The image a fresh environment starts from: the pinned digest, pulled from the environment's own
   * private registry through its pull-through cache rule, so tasks reach it over the VPC's ECR
   * endpoints and S3 like any release. A literal (the stacks' account and region are concrete), so
   * the task definitions' placeholder condition can compare it with a plain Fn::Equals.
   */
  public static String image(DeployTarget target, String environment) {
    // ECR's registry host names: amazonaws.com, amazonaws.com.cn in the China regions.
    String suffix = target.region().startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return target.account() + ".dkr.ecr." + target.region() + "." + suffix
        + "/" + cacheRepository(environment) + "@" + DIGEST;
  }

  /** Prints the placeholder's shell script for a health path (README, "Check the placeholder image"). */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: Placeholders HEALTH_PATH   (e.g. /api/health)");
      System.exit(2);
    }
    try {
      System.out.println(command(args[0]).get(2));
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  /**
   * The container command while the placeholder runs: answer {@code healthPath} (its path part;
   * a query string is ignored by nginx's location match) and nothing else, on {@code $PORT}.
   */
  public static List<String> command(String healthPath) {
    String path = healthPath.contains("?") ? healthPath.substring(0, healthPath.indexOf('?')) : healthPath;
    if (!SAFE_PATH.matcher(path).matches() || path.contains("..")) {
      throw new IllegalArgumentException("health path '" + healthPath + "' cannot be served by the placeholder");
    }
    String config = String.join("\n",
        "worker_processes 1;",
        "pid " + WORK_DIR + "/nginx.pid;",
        "error_log stderr warn;",
        "events { worker_connections 64; }",
        "http {",
        "  server_tokens off;",
        "  access_log off;",
        "  client_body_temp_path " + WORK_DIR + "/client_body;",
        "  proxy_temp_path " + WORK_DIR + "/proxy;",
        "  fastcgi_temp_path " + WORK_DIR + "/fastcgi;",
        "  uwsgi_temp_path " + WORK_DIR + "/uwsgi;",
        "  scgi_temp_path " + WORK_DIR + "/scgi;",
        "  default_type text/plain;",
        "  server {",
        "    listen ${PORT};",
        "    ${LISTEN6}",
        "    location = " + path + " {",
        "      limit_except GET { deny all; }",
        "      return 200 \"placeholder\\n\";",
        "    }",
        "    location / { return 404; }",
        "  }",
        "}");
    String script = "set -eu; mkdir -p " + WORK_DIR + "; "
        // IPv6 only where the task has it, as nginx's own entrypoint decides.
        + "LISTEN6=''; if [ -e /proc/net/if_inet6 ]; then LISTEN6=\"listen [::]:${PORT};\"; fi; "
        + "cat > " + WORK_DIR + "/nginx.conf <<EOF\n" + config + "\nEOF\n"
        + "exec nginx -e stderr -c " + WORK_DIR + "/nginx.conf -g 'daemon off;'";
    return List.of("sh", "-c", script);
  }
}
