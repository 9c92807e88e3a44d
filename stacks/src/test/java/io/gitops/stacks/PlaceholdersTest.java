package io.gitops.stacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gitops.stacks.config.DeployTarget;
import io.gitops.stacks.config.Placeholders;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PlaceholdersTest {

  @Test
  void theImageIsTheDigestPinnedEcrPublicImageInTheEnvironmentsOwnPullThroughCache() {
    assertThat(Placeholders.UPSTREAM_IMAGE).startsWith("public.ecr.aws/").matches(".+@sha256:[0-9a-f]{64}");
    String image = Placeholders.image(new DeployTarget("111111111111", "eu-west-1"), "prod");
    assertThat(image).isEqualTo("111111111111.dkr.ecr.eu-west-1.amazonaws.com/gitops-prod-ecr-public/"
        + "nginx/nginx-unprivileged@" + Placeholders.DIGEST);
    assertThat(Placeholders.image(new DeployTarget("111111111111", "cn-north-1"), "dev"))
        .startsWith("111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/");
    assertThat(Placeholders.RELEASE.matcher(image).matches()).isTrue();
  }

  @Test
  void anEnvironmentNameTooLongForAnEcrPrefixIsRefused() {
    assertThatThrownBy(() -> Placeholders.cachePrefix("a-very-long-environment"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long for an ECR pull-through cache prefix");
  }

  @Test
  void theCommandServesThePathPartOfTheHealthPath() {
    List<String> command = Placeholders.command("/graphql?query=%7B__typename%7D");
    assertThat(command.subList(0, 2)).containsExactly("sh", "-c");
    assertThat(command.get(2)).contains("location = /graphql {").doesNotContain("query=")
        .contains("exec nginx -e stderr -c /tmp/placeholder/nginx.conf -g 'daemon off;'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/a b", "/../etc/passwd", "/x;y", "/$uri", "/x\"y", "/x{y}", "/x\ny"})
  void aHealthPathThatCouldChangeTheConfigurationIsRefused(String path) {
    assertThatThrownBy(() -> Placeholders.command(path)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot be served by the placeholder");
  }
}
