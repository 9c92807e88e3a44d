# summary: measure synth, tests, Lambda cold start (in-process runner and through the local Lambda host) and API calls; write docs/performance.md [--skip-tests] [--quick] [--host-only] [--powertools]
# Everything runs locally: the Lambda part against moto_server on 127.0.0.1, never AWS.
skip_tests=false
fast_runs=5
naive_runs="${GITOPS_BENCH_NAIVE_RUNS:-3}"
lambda_runs=5
warm_events=200
lambda_budget="${GITOPS_BENCH_LAMBDA_BUDGET_S:-240}"
host_rounds="${GITOPS_BENCH_HOST_ROUNDS:-5}"
host_only=false
powertools_only=false
# core/Log and core/Metrics swapped for Powertools (tools/bench/powertools): one more cold-start row.
powertools_jar=tools/bench/powertools/target/gitops-powertools-overlay.jar
for arg in "$@"; do
  case "$arg" in
    --skip-tests) skip_tests=true ;;
    --quick) fast_runs=2; naive_runs=1; lambda_runs=3; warm_events=50; lambda_budget=120; host_rounds=3 ;;
    --host-only) host_only=true ;;
    --powertools) powertools_only=true ;;
    *) gitops::die "bench: unknown option '$arg' (use --skip-tests, --quick, --host-only, --powertools)" ;;
  esac
done

# Cold start through the local Lambda host (fresh execution environment → first event, through the runtime
# interface client), on the synthesized dev stage in moto; writes a markdown fragment to $1.
host_bench() {
  (cd "$GITOPS_ROOT" && java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" io.gitops.sandbox.cli.HostColdStart \
      cdk.out tools/bench/target/gitops-lambdas-baseline.jar "$1" "$host_rounds") \
    >/dev/null
}

# --powertools: build, then only rows C and C-with-Powertools (fresh JVM to the first event, 7 rounds);
# prints the table (docs/performance.md records it with this command).
if [[ "$powertools_only" == true ]]; then
  gitops::require java mvn python3
  gitops::ensure_python_tools
  gitops::build -Pbench
  work="$(mktemp -d /tmp/gitops-bench.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  (cd "$GITOPS_ROOT" && java -XX:TieredStopAtLevel=1 -Djava.io.tmpdir="$work" \
      -Dgitops.bench.powertools="$powertools_jar" -Dgitops.bench.powertoolsOnly=true \
      -cp "tools/bench/target/classes:$(cat tools/bench/target/classpath.txt)" io.gitops.bench.ColdStartBench \
      lambdas/target/gitops-lambdas.jar tools/bench/target/gitops-lambdas-baseline.jar tools/bench/target/gitops-bench-runner.jar \
      "$work/powertools.md" "${GITOPS_BENCH_POWERTOOLS_RUNS:-7}") >/dev/null
  cat "$work/powertools.md"
  exit 0
fi

# --host-only: build, synth, and only the host rows; they replace the host section of docs/performance.md.
if [[ "$host_only" == true ]]; then
  gitops::require java mvn node python3
  gitops::ensure_python_tools
  gitops::build -Pbench
  gitops::synth
  work="$(mktemp -d /tmp/gitops-bench.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  host_bench "$work/host.md"
  python3 - "$GITOPS_ROOT/docs/performance.md" "$work/host.md" <<'PY'
import re, sys
doc, frag = open(sys.argv[1]).read(), open(sys.argv[2]).read().rstrip() + "\n"
head = "### Lambda through the local host"
if head in doc:
    start = doc.index(head)
    m = re.search(r"\n(### |_Whole bench)", doc[start + len(head):])
    end = start + len(head) + m.start() + 1 if m else len(doc)
    doc = doc[:start] + frag + "\n" + doc[end:]
else:
    i = doc.rfind("_Whole bench")
    doc = (doc[:i] + frag + "\n" + doc[i:]) if i >= 0 else doc + "\n" + frag
open(sys.argv[1], "w").write(doc)
PY
  gitops::log "wrote the host rows of docs/performance.md"
  cat "$work/host.md"
  exit 0
fi
gitops::require java mvn node python3
gitops::ensure_python_tools
gitops::ensure_node_modules
bench_started=$SECONDS
bench_load_start="$(cut -d" " -f1-3 /proc/loadavg)"
out_md="$GITOPS_ROOT/docs/performance.md"
work="$(mktemp -d /tmp/gitops-bench.XXXXXX)"
trap 'rm -rf "$work" "$GITOPS_ROOT/cdk.out.naive"' EXIT

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# 1. Build everything, the bench module (baseline jar, runner, orchestrator) included.
gitops::build -Pbench

# 2. Synth: the fast path (bin/cdk-app: java -cp on the recorded classpath, CDK validation off) against
#    the naive path (mvn exec:java as the app, CDK's built-in validation on), in the same run.
#    Both end with cdk-nag as a validation plugin; findings make `cdk synth` exit non-zero after the
#    templates are written, so the exit status is recorded, not fatal.
fast_cmd="cdk synth --quiet --no-notices --no-version-reporting --no-validation   (app: bin/cdk-app, CDK_VALIDATION=false)"
naive_app="mvn -e -q compile exec:java -pl pipeline -am"
naive_cmd="cdk synth --quiet --no-notices --no-version-reporting --app \"$naive_app\" -o cdk.out.naive   (CDK validation on)"
fast_times=(); fast_status=()
for ((i = 1; i <= fast_runs; i++)); do
  t0=$(now_ms)
  if gitops::synth >"$work/synth-fast-$i.log" 2>&1; then fast_status+=(0); else fast_status+=($?); fi
  fast_times+=($(( $(now_ms) - t0 )))
  compgen -G "$GITOPS_ROOT/cdk.out/assembly-*/*.template.json" >/dev/null \
    || { tail -n 20 "$work/synth-fast-$i.log" >&2; gitops::die "bench: the fast synth wrote no stage templates"; }
  gitops::log "synth fast path run $i: ${fast_times[-1]} ms (exit ${fast_status[-1]})"
done
naive_times=(); naive_status=()
for ((i = 1; i <= naive_runs; i++)); do
  t0=$(now_ms)
  if (cd "$GITOPS_ROOT" && rm -rf cdk.out.naive && env -u CDK_VALIDATION -u AWS_PROFILE -u AWS_ACCESS_KEY_ID \
        -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN node_modules/.bin/cdk synth --quiet --no-notices \
        --no-version-reporting --app "$naive_app" -o cdk.out.naive) >"$work/synth-naive-$i.log" 2>&1; then
    naive_status+=(0); else naive_status+=($?); fi
  naive_times+=($(( $(now_ms) - t0 )))
  # A run that wrote no stage templates measured a failure, not a synth: stop rather than report it.
  compgen -G "$GITOPS_ROOT/cdk.out.naive/assembly-*/*.template.json" >/dev/null \
    || { tail -n 20 "$work/synth-naive-$i.log" >&2; gitops::die "bench: the naive synth wrote no stage templates"; }
  gitops::log "synth naive path run $i: ${naive_times[-1]} ms (exit ${naive_status[-1]})"
done
fast_med=$(printf '%s\n' "${fast_times[@]}" | median)
naive_med=$(printf '%s\n' "${naive_times[@]}" | median)
ratio=$(awk -v a="$naive_med" -v b="$fast_med" 'BEGIN {printf "%.2f", a / b}')
same_templates="not compared"
if [[ -d "$GITOPS_ROOT/cdk.out.naive" ]]; then
  if diff -rq -x 'manifest.json' -x 'tree.json' -x '*.assets.json' -x 'cdk.out' -x '*.metadata.json' \
       "$GITOPS_ROOT/cdk.out" "$GITOPS_ROOT/cdk.out.naive" >/dev/null 2>&1; then
    same_templates="identical templates"
  else
    same_templates="templates differ (see diff -r cdk.out cdk.out.naive)"
  fi
fi

# 3. The full test suite (optional: it is the longest part).
test_line="not run (--skip-tests)"
if [[ "$skip_tests" == false ]]; then
  t0=$(now_ms)
  # Failing tests must not cut the timing short: every module's tests run, failures are counted.
  if (cd "$GITOPS_ROOT" && bin/gitops test -Dmaven.test.failure.ignore=true) >"$work/test.log" 2>&1; then
    test_status=0; else test_status=$?; fi
  test_ms=$(( $(now_ms) - t0 ))
  # bin/gitops test prints "junit: N passed, N failed, N skipped" (Maven itself runs quietly).
  failing=$(awk 'match($0, /junit: .*/) {$0 = substr($0, RSTART); printf "%d tests, %d failing or erroring", $2 + $4 + $6, $4; found = 1}
                 END {if (!found) printf "no JUnit totals (the suite stopped before them)"}' "$work/test.log")
  test_line="$(awk -v m="$test_ms" 'BEGIN {printf "%.0f s", m / 1000}') (exit $test_status; $failing)"
  ((test_status == 0)) || { gitops::log "bin/gitops test failed; its last lines:"; tail -n 15 "$work/test.log" >&2; }
  gitops::log "bin/gitops test: $test_line"
fi

# 4. Lambda cold start, warm latency, size, classes, API calls (bench module's orchestrator; owns its moto).
lambda_md="$work/lambda.md"
(cd "$GITOPS_ROOT" && java -XX:TieredStopAtLevel=1 -Djava.io.tmpdir="$work" -Dgitops.bench.powertools="$powertools_jar" \
    -cp "tools/bench/target/classes:$(cat tools/bench/target/classpath.txt)" io.gitops.bench.ColdStartBench lambdas/target/gitops-lambdas.jar tools/bench/target/gitops-lambdas-baseline.jar \
    tools/bench/target/gitops-bench-runner.jar "$lambda_md" "$lambda_runs" "$warm_events" "$lambda_budget") \
    2> >(tee "$work/lambda.err" >&2)
moto_pid=$(sed -n 's/^bench: moto_server pid \([0-9]*\).*/\1/p' "$work/lambda.err" | head -n 1)
if [[ -n "$moto_pid" ]] && kill -0 "$moto_pid" 2>/dev/null; then
  gitops::log "moto_server $moto_pid still running after the bench: stopping it"
  kill -9 "$moto_pid" 2>/dev/null || true
fi

host_md="$work/host.md"
host_bench "$host_md"

# 5. docs/performance.md: the hand-written header is kept; everything below the marker is regenerated.
marker='<!-- generated by bin/gitops bench: everything below this line is rewritten on each run -->'
header="$(awk -v m="$marker" '$0 == m {exit} {print}' "$out_md" 2>/dev/null || true)"
[[ -n "$header" ]] || header="# Performance"
synth_total_runs=$((fast_runs + naive_runs))
{
  echo "$header"
  echo "$marker"
  echo
  echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| machine | |"
  echo "| --- | --- |"
  echo "| CPUs (nproc) | $(nproc) |"
  echo "| CPU | $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) |"
  echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
  echo "| load average at start / end | $bench_load_start / $(cut -d' ' -f1-3 /proc/loadavg) |"
  echo "| java | $(java -version 2>&1 | head -n 2 | tr '\n' ' ') |"
  echo "| maven | $(mvn -v 2>/dev/null | head -n 1 | sed 's/\x1b\[[0-9;]*m//g') |"
  echo "| node / cdk CLI | $(node --version) / $(cd "$GITOPS_ROOT" && node_modules/.bin/cdk --version 2>/dev/null | head -n 1) |"
  echo "| git | $(cd "$GITOPS_ROOT" && git rev-parse --short HEAD)$(cd "$GITOPS_ROOT" && git diff --quiet || echo ' (with uncommitted changes)') |"
  echo
  echo "### Synth (pipeline stack and every stage)"
  echo
  echo "| path | command | runs (ms) | exit codes | median (s) |"
  echo "| --- | --- | --- | --- | ---: |"
  echo "| fast | \`$fast_cmd\` | ${fast_times[*]} | ${fast_status[*]} | $(awk -v m="$fast_med" 'BEGIN {printf "%.1f", m / 1000}') |"
  echo "| naive | \`$naive_cmd\` | ${naive_times[*]} | ${naive_status[*]} | $(awk -v m="$naive_med" 'BEGIN {printf "%.1f", m / 1000}') |"
  echo
  echo "Naive / fast: **${ratio}×** (target ≥ 2×). Naive runs: $naive_runs (each is slow; the median of fewer runs is noisier). Outputs: $same_templates."
  echo "A non-zero exit is cdk-nag reporting findings after the templates were written; both paths run it."
  echo
  echo "### Test suite"
  echo
  echo "\`bin/gitops test\` (mvn package with every module's tests, then synth with cdk-nag, then cfn-lint): **$test_line** (target < 5 min)."
  echo
  cat "$lambda_md"
  echo
  cat "$host_md"
  echo
  echo "_Whole bench: $((SECONDS - bench_started)) s. Command: \`bin/gitops bench $*\`._"
} >"$out_md.tmp"
mv "$out_md.tmp" "$out_md"
gitops::log "wrote docs/performance.md"
awk -v m="$marker" 'found {print} $0 == m {found = 1}' "$out_md"
