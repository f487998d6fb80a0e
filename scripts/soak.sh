#!/usr/bin/env bash
# soak.sh: run a room for a long while and watch the server for leaks.
#
#   scripts/soak.sh [-n N] [-minutes M] [-cycle MIN] [-dir DIR]
#
# Starts bin/mcu on 127.0.0.1:18310 (recordings in a temporary folder),
# has `bin/mcu load` keep N participants (default 6) in room "soak" for M
# minutes (default 20), sending DIR's busy clips (scripts/make-testdata.sh
# --busy DIR; made in a temporary folder without -dir), records the room
# from the start and
# stops and starts the recording again every MIN minutes (default 5). Every
# 30 s it samples the server's RSS, Go heap in use, goroutines and open
# files; at the end it prints their range over the run, checks every
# recording with ffprobe, and exits 1 if the goroutines or open files grew
# or a recording does not read back.
set -euo pipefail

n=6 minutes=20 cycle=5 dir=
while (($#)); do
	case $1 in
	-n) n=$2; shift 2 ;;
	-minutes) minutes=$2; shift 2 ;;
	-cycle) cycle=$2; shift 2 ;;
	-dir) dir=$2; shift 2 ;;
	*) sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mcu=$root/bin/mcu
[[ -x $mcu ]] || { echo "soak: build first (make build)" >&2; exit 2; }
work=$(mktemp -d)
if [[ -z $dir ]]; then
	dir=$work/busy
	"$root/scripts/make-testdata.sh" --busy "$dir" >/dev/null
fi
clips=()
for i in $(seq 1 "$n"); do
	k=$(printf '%02d' $(((i - 1) % 9 + 1)))
	[[ -f $dir/p$k.ivf && -f $dir/p$k.ogg ]] || { echo "soak: $dir/p$k.ivf or .ogg missing (scripts/make-testdata.sh --busy $dir)" >&2; exit 2; }
	clips+=("$dir/p$k.ivf+$dir/p$k.ogg")
done

url=http://127.0.0.1:18310
"$mcu" -listen 127.0.0.1:18310 -record-dir "$work/rec" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "$url/healthz" >/dev/null && break; sleep 0.1; done
"$mcu" load -url "$url" -room soak -n "$n" -duration "${minutes}m" -ramp 600ms -cost 0 "${clips[@]}" >"$work/load.out" 2>&1 &
load=$!
sleep 10
curl -fs -X POST "$url/api/rooms/soak/recording" >/dev/null

sample() {
	local m
	m=$(curl -fs "$url/metrics")
	printf '%s %s %s %s %s\n' "$1" \
		"$(awk '/^VmRSS/ {print $2}' /proc/$server/status)" \
		"$(awk '/^go_memstats_heap_inuse_bytes / {printf "%d", $2}' <<<"$m")" \
		"$(awk '/^go_goroutines / {print $2}' <<<"$m")" \
		"$(ls /proc/$server/fd | wc -l)"
}
echo "# seconds rss_kib heap_inuse_bytes goroutines open_files" | tee "$work/samples"
samples=$((minutes * 2 - 1))
for k in $(seq 1 "$samples"); do
	sleep 30
	sample $((k * 30)) | tee -a "$work/samples"
	if ((k % (cycle * 2) == 0)); then
		curl -fs -X DELETE "$url/api/rooms/soak/recording" >/dev/null
		curl -fs -X POST "$url/api/rooms/soak/recording" >/dev/null
	fi
done
curl -fs -X DELETE "$url/api/rooms/soak/recording" >/dev/null || true
wait $load || true

status=0
awk 'NR > 1 {
	if (NR == 2 || $2 < r0) r0 = $2; if ($2 > r1) r1 = $2
	if (NR == 2 || $3 < h0) h0 = $3; if ($3 > h1) h1 = $3
	if (NR == 2) { g = $4; f = $5 }
	if ($4 > g1) g1 = $4; if ($5 > f1) f1 = $5
	gl = $4; fl = $5
} END {
	printf "RSS %d-%d MiB, heap in use %d-%d MB; goroutines %d at the first sample, %d at the last, at most %d; open files %d, %d, at most %d\n", r0/1024, r1/1024, h0/1e6, h1/1e6, g, gl, g1, f, fl, f1
	exit (gl > g + 5 || fl > f + 3) # a few in flight at a sample are no leak
}' "$work/samples" || { echo "soak: goroutines or open files grew" >&2; status=1; }
for f in "$work"/rec/soak/*.webm; do
	if d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f") && [[ -n $d && $d != N/A ]]; then
		echo "recording $(basename "$f"): ${d} s"
	else
		echo "soak: $f does not read back" >&2
		status=1
	fi
done
grep -E '^(receiver fps|server CPU)' "$work/load.out" || true
echo "logs and samples: $work"
exit $status
