package io.gitops.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.gitops.cost.CostEstimator;
import io.gitops.cost.CostReport;
import io.gitops.cost.Estimate;
import io.gitops.cost.PriceTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The plan's budget: the dev environment, as synthesized from this commit (the shared synthesis, no extra
 * synth), priced from the committed us-east-1 table, stays under $500 a month.
 */
class DevBudgetTest {
  static final double DEV_BUDGET_USD = 500;

  @Test
  void devEstimateStaysUnderBudget() throws Exception {
    SynthesizedApp app = SynthesizedApp.get();
    Path devAssembly;
    try (var dirs = Files.list(app.outdir)) {
      devAssembly = dirs.filter(d -> d.getFileName().toString().matches("assembly-.*-dev")).findFirst().orElseThrow();
    }
    List<CostEstimator.Template> templates = CostReport.templates(devAssembly);
    assertThat(templates).as("dev templates in %s", devAssembly).isNotEmpty();
    Estimate dev = new CostEstimator(PriceTable.load(SynthesizedApp.ROOT.resolve("docs/pricing/us-east-1.json")))
        .estimate("dev", templates);
    assertThat(dev.total())
        .as("dev estimate over the $%s budget:%n%s", DEV_BUDGET_USD, CostReport.detail(dev))
        .isLessThan(DEV_BUDGET_USD);
  }
}
