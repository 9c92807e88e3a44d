# summary: run a function once on an event file: invoke image-deployer|guard --event FILE [--endpoint URL] [--verbose]
# Sourced by bin/gitops. Runs io.gitops.lambdas.cli.Invoke from the shaded lambdas jar, with the same
# environment variables the stack sets (docs/lambda-config.md). Prints one JSON outcome on stdout.
# Exit: 0 handled (including skips and recorded permanent failures), 1 would be retried, 2 bad input.

gitops::invoke_jar() {
  local jar="$GITOPS_ROOT/lambdas/target/gitops-lambdas.jar"
  if [[ ! -f "$jar" ]] || [[ -n "$(find "$GITOPS_ROOT/lambdas/src/main" "$GITOPS_ROOT/lambdas/pom.xml" -newer "$jar" -print -quit)" ]]; then
    gitops::require java mvn
    gitops::log "building the lambdas jar (mvn -pl lambdas package -DskipTests)"
    (cd "$GITOPS_ROOT" && "${GITOPS_MVN[@]}" -pl lambdas package -DskipTests -Dspotbugs.skip=true >&2) \
      || gitops::die "building the lambdas jar failed"
  fi
  printf '%s' "$jar"
}

gitops::require java
jar="$(gitops::invoke_jar)"
# The same JIT setting as Lambda's Java runtimes: faster start for a single event.
exec java -XX:+TieredCompilation -XX:TieredStopAtLevel=1 -cp "$jar" io.gitops.lambdas.cli.Invoke "$@"
