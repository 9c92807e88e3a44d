# summary: check every synthesized template against its reviewed snapshot (pipeline/src/test/snapshots); --update rewrites them
# The test (TemplateSnapshotTest, part of bin/gitops test) never writes a snapshot. After a deliberate template
# change: run this with --update, review `git diff pipeline/src/test/snapshots`, commit the snapshots with the change.
update=false
for arg in "$@"; do
  case "$arg" in
    --update) update=true ;;
    *) gitops::die "snapshots: unknown option '$arg' (usage: bin/gitops snapshots [--update])" ;;
  esac
done
gitops::require java mvn
# package, not test: the CDK modules read the functions' shaded jar, which only package builds.
(cd "$GITOPS_ROOT" && "${GITOPS_MVN[@]}" package -pl pipeline -am -Dspotbugs.skip=true \
    -Dtest=TemplateSnapshotTest -Dsurefire.failIfNoSpecifiedTests=false -Dsnapshots.update="$update")
if [[ "$update" == true ]]; then
  gitops::log "snapshots rewritten; review them: git diff --stat pipeline/src/test/snapshots"
  (cd "$GITOPS_ROOT" && git status --short pipeline/src/test/snapshots | head -n 40)
else
  gitops::log "every template matches its snapshot"
fi
