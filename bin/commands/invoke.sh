# summary: run a function once through the local Lambda host: invoke image-deployer|guard --event FILE [--verbose] (--in-process for the old in-JVM call)
# Sourced by bin/gitops. Runs io.gitops.sandbox.cli.HostInvoke: one synchronous invocation of a function of the
# running sandbox (bin/gitops sandbox up), in its own JVM through the runtime interface client, with the
# environment, credentials and timeout the synthesized template gives it. Prints one JSON outcome on stdout.
# Exit: 0 handled (including skips and recorded permanent failures), 1 would be retried, 2 bad input or a
# function that cannot start. --in-process runs the handler in this JVM with this shell's environment.
cd "$GITOPS_ROOT"
gitops::require java
if [[ ! -f sandbox/target/classpath.txt || ! -d sandbox/target/classes || ! -f lambdas/target/gitops-lambdas.jar ]] \
    || [[ -n "$(find lambdas/src/main sandbox/src/main lambdas/pom.xml sandbox/pom.xml -newer sandbox/target/classpath.txt -print -quit)" ]]; then
  gitops::build >&2 || gitops::die "the build failed"
fi
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "sandbox/target/classes:$(cat sandbox/target/classpath.txt)" \
  io.gitops.sandbox.cli.HostInvoke "$@"
