package io.gitops.sandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input to {@code release} and {@code dora}: one line on stderr, exit 2, before any AWS call or sandbox. */
class OperatorCliBadInputTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "release|usage: gitops release",
      "release bogus dev|unknown subcommand 'bogus'",
      "release status|status needs ENV",
      "release history dev|history needs ENV and SERVICE",
      "release freeze dev bff|freeze needs --reason TEXT",
      "release freeze dev bff --reason|--reason needs a value",
      "release rollback dev bff --to abc|malformed digest 'abc'",
      "release status dev --to sha256:x|--to does not apply to 'status'",
      "release status Prod!|malformed environment name 'Prod!'",
      "release redrive|redrive needs ENV",
      "release redrive dev test|redrive needs ENV",
      "release redrive dev --bogus|unexpected option '--bogus'",
      "release redrive dev --to sha256:x|--to does not apply to 'redrive'",
      "release status dev --dry-run|--dry-run applies to 'redrive' only",
      "release redrive Prod!|malformed environment name 'Prod!'",
      "dora|dora needs ENV",
      "dora dev --days many|--days needs a whole number",
      "dora dev --days 0|--days must be between 1 and 3660",
      "dora dev --weeks 2|unexpected option '--weeks'"})
  void badInputIsOneLineAndExitTwo(String args, String message) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = OperatorCli.run(args.split(" "), dir, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(exit).isEqualTo(2);
    assertThat(e.lines()).singleElement().asString().contains(message).doesNotContain("Exception");
  }
}
