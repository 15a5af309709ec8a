#!/usr/bin/env bash
# Build, install and configure the two real Asterisk servers of `make test-asterisk`:
#   Asterisk 20.20.1 (chan_sip)   AMI 127.0.0.1:15038 (TLS 15039), SIP 15060, phone1 15070
#   Asterisk 22.10.1 (res_pjsip)  AMI 127.0.0.1:15040 (TLS 15041), SIP 15062, phone1 15072
# (ports of their own, so that an Asterisk on the defaults 5038-5072 is left alone).
#
# Usage: build.sh              build what is missing, then (re)install the configuration
#        build.sh --no-build   only (re)install the configuration; exit 3 if not built
# Either way the last lines on stdout are "SERVER <version> <prefix>", one per server.
#
# Environment (all optional):
#   ASTERISK_SRC     folder holding asterisk-20.20.1.tar.gz, asterisk-22.10.1.tar.gz and
#                    pjproject-2.17.tar.bz2 (needed only to build; CI: ../shared/asterisk)
#   AST_CACHE=/var/tmp/ami-sdk-asterisk   build cache: prefixes, source trees, logs
#   VERSIONS="20 22"  JOBS=2  FORCE=1 (redo every stage)  SKIP_APT=1 (no apt-get)
#   AMI_PORT20 AMI_TLS_PORT20 SIP_PORT20 PHONE_PORT20 (and ...22): the ports above
#
# The cache is keyed by the release and the build configuration (configure options,
# module lists, this recipe's BUILD_REV): each key has its own prefix,
# $AST_CACHE/<release>-<key>, with everything the server needs (the prefix is compiled in,
# so a change of key is a new build, and an old prefix stays usable for its own key). The
# configuration files (conf/, ports filled in) are re-installed into the prefix on every
# run, which takes a second; <prefix>/etc/asterisk/test-server.env records the ports.
# Adapted from the reference recipe in the project's shared folder (README.md there).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AST_CACHE=${AST_CACHE:-/var/tmp/ami-sdk-asterisk}
JOBS=${JOBS:-2}
VERSIONS=${VERSIONS:-"20 22"}
VERSIONS=${VERSIONS//,/ }
FORCE=${FORCE:-0}
MODE=build
case "${1:-}" in
  "") ;;
  --no-build) MODE=config ;;
  *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac
# Bump when a change to this script changes what is built (not for config-file changes).
BUILD_REV=1
LOGS=$AST_CACHE/logs

declare -A RELEASE=([20]=20.20.1 [22]=22.10.1)
declare -A AMI_PORT=([20]=${AMI_PORT20:-15038} [22]=${AMI_PORT22:-15040})
declare -A AMI_TLS_PORT=([20]=${AMI_TLS_PORT20:-15039} [22]=${AMI_TLS_PORT22:-15041})
declare -A SIP_PORT=([20]=${SIP_PORT20:-15060} [22]=${SIP_PORT22:-15062})
declare -A PHONE_PORT=([20]=${PHONE_PORT20:-15070} [22]=${PHONE_PORT22:-15072})

log() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }
die() { echo "ERROR: $*" >&2; exit 1; }
hash_of() { sha256sum | cut -c1-12; }
stamp_ok() { [ "$FORCE" != 1 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
timed() { # timed NAME LOGFILE cmd...: cmd with its output in LOGFILE, seconds in times.txt
  local name=$1 logf=$2 t0=$SECONDS; shift 2
  if ! "$@" >"$logf" 2>&1; then
    tail -40 "$logf" >&2
    die "$name failed (full log: $logf)"
  fi
  echo "$(date -u +%FT%TZ) $name $((SECONDS - t0))s (make -j$JOBS, $(nproc) cores)" | tee -a "$LOGS/times.txt"
}
read_list() { grep -hv '^\s*#' "$@" | awk 'NF{print $1}'; }

# ---------------------------------------------------------------- checks of the inputs
for v in $VERSIONS; do
  [ -n "${RELEASE[$v]:-}" ] || die "unknown version $v (20 or 22)"
done
ports_seen=" "
for v in $VERSIONS; do
  for p in "${AMI_PORT[$v]}" "${AMI_TLS_PORT[$v]}" "${SIP_PORT[$v]}" "${PHONE_PORT[$v]}"; do
    [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "bad port '$p'"
    case "$ports_seen" in *" $p "*) die "port $p given twice (both servers run at once: every port must differ)";; esac
    ports_seen="$ports_seen$p "
  done
done

# The configure options and module set of a version, and the cache key made of them.
configure_args() { # v prefix
  local args=(--prefix="$2" --libdir="$2/lib" --with-jansson-bundled=no --with-libjwt-bundled=no)
  if [ "$1" = 20 ]; then
    # chan_sip needs no pjproject: skip it (saves the longest third-party build)
    args+=(--without-pjproject-bundled --without-pjproject)
  else
    args+=(--with-pjproject-bundled)
  fi
  printf '%s\n' "${args[@]}"
}
modules_of() { read_list "$HERE/modules-common.txt" "$HERE/modules-$1.txt"; }
key_of() { # v: hash of what the build depends on (the prefix itself is derived from it)
  { echo "rev $BUILD_REV ${RELEASE[$1]}"; awk -v f="asterisk-${RELEASE[$1]}.tar.gz" '$2==f' "$HERE/SHA256SUMS"
    configure_args "$1" PREFIX; echo "cflags:-BUILD_NATIVE"; modules_of "$1"; } | hash_of
}
prefix_of() { echo "$AST_CACHE/${RELEASE[$1]}-$(key_of "$1")"; }

built() { # v: is the prefix of this key complete?
  local prefix; prefix=$(prefix_of "$1")
  [ -x "$prefix/sbin/asterisk" ] && [ -f "$prefix/.build-stamp" ] && [ "$(cat "$prefix/.build-stamp")" = "$(key_of "$1")" ]
}

need_sources() { # called only when something must be built
  local want="asterisk-20.20.1.tar.gz, asterisk-22.10.1.tar.gz and pjproject-2.17.tar.bz2"
  if [ -z "${ASTERISK_SRC:-}" ]; then
    die "Asterisk is not built in $AST_CACHE and ASTERISK_SRC is not set: set ASTERISK_SRC to a folder holding $want (in this project: ASTERISK_SRC=../shared/asterisk)"
  fi
  SRC=$(cd "$ASTERISK_SRC" 2>/dev/null && pwd) || die "ASTERISK_SRC=$ASTERISK_SRC is not a folder (it should hold $want)"
  local f
  for f in $(awk '{print $2}' "$HERE/SHA256SUMS"); do
    [ -f "$SRC/$f" ] || die "$SRC/$f is missing (ASTERISK_SRC should hold $want)"
  done
  # A truncated copy or a large-file pointer is caught here, not half way through the build.
  (cd "$SRC" && sha256sum --quiet -c "$HERE/SHA256SUMS") || die "a tarball in $SRC does not match tests/asterisk/SHA256SUMS"
}

install_deps() {
  # wget is never used, but Asterisk's configure wants a download tool for the bundled
  # pjproject; the -dev packages also bring the runtime libraries the servers link to.
  local pkgs="build-essential pkg-config wget bzip2 patch openssl libssl-dev libjansson-dev
    libedit-dev uuid-dev libxml2-dev libsqlite3-dev libncurses-dev" missing="" p
  [ "${SKIP_APT:-0}" != 1 ] || return 0
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -n "$missing" ] || return 0
  [ "$(id -u)" = 0 ] || die "missing build dependencies:$missing (apt-get install them, or run as root)"
  log "apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || true
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
}

# The bundled-pjproject Makefile wants $EXTERNALS_CACHE_DIR/pjproject-X.tar.bz2 with the md5
# in third-party/pjproject/pjproject-X.tar.bz2.md5 (otherwise it tries to download it).
seed_pjproject() { # src cache
  local src=$1 cache=$2 pjv tb want
  pjv=$(sed -n 's/^PJPROJECT_VERSION=//p' "$src/third-party/versions.mak")
  want=$(cut -d' ' -f1 "$src/third-party/pjproject/pjproject-$pjv.tar.bz2.md5")
  [ -f "$SRC/pjproject-$pjv.tar.bz2" ] || die "Asterisk wants pjproject $pjv: $SRC/pjproject-$pjv.tar.bz2 is missing"
  tb=$cache/pjproject-$pjv.tar.bz2
  [ "$(md5sum <"$tb" 2>/dev/null | cut -d' ' -f1)" = "$want" ] || cp "$SRC/pjproject-$pjv.tar.bz2" "$tb"
  [ "$(md5sum <"$tb" | cut -d' ' -f1)" = "$want" ] || die "$tb: not the md5 Asterisk wants ($want)"
}

menuselect() ( # v src: every category off, then the module list on, BUILD_NATIVE off
  # (runs in a subshell, without set -e since it is called from an if: each step checked)
  v=$1 opts=$LOGS/$1-menuselect-options.txt
  cd "$2" || exit 1
  rm -f menuselect.makeopts
  make menuselect.makeopts || exit 1
  args=(--disable BUILD_NATIVE)
  for c in MENUSELECT_ADDONS MENUSELECT_APPS MENUSELECT_BRIDGES MENUSELECT_CDR MENUSELECT_CEL \
           MENUSELECT_CHANNELS MENUSELECT_CODECS MENUSELECT_FORMATS MENUSELECT_FUNCS \
           MENUSELECT_PBX MENUSELECT_RES MENUSELECT_TESTS MENUSELECT_UTILS MENUSELECT_AGIS \
           MENUSELECT_CORE_SOUNDS MENUSELECT_MOH MENUSELECT_EXTRA_SOUNDS; do
    if menuselect/menuselect --category-list menuselect.makeopts | grep -qx "$c"; then
      args+=(--disable-category "$c")
    fi
  done
  for m in $(modules_of "$v"); do args+=(--enable "$m"); done
  menuselect/menuselect "${args[@]}" menuselect.makeopts || exit 1
  menuselect/menuselect --check-deps menuselect.makeopts || exit 1
  menuselect/menuselect --list-options menuselect.makeopts >"$opts" || exit 1
  bad=""
  for m in $(modules_of "$v"); do
    grep -qE "^\+ ${m:0:30} " "$opts" || bad="$bad $m"  # names are cut to 30 characters
  done
  [ -z "$bad" ] || { echo "not enabled (failed dependencies?):$bad"; exit 1; }
  ! grep -qE '^\+ BUILD_NATIVE ' "$opts" || { echo "BUILD_NATIVE is still enabled"; exit 1; }
)

build_one() { # v: unpack, configure, menuselect, make, install; each stage stamped
  local v=$1 rel=${RELEASE[$1]} key prefix src cache args
  key=$(key_of "$v"); prefix=$(prefix_of "$v")
  src=$AST_CACHE/build/$rel-$key; cache=$AST_CACHE/build/externals
  mapfile -t args < <(configure_args "$v" "$prefix")
  mkdir -p "$src" "$cache"
  if ! stamp_ok "$src/.stamp-extract" "$key"; then
    log "[$v] unpack asterisk-$rel.tar.gz -> $src"
    rm -rf "$src" && mkdir -p "$src"
    tar -C "$src" --strip-components=1 -xzf "$SRC/asterisk-$rel.tar.gz"
    [ -s "$src/.version" ] || echo "$rel" >"$src/.version"
    echo "$key" >"$src/.stamp-extract"
  fi
  [ "$v" = 20 ] || seed_pjproject "$src" "$cache"
  local stage
  for stage in configure menuselect make install; do
    if stamp_ok "$src/.stamp-$stage" "$key" && { [ "$stage" != install ] || [ -x "$prefix/sbin/asterisk" ]; }; then
      continue
    fi
    log "[$v] $stage (log: $LOGS/$v-$stage.log)"
    case "$stage" in
      configure) (cd "$src" && timed "configure-$v" "$LOGS/$v-configure.log" ./configure "${args[@]}" --with-externals-cache="$cache") ;;
      menuselect) timed "menuselect-$v" "$LOGS/$v-menuselect.log" menuselect "$v" "$src" ;;
      make) (cd "$src" && timed "make-$v" "$LOGS/$v-make.log" make -j"$JOBS") ;;
      # LDCONFIG=: keeps the prefix out of the system's linker cache (rpath finds the libs)
      install) rm -f "$prefix/.build-stamp"
               (cd "$src" && timed "install-$v" "$LOGS/$v-install.log" make install LDCONFIG=:) ;;
    esac
    echo "$key" >"$src/.stamp-$stage"
    # a later stage is stale once an earlier one ran again
    case "$stage" in
      configure) rm -f "$src/.stamp-menuselect" "$src/.stamp-make" "$src/.stamp-install" ;;
      menuselect) rm -f "$src/.stamp-make" "$src/.stamp-install" ;;
      make) rm -f "$src/.stamp-install" ;;
    esac
  done
  echo "$key" >"$prefix/.build-stamp"
}

install_config() { # v: conf/ into the prefix with the ports filled in, the env file, TLS keys
  local v=$1 prefix etc f out changed=""
  prefix=$(prefix_of "$v"); etc=$prefix/etc/asterisk
  mkdir -p "$etc/keys" "$prefix/var/run/asterisk" "$prefix/var/log/asterisk" \
           "$prefix/var/spool/asterisk" "$prefix/var/lib/asterisk" "$prefix/var/cache/asterisk"
  for f in "$HERE"/conf/common/*.conf "$HERE"/conf/"$v"/*.conf; do
    out=$etc/$(basename "$f")
    sed -e "s#@PREFIX@#$prefix#g" -e "s#@AMI_PORT@#${AMI_PORT[$v]}#g" \
        -e "s#@AMI_TLS_PORT@#${AMI_TLS_PORT[$v]}#g" -e "s#@SIP_PORT@#${SIP_PORT[$v]}#g" \
        -e "s#@PHONE_PORT@#${PHONE_PORT[$v]}#g" "$f" >"$out.tmp"
    if grep -n '@[A-Z_]*@' "$out.tmp" >&2; then die "unreplaced placeholder in $f"; fi
    if cmp -s "$out.tmp" "$out"; then rm -f "$out.tmp"; else changed="$changed $(basename "$f")"; mv "$out.tmp" "$out"; fi
  done
  [ -z "$changed" ] || echo "[$v] configuration written:$changed (a running server reads it at start only)"
  cat >"$etc/test-server.env" <<EOF
# Written by tests/asterisk/build.sh: what this test server is configured with (KEY=VALUE).
VERSION=${RELEASE[$v]}
PREFIX=$prefix
AMI_HOST=127.0.0.1
AMI_PORT=${AMI_PORT[$v]}
AMI_TLS_PORT=${AMI_TLS_PORT[$v]}
SIP_PORT=${SIP_PORT[$v]}
PHONE_PORT=${PHONE_PORT[$v]}
EOF
  if [ ! -s "$etc/keys/ami-cert.pem" ] || [ ! -s "$etc/keys/ami-key.pem" ]; then
    # the names in subjectAltName too: TLS clients need not fall back to the CN
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$etc/keys/ami-key.pem" -out "$etc/keys/ami-cert.pem" 2>/dev/null
    chmod 600 "$etc/keys/ami-key.pem"
    echo "[$v] generated a self-signed AMI TLS certificate (CN=localhost) in $etc/keys"
  fi
}

mkdir -p "$AST_CACHE" "$LOGS"
todo=""
for v in $VERSIONS; do built "$v" || todo="$todo $v"; done
if [ -n "$todo" ]; then
  if [ "$MODE" != build ]; then
    echo "Asterisk$todo is not built in $AST_CACHE: run make test-asterisk ASTERISK_SRC=<folder with asterisk-20.20.1.tar.gz, asterisk-22.10.1.tar.gz, pjproject-2.17.tar.bz2> (in this project: ../shared/asterisk)" >&2
    exit 3
  fi
  need_sources
  install_deps
  for v in $todo; do
    t0=$SECONDS
    build_one "$v"
    echo "$(date -u +%FT%TZ) total-$v $((SECONDS - t0))s" | tee -a "$LOGS/times.txt"
  done
fi
for v in $VERSIONS; do
  install_config "$v"
  echo "SERVER $v $(prefix_of "$v")"
done
