# summary: the full test suite: unit and emulator tests, synth, cdk-nag, cfn-lint and the Control Tower controls on every template
started=$SECONDS
gitops::ensure_python_tools
gitops::ensure_node_modules
# The buildspecs' shell steps are tested with the AWS CLI, as CodeBuild runs them (it is not pip-installed here).
python3 -c "import awscli" 2>/dev/null \
  || gitops::die "the AWS CLI for python3 is missing (pip package awscli): the tests run buildspecs/promote.sh with it"

# 1. Every module's tests (the lambda jar is packaged before the CDK modules' tests need it), including the
#    CDK template, contract and cdk-nag tests; and, beside the pipeline module's tests, once its compiled app
#    and classpath exist (written at process-classes), 2. the real app through the CDK CLI (cdk-nag runs as a
#    validation plugin: findings fail synth), then 3. cfn-lint (accepted warnings: .cfnlintrc.yaml) and 4.
#    AWS Control Tower's proactive controls (cfn-guard; reviewed exceptions: .cfn-guard-exceptions.yaml) on
#    every template, side by side. Nothing the tests read is written by those, nor the reverse.
checks="$(mktemp -d)"
trap 'rm -rf "$checks"' EXIT
# Removed first: Maven leaves an unchanged classpath file as it is, and this run's must be waited for.
classpath="$GITOPS_ROOT/pipeline/target/classpath.txt"
rm -f "$classpath"
run_checks() {
  # Wait for this run's app classpath, or for Maven's end (then the build failed before the app).
  until [[ -f "$classpath" || -f "$checks/maven-done" ]]; do sleep 1; done
  [[ -f "$classpath" ]] || { echo "the app was not built" >"$checks/failed"; return 1; }
  local synth_started=$SECONDS
  gitops::log "synthesizing the app (cdk-nag on every stack)"
  gitops::synth || { echo "synth failed (above)" >"$checks/failed"; return 1; }
  gitops::log "synth took $((SECONDS - synth_started)) s"
  local templates
  mapfile -t templates < <(find "$GITOPS_ROOT/cdk.out" -name '*.template.json' | sort)
  if ((${#templates[@]} <= 3)); then
    echo "expected the pipeline and stage templates in cdk.out, found ${#templates[@]}" >"$checks/failed"
    return 1
  fi
  local checks_started=$SECONDS lint_status=0 gate_status=0
  gitops::log "cfn-lint and the Control Tower controls on every template (in parallel)"
  (cd "$GITOPS_ROOT" && cfn-lint --non-zero-exit-code error -- "${templates[@]}") >"$checks/lint.log" 2>&1 &
  local lint_pid=$!
  gitops::control_tower_gate >"$checks/gate.log" 2>&1 &
  local gate_pid=$!
  wait "$lint_pid" || lint_status=$?
  wait "$gate_pid" || gate_status=$?
  cat "$checks/lint.log" "$checks/gate.log"
  ((lint_status == 0)) || { echo "cfn-lint found errors (above)" >"$checks/failed"; return 1; }
  gitops::log "cfn-lint: ${#templates[@]} templates, no errors"
  ((gate_status == 0)) || { echo "the Control Tower gate failed (above)" >"$checks/failed"; return 1; }
  gitops::log "cfn-lint and the Control Tower gate passed in $((SECONDS - checks_started)) s"
}
run_checks >"$checks/checks.log" 2>&1 &
checks_pid=$!

gitops::log "running the test suite (mvn package), with synth and the template checks beside the last module's tests"
suite_started=$SECONDS
suite_epoch=$(date +%s)
suite_status=0
(cd "$GITOPS_ROOT" && "${GITOPS_MVN[@]}" package dependency:build-classpath \
    -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt "$@") || suite_status=$?
touch "$checks/maven-done"

# Maven runs quietly; count what Surefire ran from its reports so the total is visible. The newline
# first: Maven's last output line may end without one.
echo
count_status=0
python3 - "$GITOPS_ROOT" "$suite_epoch" <<'PY' || count_status=$?
import glob, os, sys, xml.etree.ElementTree as ET
tests = failed = skipped = 0
# Modules sit one or two levels down (tools/cost).
reports = [r for level in ("/*", "/*/*") for r in glob.glob(sys.argv[1] + level + "/target/surefire-reports/TEST-*.xml")]
for report in reports:
    # Only this run's reports: one left by a test class since deleted must not count.
    if os.path.getmtime(report) < float(sys.argv[2]):
        continue
    suite = ET.parse(report).getroot()
    tests += int(suite.get("tests", 0))
    failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped += int(suite.get("skipped", 0))
print(f"junit: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if tests == 0 or failed else 0)
PY
gitops::log "mvn package and every module's tests took $((SECONDS - suite_started)) s"

checks_status=0
wait "$checks_pid" || checks_status=$?
cat "$checks/checks.log"
((suite_status == 0 && count_status == 0)) || gitops::die "the test suite failed (above)"
((checks_status == 0)) || gitops::die "$(cat "$checks/failed" 2>/dev/null || echo "synth or the template checks failed (above)")"

gitops::log "all checks passed in $((SECONDS - started)) s"
