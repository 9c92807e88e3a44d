# summary: monthly cost estimate per resource and per environment from the synthesized templates [ENV]
env_name="${1:-}"
if [[ ! -d "$GITOPS_ROOT/cdk.out" ]] || ! compgen -G "$GITOPS_ROOT/cdk.out/assembly-*/*.template.json" >/dev/null; then
  gitops::log "no synthesized templates in cdk.out: synthesizing first"
  gitops::build
  # cdk-nag findings fail the synth command but the templates are written; cost reads them anyway.
  gitops::synth || gitops::log "synth reported findings (see above); estimating from the templates written"
fi
[[ -f "$GITOPS_ROOT/pipeline/target/classpath.txt" && -d "$GITOPS_ROOT/pipeline/target/classes/io/gitops/cost" ]] \
  || gitops::build
(cd "$GITOPS_ROOT" && java -XX:TieredStopAtLevel=1 -Xshare:auto \
    -cp "pipeline/target/classes:$(cat pipeline/target/classpath.txt)" io.gitops.cost.CostReport \
    cdk.out docs/pricing/us-east-1.json ${env_name:+"$env_name"})
