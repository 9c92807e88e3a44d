# summary: the pipeline's first run into empty emulated accounts (one per environment): stacks, steps, tasks, checks; exit 1 names the first blocker
# Build and synth when cdk.out is missing or older than the sources, then play the run (sandbox/.../sim/pipeline/FirstRun).
gitops::ensure_python_tools
cd "$GITOPS_ROOT"
stale=1
if [[ -f cdk.out/manifest.json && -f sandbox/target/classpath.txt && -d sandbox/target/classes ]]; then
  newer="$(find pom.xml cdk.json buildspecs ./*/pom.xml ./*/src/main -newer cdk.out/manifest.json -type f -print -quit)"
  [[ -z "$newer" ]] && stale=0
fi
if ((stale)); then
  gitops::build
  gitops::synth
fi
# The run ends with one push to dev inside dev's emulated account: the sandbox's ARNs name that account.
dev_account="$(python3 -c 'import json,glob,sys
m = json.load(open(glob.glob("cdk.out/assembly-*-dev/manifest.json")[0]))
print(next(a["environment"].split("/")[2] for a in m["artifacts"].values() if a["type"] == "aws:cloudformation:stack"))')" \
  || gitops::die "no dev stage in cdk.out (run 'bin/gitops synth')"
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dgitops.sandbox.account="$dev_account" \
  -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" io.gitops.sandbox.cli.FirstRunCli --cdk-out cdk.out "$@"
