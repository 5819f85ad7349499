#!/bin/bash
# Where the CPU of `learning.conf` goes beside `none.conf`, in warm workers: runs `bench --compare` with one process per
# configuration and records every CPU (perf, call graphs) during the durable measured rounds only, with the JIT's
# symbols written to /tmp/perf-<pid>.map. Then groups the samples of each worker by the frames on their stacks.
#
#   benchmarks/profile/perf-compare.sh <published ProfilePipeline.Node.dll> <folder with none.conf and learning.conf> [seconds]
#
# Needs perf (linux-perf) and python3. Prints the workers' shares of their own samples per group (perf-groups.py).
set -euo pipefail
here=$(dirname "$(realpath "$0")")   # before the cd below: $0 may be relative
dll=$(realpath "$1"); configs=$(realpath "$2"); seconds=${3:-100}
out=$(mktemp -d /tmp/perf-compare.XXXX)
export DOTNET_PerfMapEnabled=1            # JIT-compiled methods by name in /tmp/perf-<pid>.map
export DOTNET_EnableWriteXorExecute=0     # otherwise the code runs from a memfd mapping perf cannot resolve
cd "$configs"
dotnet "$dll" bench --compare none.conf --compare learning.conf --processes 1 --events 600000 --users 60000 --runs 3 \
  --warm-up-runs 3 --no-save > "$out/bench.out" 2>&1 &
bench=$!
# Both workers done with their third durable warm-up run: the measured durable rounds start.
for _ in $(seq 1 900); do
  [ "$(grep -c 'durable: warm-up 3' "$out/bench.out" || true)" -ge 2 ] && break
  sleep 1
done
perf record -a -g -F 299 -o "$out/perf.data" -- sleep "$seconds" > "$out/perf-record.log" 2>&1
wait "$bench"
perf script -i "$out/perf.data" -F pid,ip,sym,dso > "$out/perf.txt" 2>/dev/null
echo "bench output and samples in $out"
grep 'durable: round' "$out/bench.out" || true
python3 "$here/perf-groups.py" "$out/perf.txt"
