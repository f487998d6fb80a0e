#!/usr/bin/env bash
# Installs what mcu needs to build, run and test on Debian 12, if missing.
# Idempotent: does nothing when everything is there. Uses sudo when not root.
set -euo pipefail

packages=(
  gcc libc6-dev pkg-config lld git ca-certificates
  libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev
  libswscale-dev libswresample-dev libavutil-dev
  libvpx-dev libx264-dev libopus-dev libopusfile-dev libyuv-dev
  ffmpeg fonts-dejavu-core
)
if [[ ${1:-} == --browser ]]; then
  packages+=(chromium firefox-esr)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  # Through env: sudo drops the caller's environment, and a question from
  # debconf would wait unseen.
  # DPkg::Lock::Timeout makes install wait for dpkg's lock, but not
  # update for the package lists' (/var/lib/apt/lists/lock), which a
  # boot-time apt run (apt-daily, cloud-init) holds: apt-get update fails
  # at once then (exit 100). Wait for it here, up to 10 minutes.
  for ((i = 0; ; i++)); do
    err=$("${sudo[@]}" env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq 2>&1) && break
    if ((i < 120)) && [[ $err == *"Could not get lock"* ]]; then
      ((i % 6)) || echo "deps: waiting for another apt run to let go of its lock" >&2
      sleep 5
      continue
    fi
    printf '%s\n' "$err" >&2
    echo "deps: apt-get update failed (no network, or a broken /etc/apt/sources.list?)" >&2
    exit 1
  done
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: the module needs the version in go.mod.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH=/usr/local/go/bin:$PATH
fi
want=$(awk '/^go /{print $2; exit}' "$(dirname "$0")/../go.mod")
if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go $want or newer is required (https://go.dev/dl/), install it in /usr/local/go" >&2
  exit 1
fi
have=$(go env GOVERSION | sed 's/^go//')
if [[ $(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1) != "$want" ]]; then
  echo "deps: Go $have is older than the $want that go.mod needs" >&2
  exit 1
fi
