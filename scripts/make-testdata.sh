#!/usr/bin/env bash
# make-testdata.sh: build the media clips used by mcu's tests and benchmarks.
#
#   scripts/make-testdata.sh                      regenerate the committed clips in testdata/
#   scripts/make-testdata.sh --busy DIR [--seconds S]
#                                                 write busy benchmark clips into DIR (not committed)
#
# Participants (colour, tone, name) come from testdata/participants.tsv, which
# the Go tests read too. Only the ffmpeg CLI is used. Output is deterministic as
# far as ffmpeg allows: one thread, bitexact flags, fixed noise seeds, no
# metadata or dates.
set -euo pipefail

usage() {
	sed -n '2,7s/^# \{0,1\}//p' "$0"
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tsv=$root/testdata/participants.tsv
font=${MCU_TESTDATA_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}

busy_dir=
seconds=10
while (($#)); do
	case $1 in
	--busy)
		[[ $# -ge 2 ]] || { usage >&2; exit 2; }
		busy_dir=$2
		shift 2
		;;
	--seconds)
		[[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "--seconds needs a positive whole number" >&2; exit 2; }
		seconds=$2
		shift 2
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
done

command -v ffmpeg >/dev/null || { echo "ffmpeg not found (apt-get install ffmpeg)" >&2; exit 1; }
[[ -r $font ]] || { echo "font $font not found (apt-get install fonts-dejavu-core)" >&2; exit 1; }
[[ -r $tsv ]] || { echo "$tsv not found" >&2; exit 1; }

fps=30
rate=48000
# −24 dBFS peak amplitude as a fraction of full scale: 10^(−24/20).
tone_amp=0.0630957

# Flags shared by every ffmpeg run: quiet, no prompts, and bit-exact output
# without metadata, so a rerun gives the same bytes with the same ffmpeg.
ff() {
	ffmpeg -hide_banner -loglevel error -nostdin -y -filter_threads 1 "$@"
}
out_flags=(-threads 1 -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

# Encoder settings. Keyframes exactly every 30 frames, no lookahead, as a
# WebRTC sender would produce. VP8 needs a negative cpu-used: a positive one
# adapts the speed to how long encoding takes, so output would depend on load.
vp8=(-c:v libvpx -deadline realtime -cpu-used -8 -lag-in-frames 0 -auto-alt-ref 0 -g 30 -keyint_min 30)
vp9=(-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -lag-in-frames 0 -row-mt 0 -g 30 -keyint_min 30)
av1=(-c:v libaom-av1 -usage realtime -cpu-used 8 -lag-in-frames 0 -row-mt 0 -tiles 1x1 -g 30 -keyint_min 30)
h264=(-c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency -bf 0 -g 30 -keyint_min 30 -sc_threshold 0)
opus=(-c:a libopus -b:a 64k -ar "$rate" -ac 2)
# Committed clips cap the VP8 quantizer: realtime rate control otherwise makes
# keyframes so cheap that their flat chroma drifts by ~10 levels, which eats
# into the tests' colour tolerance.
vp8_clip=("${vp8[@]}" -qmax 30)

declare -A colour tone
while IFS=$'\t' read -r id col hz name; do
	[[ $id == id ]] && continue
	colour[$id]=$col
	tone[$id]=$hz
	[[ $name == "$(printf 'p%02d' "$id")" ]] || { echo "participants.tsv: row $id is named $name" >&2; exit 1; }
done <"$tsv"

# number_text ID SIZE: drawtext filter that writes the participant number large in the centre.
number_text() {
	printf 'drawtext=fontfile=%s:text=%d:fontsize=%d:fontcolor=white:borderw=%d:bordercolor=black:x=(w-tw)/2:y=(h-th)/2' \
		"$font" "$1" $(($2 / 3)) $(($2 / 90 + 1))
}

# picture ID W H SECONDS FIRST_FRAME: filtergraph (output label [v]) of the
# flat participant colour with a white box sliding along the top and the
# number in the centre. The box moves W/100 pixels every frame; FIRST_FRAME
# offsets its path so a clip made of segments keeps moving smoothly.
picture() {
	local id=$1 w=$2 h=$3 secs=$4 n0=$5
	local box=$((h / 6)) step=$(((w + 50) / 100))
	printf 'color=c=0x%s:s=%dx%d:r=%d:d=%s[bg];' "${colour[$id]}" "$w" "$h" "$fps" "$secs"
	printf 'color=c=white:s=%dx%d:r=%d[box];' "$box" "$box" "$fps"
	printf "[bg][box]overlay=x='mod((n+%d)*%d,W-w)':y=H/10:shortest=1," "$n0" "$step"
	printf '%s,format=yuv420p[v]' "$(number_text "$id" "$h")"
}

# tone_src ID SECONDS: lavfi source of the participant's sine on both
# channels, in 20 ms blocks (960 samples: libopus takes whole frames only).
tone_src() {
	local s="$tone_amp*sin(2*PI*${tone[$1]}*t)"
	printf 'aevalsrc=exprs=%s|%s:s=%d:c=stereo:n=960:d=%s' "$s" "$s" "$rate" "$2"
}

# video ID W H SECONDS FIRST_FRAME OUT ENCODER_ARGS...
video() {
	local id=$1 w=$2 h=$3 secs=$4 n0=$5 out=$6
	shift 6
	ff -filter_complex "$(picture "$id" "$w" "$h" "$secs" "$n0")" -map '[v]' "${out_flags[@]}" "$@" "$out"
}

# audio ID SECONDS OUT
audio() {
	ff -f lavfi -i "$(tone_src "$1" "$2")" "${out_flags[@]}" "${opus[@]}" "$3"
}

make_committed() {
	local dst=$1 id p
	local clip=3 half=1.5
	for id in 1 2 3 4 5 6 7 8 9; do
		p=$(printf 'p%02d' "$id")
		video "$id" 640 360 "$clip" 0 "$dst/$p.ivf" "${vp8_clip[@]}" -b:v 200k
		video "$id" 640 360 "$clip" 0 "$dst/$p.h264" "${h264[@]}" -b:v 200k -f h264
		audio "$id" "$clip" "$dst/$p.ogg"
	done

	# p10: an odd size (322 is not a multiple of 16, and 161 is odd for chroma).
	video 10 322 180 "$clip" 0 "$dst/p10.ivf" "${vp8_clip[@]}" -b:v 100k
	audio 10 "$clip" "$dst/p10.ogg"

	# p11: 320x180 for 1.5 s, then 480x270 for 1.5 s.
	local seg=$dst/seg
	mkdir -p "$seg"
	video 11 320 180 "$half" 0 "$seg/a.ivf" "${vp8_clip[@]}" -b:v 100k
	video 11 480 270 "$half" 45 "$seg/b.ivf" "${vp8_clip[@]}" -b:v 150k
	printf "file 'a.ivf'\nfile 'b.ivf'\n" >"$seg/list.txt"
	ff -f concat -safe 0 -i "$seg/list.txt" -c copy "${out_flags[@]}" "$dst/p11.ivf"
	# Annex B streams join by plain concatenation: each segment starts with
	# SPS, PPS and an IDR picture.
	video 11 320 180 "$half" 0 "$seg/a.h264" "${h264[@]}" -b:v 100k -f h264
	video 11 480 270 "$half" 45 "$seg/b.h264" "${h264[@]}" -b:v 150k -f h264
	cat "$seg/a.h264" "$seg/b.h264" >"$dst/p11.h264"
	rm -r "$seg"
	audio 11 "$clip" "$dst/p11.ogg"

	# p12: VP8 + Opus in WebM, and the same picture as VP9 and as AV1 in IVF.
	ff -filter_complex "$(picture 12 640 360 "$clip" 0);$(tone_src 12 "$clip")[a]" \
		-map '[v]' -map '[a]' "${out_flags[@]}" "${vp8_clip[@]}" -b:v 200k "${opus[@]}" "$dst/p12.webm"
	video 12 640 360 "$clip" 0 "$dst/p12.vp9.ivf" "${vp9[@]}" -b:v 200k
	video 12 640 360 "$clip" 0 "$dst/p12.av1.ivf" "${av1[@]}" -b:v 200k

	printf 'This is plain text, not a media file. Tests use it to check that\nopening something that is not media fails cleanly.\n' >"$dst/notmedia.txt"
}

# busy_picture ID SECONDS: camera-like texture for benchmarks: a zooming
# Mandelbrot set mixed with a panning Sierpinski carpet, tinted with the
# participant's colour, temporal noise, and the number.
busy_picture() {
	local id=$1 secs=$2 c=${colour[$1]}
	local frames=$((secs * fps))
	local r g b
	r=$(printf '%d' "0x${c:0:2}")
	g=$(printf '%d' "0x${c:2:2}")
	b=$(printf '%d' "0x${c:4:2}")
	printf 'mandelbrot=s=640x360:r=%d:maxiter=300:start_scale=%s:end_scale=0.02:end_pts=%d,format=gray,eq=contrast=2.5[m];' \
		"$fps" "1.$id" "$frames"
	printf 'sierpinski=s=640x360:r=%d:seed=%d:jump=3,format=gray,trim=end_frame=%d[s];' "$fps" "$id" "$frames"
	printf '[m][s]blend=all_mode=average,format=gbrp,colorchannelmixer=rr=%s:gg=%s:bb=%s[t];' \
		"$(awk "BEGIN{print $r/255}")" "$(awk "BEGIN{print $g/255}")" "$(awk "BEGIN{print $b/255}")"
	printf 'color=c=0x%s:s=640x360:r=%d:d=%d,format=gbrp[c];' "$c" "$fps" "$secs"
	printf '[t][c]blend=all_mode=normal:all_opacity=0.7:shortest=1,noise=alls=5:allf=t:all_seed=%d,' "$id"
	printf '%s,format=yuv420p[v]' "$(number_text "$id" 360)"
}

make_busy() {
	local dst=$1 secs=$2 id p
	for id in 1 2 3 4 5 6 7 8 9; do
		p=$(printf 'p%02d' "$id")
		ff -filter_complex "$(busy_picture "$id" "$secs")" -map '[v]' "${out_flags[@]}" "${vp8[@]}" \
			-b:v 800k -minrate 800k -maxrate 800k "$dst/$p.ivf"
		audio "$id" "$secs" "$dst/$p.ogg"
	done
}

if [[ -n $busy_dir ]]; then
	mkdir -p "$busy_dir"
	make_busy "$busy_dir" "$seconds"
	echo "busy clips ($seconds s) written to $busy_dir:"
	ls -l "$busy_dir"/p0[1-9].ivf "$busy_dir"/p0[1-9].ogg
	exit 0
fi

# Build into a scratch folder first so a failure leaves testdata/ untouched.
tmp=$(mktemp -d "$root/testdata/.make-testdata.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
make_committed "$tmp"
for f in "$tmp"/*; do
	mv -f "$f" "$root/testdata/"
	echo "wrote testdata/${f##*/} ($(wc -c <"$root/testdata/${f##*/}") bytes)"
done
