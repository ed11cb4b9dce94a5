#!/bin/sh
# Installs every Debian package that building, testing and running
# nova-engine need. Idempotent: packages already present are skipped.
set -eu

PKGS="build-essential pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev \
libcjson-dev libsodium-dev libcmocka-dev python3 python3-pytest util-linux \
rsync tar openssl valgrind clang libclang-rt-14-dev man-db procps curl hostname gdb \
etcd-server etcd-client inotify-tools"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing$missing" >&2
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq $missing >/dev/null
