# summary: the local sandbox by hand: up [--endpoint URL] | push SERVICE TAG [--broken] | status | down
# 'up' builds and synthesizes first (unless GITOPS_SANDBOX_NO_BUILD=1; GITOPS_CDK_OUT picks another cloud
# assembly); state lives in .sandbox/.
cd "$GITOPS_ROOT"
if [[ "${1:-}" == "up" && "${GITOPS_SANDBOX_NO_BUILD:-}" != "1" ]]; then
  gitops::ensure_python_tools
  gitops::build
  gitops::synth
fi
if [[ ! -f sandbox/target/classpath.txt || ! -d sandbox/target/classes ]]; then
  gitops::die "the sandbox is not built; run 'bin/gitops sandbox up' (it builds first)"
fi
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dgitops.cdk.out="${GITOPS_CDK_OUT:-cdk.out}" \
  -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" io.gitops.sandbox.cli.SandboxCli "$@"
