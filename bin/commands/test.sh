# summary: the full test suite: unit and emulator tests, synth, cdk-nag, cfn-lint and the Control Tower controls on every template
started=$SECONDS
gitops::ensure_python_tools
gitops::ensure_node_modules
# The buildspecs' shell steps are tested with the AWS CLI, as CodeBuild runs them (it is not pip-installed here).
python3 -c "import awscli" 2>/dev/null \
  || gitops::die "the AWS CLI for python3 is missing (pip package awscli): the tests run buildspecs/promote.sh with it"

# 1. Every module's tests (the lambda jar is packaged before the CDK modules' tests need it),
#    including the CDK template, contract and cdk-nag tests.
gitops::log "running the test suite (mvn package)"
suite_started=$SECONDS
suite_epoch=$(date +%s)
(cd "$GITOPS_ROOT" && "${GITOPS_MVN[@]}" package dependency:build-classpath \
    -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt "$@")

# Maven runs quietly; count what Surefire ran from its reports so the total is visible. The newline
# first: Maven's last output line may end without one.
echo
python3 - "$GITOPS_ROOT" "$suite_epoch" <<'PY'
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

# 2. The real app through the CDK CLI (cdk-nag runs as a validation plugin: findings fail synth).
gitops::log "mvn package and every module's tests took $((SECONDS - suite_started)) s"
gitops::log "synthesizing the app (cdk-nag on every stack)"
synth_started=$SECONDS
gitops::synth
gitops::log "synth took $((SECONDS - synth_started)) s"

# 3 and 4, side by side (both only read cdk.out): cfn-lint on every template (accepted warnings are listed in
# .cfnlintrc.yaml), and AWS Control Tower's proactive controls (cfn-guard; exceptions are reviewed in
# .cfn-guard-exceptions.yaml). Each one's output is shown whole, after it ends.
mapfile -t templates < <(find "$GITOPS_ROOT/cdk.out" -name '*.template.json' | sort)
((${#templates[@]} > 3)) || gitops::die "expected the pipeline and stage templates in cdk.out, found ${#templates[@]}"
gitops::log "cfn-lint and the Control Tower controls on every template (in parallel)"
checks_started=$SECONDS
checks="$(mktemp -d)"
(cd "$GITOPS_ROOT" && cfn-lint --non-zero-exit-code error -- "${templates[@]}") >"$checks/lint.log" 2>&1 &
lint_pid=$!
gitops::control_tower_gate >"$checks/gate.log" 2>&1 &
gate_pid=$!
lint_status=0; gate_status=0
wait "$lint_pid" || lint_status=$?
wait "$gate_pid" || gate_status=$?
cat "$checks/lint.log" "$checks/gate.log"
rm -rf "$checks"
((lint_status == 0)) || gitops::die "cfn-lint found errors (above)"
gitops::log "cfn-lint: ${#templates[@]} templates, no errors"
((gate_status == 0)) || gitops::die "the Control Tower gate failed (above)"
gitops::log "cfn-lint and the Control Tower gate passed in $((SECONDS - checks_started)) s"

gitops::log "all checks passed in $((SECONDS - started)) s"
