# summary: DORA's five delivery measures from the ledger, per service and in total: dora ENV [--days N] (docs/dora.md)
# Sourced by bin/gitops. Same target as 'release': the running sandbox when it runs ENV, otherwise the account of
# the current AWS credentials. Exit: 0 printed, 1 an AWS failure, 2 bad input.
cd "$GITOPS_ROOT"
gitops::require java
if [[ ! -f sandbox/target/classpath.txt || ! -d sandbox/target/classes ]] \
    || [[ -n "$(find lambdas/src/main sandbox/src/main contract/src/main -newer sandbox/target/classpath.txt -print -quit)" ]]; then
  { gitops::build >&2 && touch sandbox/target/classpath.txt; } || gitops::die "the build failed"
fi
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" \
  io.gitops.sandbox.OperatorCli dora "$@"
