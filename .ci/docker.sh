#!/usr/bin/env bash
# .ci/docker.sh: a Docker daemon and a Python base image for building and testing the evalcore image, on any Linux
# machine that reaches Debian's package mirror and PyPI, with or without a container registry. `.ci/run` uses it:
#
#   env=$(.ci/docker.sh start) || exit 1; eval "$env"    # the machine's daemon if `docker info` answers, else a private one
#   EVALCORE_BASE_IMAGE=$(.ci/docker.sh base)              # python:3.12-slim if it can be pulled, else a local one
#   .ci/docker.sh stop                                     # stops the daemon `start` started, and nothing else
#
# start: when `docker info` answers, nothing is started and nothing is printed. Otherwise it installs Debian's
#   docker.io if needed (root only), starts dockerd on a private socket ($EVALCORE_DOCKER_DIR, default
#   /tmp/evalcore-docker) without bridge, NAT or iptables rules (the host's network stays as it is: builds and runs
#   need `--network host`), and prints the exports for `eval`: DOCKER_HOST, PATH (Debian's docker CLI first: it drives
#   the daemon's built-in BuildKit without the buildx plugin) and EVALCORE_DOCKERD_PID, the daemon it started. A
#   private daemon already answering on that socket is used as it is, and not claimed (no EVALCORE_DOCKERD_PID).
#   If the daemon cannot be had, it prints one line on stderr and exits 1.
# base: prints the base image's name: $EVALCORE_BASE_IMAGE if that image is present, else python:3.12-slim when a
#   registry serves it within a minute, else local/python:3-bookworm, built here once with debootstrap (about a
#   minute): Debian bookworm's python3 (3.11) in a virtual environment at /opt/venv on PATH, as `python` and `pip` are
#   in the official image, and the machine's extra CA certificates trusted (pip works behind an intercepting proxy).
# stop: stops the daemon whose pid is in EVALCORE_DOCKERD_PID, only if that process is a dockerd on this script's
#   socket; anything else (the machine's daemon, a private daemon someone else started) is left alone.
set -euo pipefail

STATE=${EVALCORE_DOCKER_DIR:-/tmp/evalcore-docker}
SOCKET="unix://$STATE/docker.sock"
PULLED_BASE=python:3.12-slim
LOCAL_BASE=local/python:3-bookworm

fail() {
  echo ".ci/docker.sh: $*" >&2
  exit 1
}

apt_install() {
  "$(dirname "$0")/apt-install" "$@" || exit 1
}

private_docker() {
  DOCKER_HOST=$SOCKET /usr/bin/docker "$@"
}

start() {
  if docker info >/dev/null 2>&1; then
    echo ".ci/docker.sh: using the machine's Docker daemon" >&2
    return
  fi
  mkdir -p "$STATE/bin"
  command -v dockerd >/dev/null && [ -x /usr/bin/docker ] || apt_install docker.io
  ln -sf /usr/bin/docker "$STATE/bin/docker"
  local exports="export DOCKER_HOST=$SOCKET PATH=$STATE/bin:\$PATH"
  if private_docker info >/dev/null 2>&1; then
    echo ".ci/docker.sh: using the private Docker daemon already on $SOCKET (not started here, not stopped here)" >&2
    echo "$exports"
    return
  fi
  [ "$(id -u)" = 0 ] || fail "no Docker daemon answers and starting one needs root"
  dockerd --host "$SOCKET" --data-root "$STATE/data" --exec-root "$STATE/exec" --pidfile "$STATE/dockerd.pid" \
    --iptables=false --ip-forward=false --ip-masq=false --bridge=none >"$STATE/dockerd.log" 2>&1 </dev/null &
  local pid=$! _
  for _ in $(seq 120); do
    if private_docker info >/dev/null 2>&1; then
      echo ".ci/docker.sh: started dockerd (pid $pid) on $SOCKET" >&2
      echo "$exports EVALCORE_DOCKERD_PID=$pid"
      return
    fi
    kill -0 "$pid" 2>/dev/null || fail "dockerd exited at start: $(grep -v '^\s*$' "$STATE/dockerd.log" | tail -n1)"
    sleep 0.5
  done
  kill -TERM "$pid" 2>/dev/null || true
  fail "dockerd did not answer on $SOCKET within 60 s (log: $STATE/dockerd.log)"
}

base() {
  if [ -n "${EVALCORE_BASE_IMAGE:-}" ] && docker image inspect "$EVALCORE_BASE_IMAGE" >/dev/null 2>&1; then
    echo "$EVALCORE_BASE_IMAGE"
    return
  fi
  if timeout 60 docker pull -q "$PULLED_BASE" >/dev/null 2>&1; then
    echo "$PULLED_BASE"
    return
  fi
  echo ".ci/docker.sh: no registry serves $PULLED_BASE here; building $LOCAL_BASE with debootstrap" >&2
  if ! docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
    apt_install debootstrap
    build_local_base
  fi
  echo "$LOCAL_BASE"
}

build_local_base() {
  local mirror root="$STATE/rootfs"
  mkdir -p "$STATE"
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  mirror=${mirror:-$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
  mirror=${mirror:-http://deb.debian.org/debian}
  rm -rf "$root"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$mirror" \
    >"$STATE/debootstrap.log" 2>&1 || fail "debootstrap failed: $(tail -n1 "$STATE/debootstrap.log")"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$root/etc/apt/sources.list"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null 2>&1 || fail "update-ca-certificates failed in the base image"
  fi
  chroot "$root" python3 -m venv /opt/venv || fail "python3 -m venv failed in the base image"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/tmp/*
  local certs=/etc/ssl/certs/ca-certificates.crt
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=$certs SSL_CERT_FILE=$certs REQUESTS_CA_BUNDLE=$certs" \
    --change 'CMD ["python3"]' - "$LOCAL_BASE" >/dev/null || fail "docker import of $LOCAL_BASE failed"
  rm -rf "$root"
}

stop() {
  local pid=${EVALCORE_DOCKERD_PID:-}
  if [ -z "$pid" ]; then
    echo ".ci/docker.sh: no daemon was started here (EVALCORE_DOCKERD_PID unset): nothing to stop" >&2
    return
  fi
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^dockerd --host $SOCKET "; then
    echo ".ci/docker.sh: pid $pid is not the dockerd started on $SOCKET: left alone" >&2
    return
  fi
  kill -TERM "$pid"
  local _
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && fail "dockerd (pid $pid) did not stop within 30 s"
  umount "$STATE/exec/netns/default" 2>/dev/null || true
  echo ".ci/docker.sh: stopped dockerd (pid $pid)" >&2
}

case "${1:-}" in
  start) start ;;
  base) base ;;
  stop) stop ;;
  *)
    echo "usage: .ci/docker.sh start | base | stop" >&2
    exit 2
    ;;
esac
