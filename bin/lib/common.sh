# Shared helpers for bin/gitops subcommands. Sourced, never executed.
# Every helper is idempotent: it checks before it installs or builds.

# jsii prints a banner on every JVM start under Node 20; it is noise in every command here.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# CDK's built-in CloudFormation validation costs ~4.7 s per JVM and duplicates what
# cfn-lint and cdk-nag already check on every template (see docs/performance.md).
export CDK_VALIDATION="${CDK_VALIDATION:-false}"
# Never reach for real AWS from a local command: no credentials, no IMDS probing.
export AWS_EC2_METADATA_DISABLED=true

# -T 1C: a module builds as soon as the modules it declares are built, one thread per core; the functions
# (lambdas) and the CDK stacks (stacks) build and test side by side.
GITOPS_MVN=(mvn -B -q -T 1C -Dstyle.color=never)
GITOPS_MOTO_VERSION=5.2.1
GITOPS_CFNLINT_VERSION=1.51.0
# The Control Tower proactive controls and the cfn-guard binary that runs them (package.json).
GITOPS_CFNGUARD_PACKAGE=node_modules/@cdklabs/cdk-validator-cfnguard

gitops::die() { echo "gitops: $*" >&2; exit 1; }
gitops::log() { echo "gitops: $*" >&2; }

gitops::require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || gitops::die "'$tool' is required but not on PATH (see README: Prerequisites)"
  done
}

# Node packages (the aws-cdk CLI) come from the lockfile, never from a global install.
gitops::ensure_node_modules() {
  gitops::require node npm
  if [[ ! -x "$GITOPS_ROOT/node_modules/.bin/cdk" || ! -d "$GITOPS_ROOT/$GITOPS_CFNGUARD_PACKAGE" \
      || "$GITOPS_ROOT/package-lock.json" -nt "$GITOPS_ROOT/node_modules/.package-lock.json" ]]; then
    gitops::log "installing the aws-cdk CLI and the Control Tower rules from package-lock.json (npm ci)"
    (cd "$GITOPS_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# Python tools used by tests and gates, pinned; installed only when missing or at another version.
gitops::ensure_python_tools() {
  gitops::require python3
  local want=()
  python3 -c "import moto, sys; sys.exit(0 if moto.__version__ == '$GITOPS_MOTO_VERSION' else 1)" 2>/dev/null \
    || want+=("moto[server]==$GITOPS_MOTO_VERSION")
  [[ "$(cfn-lint --version 2>/dev/null)" == "cfn-lint $GITOPS_CFNLINT_VERSION" ]] \
    || want+=("cfn-lint==$GITOPS_CFNLINT_VERSION")
  if ((${#want[@]})); then
    gitops::log "installing ${want[*]} with pip"
    python3 -m pip install --quiet --disable-pip-version-check "${want[@]}"
  fi
  command -v moto_server >/dev/null 2>&1 || gitops::die "moto_server is not on PATH after installing moto[server]"
}

# Builds every module (lambda jar first, then the CDK code) without running tests,
# and records the pipeline module's runtime classpath for the cdk.json app command.
gitops::build() {
  gitops::require java mvn
  gitops::log "building (mvn package -DskipTests)"
  # build-classpath runs in the same reactor, so pipeline's classpath points at the fresh module jars.
  # -Dspotbugs.skip: the SnapStart rules gate bin/gitops test, not every build (they cost ~20 s).
  (cd "$GITOPS_ROOT" && "${GITOPS_MVN[@]}" package dependency:build-classpath -DskipTests -Dspotbugs.skip=true \
      -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt "$@")
}

# Synthesizes the whole app (pipeline stack and every stage) into cdk.out, offline.
gitops::synth() {
  gitops::ensure_node_modules
  (cd "$GITOPS_ROOT" && rm -rf cdk.out && env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
      -u AWS_SESSION_TOKEN node_modules/.bin/cdk synth --quiet --no-notices --no-version-reporting \
      --no-validation "$@")
}

# AWS Control Tower's proactive controls on every template in cdk.out; failures not accepted in
# .cfn-guard-exceptions.yaml fail the command (bin/lib/control_tower_gate.py).
gitops::control_tower_gate() {
  local os arch
  case "$(uname -s)" in Darwin) os=macos ;; *) os=ubuntu ;; esac
  case "$(uname -m)" in arm64|aarch64) arch=aarch64 ;; *) arch=x86_64 ;; esac
  python3 "$GITOPS_ROOT/bin/lib/control_tower_gate.py" \
    --cfn-guard "$GITOPS_ROOT/$GITOPS_CFNGUARD_PACKAGE/bin/$os/$arch/cfn-guard" \
    --rules "$GITOPS_ROOT/$GITOPS_CFNGUARD_PACKAGE/rules/control-tower" \
    --exceptions "$GITOPS_ROOT/.cfn-guard-exceptions.yaml" "$@" "$GITOPS_ROOT/cdk.out"
}

# Runs the operator's commands (io.gitops.sandbox.cli.OperatorCli: release, dora), building first when the sources
# are newer than the last build. Against the running sandbox when it runs ENV, otherwise the account of the
# current AWS credentials.
gitops::operator_cli() {
  cd "$GITOPS_ROOT"
  gitops::require java
  if [[ ! -f sandbox/target/classpath.txt || ! -d sandbox/target/classes ]] \
      || [[ -n "$(find lambdas/src/main sandbox/src/main contract/src/main -newer sandbox/target/classpath.txt -print -quit)" ]]; then
    { gitops::build >&2 && touch sandbox/target/classpath.txt; } || gitops::die "the build failed"
  fi
  exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" \
    io.gitops.sandbox.cli.OperatorCli "$@"
}
