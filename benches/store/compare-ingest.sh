#!/bin/sh
# Copied ingest of the store benchmark's small-file tree, two grove builds
# alternately, each beside `b3sum` + `cp -al`; wall and CPU (user+system)
# seconds and the load average. Page cache warm, `sync` before each step.
#
#   benches/store/compare-ingest.sh DIR ROUNDS BEFORE AFTER
#
# DIR holds `small/` (e.g. GROVE_BENCH_DIR of `cargo bench --bench store`);
# BEFORE and AFTER are `grove` binaries (e.g. one built in a worktree of
# an older commit). Stores are made in DIR and removed.
set -e
dir=$1 rounds=$2 before=$3 after=$4
cd "$dir"
step() {
    label=$1; shift
    sync
    /usr/bin/time -f "$label %e s wall, %U+%S s CPU" "$@" >/dev/null 2>"$dir/.time" || { cat "$dir/.time"; exit 1; }
    echo "$(tail -1 "$dir/.time"), load $(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq 1 "$rounds"); do
    rm -rf s-before s-after cp-al
    step before "$before" --store s-before store add small
    step after "$after" --store s-after store add small
    step b3sum sh -c 'find small -type f -print0 | xargs -0 -P2 -n 2000 b3sum'
    step cp-al cp -al small cp-al
done
rm -rf s-before s-after cp-al .time
