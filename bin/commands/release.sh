# summary: operate releases: status ENV | history ENV SERVICE | rollback ENV SERVICE [--to DIGEST] | freeze ENV [SERVICE] --reason TEXT | unfreeze ENV [SERVICE]
# Sourced by bin/gitops. Runs io.gitops.sandbox.OperatorCli: against the running sandbox when it runs ENV
# (bin/gitops sandbox up), otherwise against the account of the current AWS credentials (the SDK's default
# chain). Exit: 0 done, 1 busy (try again) or an AWS failure, 2 bad input or a refusal.
cd "$GITOPS_ROOT"
gitops::require java
if [[ ! -f sandbox/target/classpath.txt || ! -d sandbox/target/classes ]] \
    || [[ -n "$(find lambdas/src/main sandbox/src/main contract/src/main -newer sandbox/target/classpath.txt -print -quit)" ]]; then
  { gitops::build >&2 && touch sandbox/target/classpath.txt; } || gitops::die "the build failed"
fi
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" \
  io.gitops.sandbox.OperatorCli release "$@"
