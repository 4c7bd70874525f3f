#!/usr/bin/env bash
# Every benchmark in one run, one after another, each quietly: one line per run here, its output in a log,
# its figures in bench/results/NAME.json (bench/record.py), with the commit and the machine.
#
#   sudo bench/all.sh             the runs whose figures the docs report (hours: the soaks take 30 to 60 minutes,
#                                 the long property tests an hour and more); root for the disk figures
#   bench/all.sh --quick          each benchmark at its smallest, its results in a scratch folder: do they all
#                                 still run? (minutes; nothing in bench/results/ changes)
#
# Measure on a quiet machine: nothing else running, the same one for every figure of a page.
# bench/naive_player.py is not run here: it is the baseline bench/perf.py runs beside the kiosk.
set -uo pipefail
cd "$(dirname "$0")/.."

python=.venv/bin/python
[ -x "$python" ] || python=python3
quick=false
[ "${1:-}" = "--quick" ] && quick=true
logs=$(mktemp -d "${TMPDIR:-/tmp}/kiosk-bench-logs-XXXXXX")
if $quick; then
    export BENCH_RESULTS="$logs/results"
fi
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
failed=0

# run NAME FULL-ARGUMENTS -- QUICK-ARGUMENTS: bench/NAME.py with the arguments of this kind of run
# (on the cores in $cores, when set).
cores=""
run() {
    local name=$1 full=() small=() seen=false
    shift
    for argument in "$@"; do
        if [ "$argument" = "--" ]; then seen=true
        elif $seen; then small+=("$argument")
        else full+=("$argument")
        fi
    done
    local arguments=("${full[@]}")
    $quick && arguments=("${small[@]}")
    local log="$logs/$name-$(date +%s%N).log" started=$SECONDS
    local prefix=()
    [ -n "$cores" ] && prefix=(taskset -c "$cores")
    printf '%-60s ' "${prefix[*]} bench/$name.py ${arguments[*]}"
    if "${prefix[@]}" "$python" "bench/$name.py" "${arguments[@]}" >"$log" 2>&1; then
        echo "ok, $((SECONDS - started)) s"
    else
        echo "FAILED after $((SECONDS - started)) s: $log"
        failed=1
    fi
}

root=false
[ "$(id -u)" -eq 0 ] && root=true

run decisions --answers 20000 -- --answers 200 --repeats 3
run screenshot -- --runs 1
run captions --runs 9 -- --runs 1
run decode -- --runs 1
run verify -- --files 200 --repeat 2
run takedown -- --requests 200
run report_memory -- --boxes 2 --days 1
run renditions -- --photos 2 --runs 1 --snapshot "$logs/snapshot-renditions.png"
run watch_latency --runs 20 -- --runs 2
run watch_latency --runs 20 --watch poll -- --runs 2 --watch poll
run sync_group --seconds 120 --size 640x360 -- --seconds 15 --size 320x180 --boxes 2
run sync_group --seconds 120 --size 1920x1080 -- --seconds 15 --size 640x360 --boxes 2
run perf --sizes 1920x1080,3840x2160 -- --sizes 640x360 --photos 20 --seconds 10
cores=0
run perf --sizes 1920x1080 -- --sizes 640x360 --photos 20 --seconds 10
cores=""
run perf --sizes 1920x1080,3840x2160 --renderer gpu -- --sizes 640x360 --photos 20 --seconds 10 --renderer gpu
if $root; then
    run disk_writes --minutes 3 -- --minutes 0.5 --answers 50
    run disk_writes --minutes 3 --lines-per-write 1 -- --minutes 0.5 --answers 50 --lines-per-write 1
    run disk_writes --minutes 2 --speed 5 --ext4 "" -- --minutes 0.5 --answers 50 --ext4 ""
else
    echo "bench/disk_writes.py: skipped, it needs root (to scale the kernel's writeback timers)"
fi
run video --seconds 60 -- --seconds 12 --size 640x360
run video_sync --seconds 120 -- --seconds 20 --size 320x180 --boxes 2
run video_sound --seconds 60 -- --seconds 12 --size 640x360
run scale -- --seconds 10 --disk-minutes 0.5
run soak --minutes 30 -- --minutes 1
run soak --minutes 60 --videos 4 -- --minutes 1 --videos 2
run soak_faults --minutes 30 --segments 3 -- --minutes 1 --segments 1
run fuzz_parsers -- --examples 10 --only manifest.json

$quick || echo "logs in $logs; the figures in bench/results/"
exit $failed
