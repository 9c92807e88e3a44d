#!/usr/bin/env bash
# Regenerates the CDK-synthesized test assemblies from GenerateAssembly.java (needs `bin/gitops synth` to
# have built the pipeline module, for its classpath).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cp="$(cat "${GITOPS_CLASSPATH_FILE:-$root/pipeline/target/classpath.txt}")"
work="$(mktemp -d)"
javac -d "$work/classes" -cp "$cp" "$here/GenerateAssembly.java"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_VALIDATION=false
for variant in "" bff; do
  out="$work/out-$variant"
  java -cp "$work/classes:$cp" GenerateAssembly "$out" "$variant"
  dest="$root/sandbox/src/test/resources/fixture-assembly${variant:+-without-$variant}"
  rm -rf "$dest" && mkdir -p "$dest"
  src="$(find "$out" -maxdepth 1 -type d -name 'assembly-*-dev')"
  mkdir -p "$dest/$(basename "$src")"
  cp "$src"/manifest.json "$src"/*.template.json "$dest/$(basename "$src")/"
done
rm -rf "$work"
