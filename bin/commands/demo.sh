# summary: the whole event-driven flow on a local AWS emulator (moto), no account: push, roll out, roll back
# Build, synthesize, then run the scenario against moto_server on 127.0.0.1 (see docs/demo.md).
# Build and synth are skipped when cdk.out and the sandbox's classes are newer than every source
# (GITOPS_DEMO_REBUILD=1 forces them).
started=$SECONDS
gitops::ensure_python_tools
cd "$GITOPS_ROOT"
stale=1
if [[ "${GITOPS_DEMO_REBUILD:-}" != "1" && -f cdk.out/manifest.json && -f sandbox/target/classpath.txt \
      && -d sandbox/target/classes ]]; then
  newer="$(find pom.xml cdk.json buildspecs ./*/pom.xml ./*/src/main -newer cdk.out/manifest.json -type f -print -quit)"
  [[ -z "$newer" ]] && stale=0
fi
if ((stale)); then
  gitops::build
  gitops::log "synthesizing the app"
  gitops::synth
  gitops::log "build and synth took $((SECONDS - started)) s; running the demo"
else
  gitops::log "cdk.out and the build are up to date; running the demo"
fi
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" io.gitops.sandbox.cli.Demo \
  --cdk-out cdk.out --function-log .sandbox/demo-functions.log "$@"
