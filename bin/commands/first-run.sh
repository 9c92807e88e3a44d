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
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" io.gitops.sandbox.cli.FirstRunCli --cdk-out cdk.out "$@"
