package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.cost.CostReport;
import io.gitops.cost.PriceTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/cost.md's generated part is what {@code bin/gitops cost --write-docs} would write from the templates
 * of this commit: the estimate in the docs is never edited by hand, nor left behind by a template change.
 */
class CostDocTest {

  @Test
  void docsCostMdIsWhatTheCostCommandWouldWrite() throws IOException {
    Path doc = SynthesizedApp.ROOT.resolve("docs/cost.md");
    Path prices = SynthesizedApp.ROOT.resolve("docs/pricing/us-east-1.json");
    String text = Files.readString(doc);
    int marker = text.indexOf(CostReport.DOCS_MARKER);
    assertThat(marker).as("the generated-part marker in docs/cost.md").isGreaterThanOrEqualTo(0);
    Path assembly = SynthesizedApp.get().outdir;
    String expected = CostReport.docsSection(
        CostReport.estimates(CostReport.environments(assembly), prices, null), PriceTable.load(prices).collected());
    assertThat(text.substring(marker))
        .as("docs/cost.md is out of date with the templates: run `bin/gitops cost --write-docs` and review the diff")
        .isEqualTo(expected);
  }
}
