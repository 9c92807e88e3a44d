# summary: the whole event-driven flow on a local AWS emulator (moto), no account: push, roll out, roll back
# Build, synthesize, then run the scenario against moto_server on 127.0.0.1 (see docs/demo.md).
started=$SECONDS
gitops::ensure_python_tools
gitops::build
gitops::log "synthesizing the app"
gitops::synth
gitops::log "build and synth took $((SECONDS - started)) s; running the demo"
cd "$GITOPS_ROOT"
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" io.gitops.sandbox.Demo \
  --cdk-out cdk.out --patterns lambdas/src/test/resources/patterns --function-log .sandbox/demo-functions.log "$@"
