package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Certificates and domain names from context: prod never synthesizes without a certificate. */
class CertificateSettingsTest {

  private static final String PROD_CERTIFICATE =
      "arn:aws:acm:us-east-1:333333333333:certificate/c0ffee00-0000-4000-8000-00000000c0de";

  private static PipelineSettings settings(Map<String, Object> context) {
    return PipelineSettings.fromContext(context::get, Path.of("buildspecs"));
  }

  @Test
  void prodWithoutACertificateFailsWithOneClearMessage() {
    assertThatThrownBy(() -> settings(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("prod: a production environment needs an ACM certificate for prod.gitops.example.com "
            + "(context gitops:prodCertificateArn); it never serves plain HTTP");
  }

  @Test
  void theCdkJsonPlaceholdersGiveProdHttpsAndEveryEnvironmentADomainName() {
    PipelineSettings settings = settings(SynthesizedApp.cdkJsonContext());
    assertThat(settings.environment("prod").certificateArn()).contains(PROD_CERTIFICATE);
    assertThat(settings.environment("dev").certificateArn()).isEmpty();
    assertThat(settings.environment("test").domainName()).isEqualTo("test.gitops.example.com");
  }

  @Test
  void eachHttpOnlyEnvironmentIsWarnedAboutOnceAndProdNever() {
    PipelineSettings settings = settings(SynthesizedApp.cdkJsonContext());
    assertThat(GitOpsApp.httpOnlyWarnings(settings.environments()))
        .hasSize(2)
        .anySatisfy(line -> assertThat(line).startsWith("gitops: warning: environment 'dev' has no certificate"))
        .anySatisfy(line -> assertThat(line).contains("'test'").contains("test.gitops.example.com"))
        .noneSatisfy(line -> assertThat(line).contains("'prod'"));
  }

  @Test
  void aCertificateMustBeAnAcmArnOfThatEnvironmentsAccountAndRegion() {
    Map<String, Object> context = new HashMap<>(Map.of("gitops:prodCertificateArn", PROD_CERTIFICATE));
    context.put("gitops:devCertificateArn", PROD_CERTIFICATE);
    assertThatThrownBy(() -> settings(context))
        .hasMessageContaining("gitops:devCertificateArn names a certificate in 333333333333/us-east-1, "
            + "but dev's ALB is in 111111111111/us-east-1");
    context.put("gitops:devCertificateArn", "arn:aws:iam::111111111111:server-certificate/x");
    assertThatThrownBy(() -> settings(context)).hasMessageContaining("must be an ACM certificate ARN");
  }

  @Test
  void domainNamesComeFromContextAndMustBeDnsNames() {
    Map<String, Object> context = new HashMap<>(Map.of("gitops:prodCertificateArn", PROD_CERTIFICATE,
        "gitops:prodDomainName", "shop.example.org"));
    assertThat(settings(context).environment("prod").domainName()).isEqualTo("shop.example.org");
    context.put("gitops:prodDomainName", "not a name");
    assertThatThrownBy(() -> settings(context)).hasMessageContaining("domain name 'not a name' is not a DNS name");
  }
}
