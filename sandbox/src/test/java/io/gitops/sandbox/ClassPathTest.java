package io.gitops.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the sandbox (and so bin/gitops demo) runs with: nothing on its class path that prints at start. */
class ClassPathTest {

  /**
   * The functions' shaded jar carries the one SLF4J binding (slf4j-nop, optional in lambdas/pom.xml); a
   * second copy on the class path makes SLF4J print its "multiple bindings" lines on every start.
   */
  @Test
  void theClassPathHoldsExactlyOneSlf4jBinding() throws IOException {
    List<URL> bindings = Collections.list(Thread.currentThread().getContextClassLoader()
        .getResources("org/slf4j/impl/StaticLoggerBinder.class"));
    assertThat(bindings).hasSize(1);
  }
}
