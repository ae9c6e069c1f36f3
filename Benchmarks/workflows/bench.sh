#!/usr/bin/env bash
# The README's first command, timed: `swift run paperflow run Workflows/` (a debug build, as
# users run it) on an empty store, then again with nothing to do. Issue 7's targets: the first
# run under 10 minutes at the default scale on two cores, the second under 2 seconds.
# No reference tool runs these workflows, so there is no ratio: the figures go to BENCHMARKS.md.
# It empties the project's store (Artifacts/); run it on a checkout you do not mind re-running.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product paperflow
rm -rf Artifacts/cas Artifacts/actions Artifacts/runs Artifacts/memo
for workflow in Workflows/*.yaml; do rm -rf "Artifacts/$(basename "$workflow" .yaml)"; done
seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
first=$(seconds swift run paperflow run Workflows/)
second=$(seconds swift run paperflow run Workflows/)
direct=$(seconds .build/debug/paperflow run Workflows/)
echo "first run (every stage):          ${first} s   (target < 600 s)"
echo "second run, swift run:             ${second} s   (target < 2 s)"
echo "second run, the binary directly:   ${direct} s"
