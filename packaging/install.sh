#!/bin/sh
# Homeostat agent installer (POSIX sh). Served by the control plane at /install.sh; docs/agent-install.md.
#
#   curl -fsSL http://<control-plane>/install.sh | sudo sh -s -- --token <TOKEN> [--labels k=v,...]
#
# Downloads the agent artifact for this platform from the same control plane, verifies its sha256 and its ed25519
# signature against the control plane's signing key (pinned in /etc/homeostat/signing-key.pub.pem the first time),
# installs /opt/homeostat/agent/<version> with a `current` link, writes /etc/homeostat/agent.yaml, creates
# /var/lib/homeostat, enrolls, installs and starts the systemd unit homeostat-agent.service. Safe to re-run.
# Nothing is installed or changed before every check has passed.
set -eu

# The control plane that served this script puts its advertised URL here; --server overrides it.
SERVER_DEFAULT='@HOMEOSTAT_SERVER_URL@'

PREFIX=/opt/homeostat/agent
ETC=/etc/homeostat
STATE=/var/lib/homeostat
UNIT=/etc/systemd/system/homeostat-agent.service
BINLINK=/usr/local/bin/homeostat-agent

usage() {
  cat <<'EOF'
Usage: install.sh [--server URL] (--token TOKEN | --token-file FILE) [--labels k=v,...] [--key-sha256 HEX]
                  [--ca-sha256 HEX]
       install.sh --uninstall [--purge]

  --server URL         control plane HTTP URL (default: the one that served this script)
  --token TOKEN        enrollment token (homeostat token create, or the Enrollment page)
  --token-file FILE    read the token from FILE ('-' = stdin, when the script is not itself read from stdin)
  --labels k=v,...     host labels (the token's labels win on conflict)
  --key-sha256 HEX     refuse unless the control plane's signing key has this sha256 (of its SPKI DER; the
                       Enrollment page shows it)
  --ca-sha256 HEX      https:// server with its own CA: fetch the CA, refuse unless its certificate has this sha256
                       (the Enrollment page shows it), verify every download against it and pin it in the agent
  --artifact FILE      install this artifact (with FILE.sha256, FILE.sig beside it) instead of downloading it;
                       a signed .deb (npm run package:deb) is verified the same way, then installed with dpkg -i
  --key FILE           the signing key (PEM) to verify --artifact against (default: beside the artifact)
  --no-start           install and enroll, but do not start the service
  --uninstall          stop and remove the agent, its unit and /etc/homeostat; keep /var/lib/homeostat
  --purge              with --uninstall: remove /var/lib/homeostat (the agent's identity and outbox) too
EOF
}

say() { printf '%s\n' "homeostat: $*"; }
die() {
  printf '%s\n' "homeostat: ERROR: $*" >&2
  exit 1
}

SERVER=''
TOKEN=''
TOKEN_FILE=''
LABELS=''
KEY_SHA256=''
CA_SHA256=''
ARTIFACT=''
KEYFILE=''
NO_START=0
UNINSTALL=0
PURGE=0
while [ $# -gt 0 ]; do
  case $1 in
    --server) SERVER=${2:?--server needs a URL}; shift 2 ;;
    --server=*) SERVER=${1#*=}; shift ;;
    --token) TOKEN=${2:?--token needs a value}; shift 2 ;;
    --token=*) TOKEN=${1#*=}; shift ;;
    --token-file) TOKEN_FILE=${2:?--token-file needs a file}; shift 2 ;;
    --labels) LABELS=${2:?--labels needs k=v,...}; shift 2 ;;
    --labels=*) LABELS=${1#*=}; shift ;;
    --key-sha256) KEY_SHA256=${2:?--key-sha256 needs a hex digest}; shift 2 ;;
    --ca-sha256) CA_SHA256=${2:?--ca-sha256 needs a hex digest}; shift 2 ;;
    --artifact) ARTIFACT=${2:?--artifact needs a file}; shift 2 ;;
    --key) KEYFILE=${2:?--key needs a file}; shift 2 ;;
    --no-start) NO_START=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[ "$(id -u)" = 0 ] || die 'run me as root (curl -fsSL …/install.sh | sudo sh -s -- …)'

has_systemd() { [ -d /run/systemd/system ]; }

uninstall() {
  if has_systemd; then
    systemctl disable --now homeostat-agent.service >/dev/null 2>&1 || true
  fi
  # installed from the .deb: dpkg removes its files first (and forgets the package)
  if command -v dpkg-query >/dev/null 2>&1 &&
    dpkg-query -W -f='${Status}' homeostat-agent 2>/dev/null | grep -q 'install ok installed'; then
    if [ "$PURGE" = 1 ]; then dpkg -P homeostat-agent; else dpkg -r homeostat-agent; fi
  fi
  rm -f "$UNIT" "$BINLINK"
  if has_systemd; then systemctl daemon-reload || true; fi
  rm -rf "$PREFIX" "$ETC"
  rmdir /opt/homeostat 2>/dev/null || true
  say "removed $PREFIX, $ETC, $UNIT, $BINLINK"
  if [ "$PURGE" = 1 ]; then
    rm -rf "$STATE"
    say "purged $STATE (identity, outbox)"
  else
    say "kept $STATE (identity, outbox; --purge removes it)"
  fi
}
if [ "$UNINSTALL" = 1 ]; then
  uninstall
  exit 0
fi

# --- platform -------------------------------------------------------------------------------------------------------
[ "$(uname -s)" = Linux ] || die "the agent runs on Linux (this is $(uname -s))"
case $(uname -m) in
  x86_64 | amd64) ARCH=x64 DEBARCH=amd64 ;;
  aarch64 | arm64) ARCH=arm64 DEBARCH=arm64 ;;
  *) die "no agent build for $(uname -m): artifacts exist for linux-x64 and linux-arm64 (docs/agent-install.md)" ;;
esac
PLATFORM=linux-$ARCH
for tool in tar gzip sha256sum mktemp; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed and missing"
done

if [ -z "$SERVER" ]; then
  case $SERVER_DEFAULT in
    @*) die '--server URL is needed (this script was not served by a control plane)' ;;
    *) SERVER=$SERVER_DEFAULT ;;
  esac
fi
SERVER=${SERVER%/}
case $SERVER in
  http://* | https://*) ;;
  *) die "--server must be an http:// or https:// URL, got '$SERVER'" ;;
esac

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
chmod 700 "$TMP"

# The token: read it before anything slow, never echo it.
if [ -n "$TOKEN_FILE" ]; then
  if [ "$TOKEN_FILE" = - ]; then
    IFS= read -r TOKEN || true
  else
    [ -r "$TOKEN_FILE" ] || die "cannot read --token-file $TOKEN_FILE"
    TOKEN=$(cat "$TOKEN_FILE")
  fi
fi
if [ -n "$TOKEN" ]; then
  (umask 077 && printf '%s\n' "$TOKEN" >"$TMP/token")
fi
TOKEN=''

CURL_TLS=''
WGET_TLS=''
fetch() { # fetch URL FILE
  if command -v curl >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    curl -fsSL --retry 3 $CURL_TLS -o "$2" "$1" || return 1
  elif command -v wget >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    wget -q $WGET_TLS -O "$2" "$1" || return 1
  else
    die 'curl or wget is needed to download the agent'
  fi
}

# --- the control plane's CA (HTTPS with a private CA, docs/tls.md) --------------------------------------------------
# Fetched without verification, then accepted only if its certificate's sha256 is the pin; from then on every
# download is verified against it and the agent pins it at enrollment.
if [ -n "$CA_SHA256" ]; then
  case $SERVER in https://*) ;; *) die "--ca-sha256 needs an https:// server, got '$SERVER'" ;; esac
  PIN=$(printf '%s' "$CA_SHA256" | tr -d ':' | tr 'A-F' 'a-f')
  printf '%s' "$PIN" | grep -Eq '^[0-9a-f]{64}$' || die "--ca-sha256 must be 64 hex digits, got '$CA_SHA256'"
  CURL_TLS='-k'
  WGET_TLS='--no-check-certificate'
  fetch "$SERVER/downloads/ca.pem" "$TMP/ca.pem" || die "cannot fetch $SERVER/downloads/ca.pem"
  command -v base64 >/dev/null 2>&1 || die 'base64 is needed to check --ca-sha256'
  GOT=$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$TMP/ca.pem" | sed '1d;$d' | base64 -d | sha256sum | cut -d' ' -f1)
  [ "$GOT" = "$PIN" ] || die "the CA served by $SERVER has sha256 $GOT, not $PIN (--ca-sha256): not installing"
  CURL_TLS="--cacert $TMP/ca.pem"
  WGET_TLS="--ca-certificate=$TMP/ca.pem"
  say "control plane CA verified (sha256 $PIN)"
fi

# --- download -------------------------------------------------------------------------------------------------------
# The offline bundle: run as ./install.sh next to an artifact for this platform, install that one (no download).
if [ -z "$ARTIFACT" ]; then
  case $0 in
    *install.sh)
      for f in "$(dirname "$0")"/homeostat-agent-*-"$PLATFORM".tar.gz; do
        [ -f "$f" ] && ARTIFACT=$f
      done
      ;;
  esac
fi
if [ -n "$ARTIFACT" ]; then
  [ -f "$ARTIFACT" ] || die "no such artifact: $ARTIFACT"
  FILE=$(basename "$ARTIFACT")
  cp "$ARTIFACT" "$TMP/$FILE"
  cp "$ARTIFACT.sha256" "$TMP/$FILE.sha256" 2>/dev/null || die "missing $ARTIFACT.sha256"
  cp "$ARTIFACT.sig" "$TMP/$FILE.sig" 2>/dev/null || die "missing $ARTIFACT.sig"
  cp "${KEYFILE:-$(dirname "$ARTIFACT")/signing-key.pub.pem}" "$TMP/key.pem" 2>/dev/null || die 'missing the signing key (--key FILE)'
  EXPECTED=$(cut -d' ' -f1 "$TMP/$FILE.sha256")
  say "installing $FILE (offline)"
else
  fetch "$SERVER/downloads/agent-$PLATFORM.txt" "$TMP/manifest" ||
    die "cannot fetch $SERVER/downloads/agent-$PLATFORM.txt (is the control plane reachable from here, and does it have a $PLATFORM agent?)"
  FILE=$(sed -n 's/^file=//p' "$TMP/manifest")
  EXPECTED=$(sed -n 's/^sha256=//p' "$TMP/manifest")
  if [ -z "$FILE" ] || [ -z "$EXPECTED" ]; then die "unexpected manifest from $SERVER"; fi
  fetch "$SERVER/downloads/signing-key.pub.pem" "$TMP/key.pem" || die "cannot fetch the signing key from $SERVER"
  say "downloading $SERVER/downloads/$FILE"
  fetch "$SERVER/downloads/$FILE" "$TMP/$FILE" || die "download of $FILE failed; nothing installed"
  fetch "$SERVER/downloads/$FILE.sha256" "$TMP/$FILE.sha256" || die "cannot fetch $FILE.sha256"
  fetch "$SERVER/downloads/$FILE.sig" "$TMP/$FILE.sig" || die "cannot fetch $FILE.sig"
fi
KIND=tar
case $FILE in
  homeostat-agent-*-"$PLATFORM".tar.gz)
    VERSION=${FILE#homeostat-agent-}
    VERSION=${VERSION%-"$PLATFORM".tar.gz}
    ;;
  homeostat-agent_*_"$DEBARCH".deb)
    [ -n "$ARTIFACT" ] || die "unexpected artifact name '$FILE' from $SERVER"
    command -v dpkg >/dev/null 2>&1 || die "$FILE needs dpkg (Debian, Ubuntu); install the .tar.gz artifact elsewhere"
    KIND=deb
    VERSION=${FILE#homeostat-agent_}
    VERSION=${VERSION%_"$DEBARCH".deb}
    ;;
  *) die "unexpected artifact name '$FILE'" ;;
esac
case $VERSION in
  '' | *[!0-9A-Za-z.+~-]*) die "unexpected version '$VERSION'" ;;
esac

# --- verify: checksum, key pin, signature ---------------------------------------------------------------------------
ACTUAL=$(sha256sum "$TMP/$FILE" | cut -d' ' -f1)
LISTED=$(cut -d' ' -f1 "$TMP/$FILE.sha256")
if [ "$ACTUAL" != "$EXPECTED" ] || [ "$ACTUAL" != "$LISTED" ]; then
  die "checksum mismatch for $FILE: got $ACTUAL, expected $EXPECTED (a truncated or altered download); nothing installed"
fi
say "sha256 OK ($ACTUAL)"

KEY_FP=$(sed '/-----/d' "$TMP/key.pem" | tr -d '\n\r ' | base64 -d 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ -n "$KEY_SHA256" ] && [ "$KEY_SHA256" != "$KEY_FP" ]; then
  die "the control plane's signing key has sha256 $KEY_FP, not the $KEY_SHA256 you gave (--key-sha256); nothing installed"
fi
if [ -f "$ETC/signing-key.pub.pem" ] && ! cmp -s "$ETC/signing-key.pub.pem" "$TMP/key.pem"; then
  die "the control plane's signing key differs from the one this host pinned ($ETC/signing-key.pub.pem); if the control plane's key was replaced on purpose, remove that file and run me again; nothing installed"
fi

# The signature, by the first verifier available: openssl (3.x: ed25519 with -rawin), the installed agent's node,
# else the node of this artifact (already matched against its sha256). docs/agent-install.md discusses the choice.
verify_with_node() { # NODE VERIFIER
  "$1" "$2" "$TMP/$FILE" "$TMP/$FILE.sig" "$TMP/key.pem" >/dev/null 2>"$TMP/verify.err"
}
VERIFIED=''
if command -v openssl >/dev/null 2>&1 &&
  openssl pkeyutl -verify -pubin -inkey "$TMP/key.pem" -rawin -in "$TMP/$FILE" -sigfile "$TMP/$FILE.sig" >/dev/null 2>&1; then
  VERIFIED=openssl
elif command -v openssl >/dev/null 2>&1 && openssl version 2>/dev/null | grep -q '^OpenSSL [3-9]'; then
  die "BAD signature: $FILE is not signed by the control plane's key (openssl); nothing installed"
else
  mkdir "$TMP/x"
  if [ "$KIND" = deb ]; then
    X=$TMP/x/opt/homeostat/agent/$VERSION
    dpkg-deb --fsys-tarfile "$TMP/$FILE" | tar -x -C "$TMP/x" "./opt/homeostat/agent/$VERSION/bin/node" \
      "./opt/homeostat/agent/$VERSION/share/verify-signature.mjs" || die "$FILE is not a complete agent package; nothing installed"
  else
    X=$TMP/x/homeostat-agent-$VERSION
    tar -xzf "$TMP/$FILE" -C "$TMP/x" "homeostat-agent-$VERSION/bin/node" "homeostat-agent-$VERSION/share/verify-signature.mjs" ||
      die "$FILE is not a complete agent artifact; nothing installed"
  fi
  NODE=$X/bin/node
  VERIFIER=$X/share/verify-signature.mjs
  if [ -x "$PREFIX/current/bin/node" ] && [ -f "$PREFIX/current/share/verify-signature.mjs" ]; then
    NODE=$PREFIX/current/bin/node
    VERIFIER=$PREFIX/current/share/verify-signature.mjs
  fi
  "$NODE" --version >/dev/null 2>&1 || die "this system cannot run the shipped Node.js (glibc 2.28+ needed); nothing installed"
  if verify_with_node "$NODE" "$VERIFIER"; then
    VERIFIED="node ($NODE)"
  else
    die "BAD signature: $FILE is not signed by the control plane's key: $(cat "$TMP/verify.err"); nothing installed"
  fi
fi
say "signature OK (ed25519, verified with $VERIFIED; key sha256 $KEY_FP)"

# --- install --------------------------------------------------------------------------------------------------------
if [ "$KIND" = deb ]; then
  # the package brings the same layout, /usr/bin/homeostat-agent and the unit in /lib/systemd/system
  PREVIOUS=$(readlink "$PREFIX/current" 2>/dev/null || true)
  dpkg -i --force-confold "$TMP/$FILE" || die "dpkg -i $FILE failed (message above)"
else
  mkdir -p "$PREFIX"
  rm -rf "$PREFIX/.unpack"
  mkdir "$PREFIX/.unpack"
  tar -xzf "$TMP/$FILE" -C "$PREFIX/.unpack" || die "unpacking $FILE failed"
  "$PREFIX/.unpack/homeostat-agent-$VERSION/bin/node" --version >/dev/null 2>&1 ||
    die "this system cannot run the shipped Node.js (glibc 2.28+ needed)"
  PREVIOUS=$(readlink "$PREFIX/current" 2>/dev/null || true)
  if [ -d "$PREFIX/$VERSION" ]; then
    rm -rf "$PREFIX/.old"
    mv "$PREFIX/$VERSION" "$PREFIX/.old"
  fi
  mv "$PREFIX/.unpack/homeostat-agent-$VERSION" "$PREFIX/$VERSION"
  rm -rf "$PREFIX/.unpack" "$PREFIX/.old"
  ln -sfn "$VERSION" "$PREFIX/current.new"
  mv -T "$PREFIX/current.new" "$PREFIX/current"
  if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "$VERSION" ]; then
    ln -sfn "$PREVIOUS" "$PREFIX/previous"
  fi
  mkdir -p "$(dirname "$BINLINK")"
  ln -sfn "$PREFIX/current/bin/homeostat-agent" "$BINLINK"
fi
say "installed $PREFIX/$VERSION (current -> $VERSION${PREVIOUS:+, previous: $PREVIOUS})"

mkdir -p "$ETC"
chmod 755 "$ETC"
cp "$TMP/key.pem" "$ETC/signing-key.pub.pem"
chmod 644 "$ETC/signing-key.pub.pem"
if [ "$KIND" = deb ] && ! grep -q '^server:' "$ETC/agent.yaml" 2>/dev/null; then
  # the package's conffile names no control plane: add this one (dpkg keeps the edit on upgrades)
  printf 'server:\n  url: %s\n' "$SERVER" >>"$ETC/agent.yaml"
  say "added server.url $SERVER to $ETC/agent.yaml"
elif [ -f "$ETC/agent.yaml" ]; then
  say "kept $ETC/agent.yaml"
else
  cat >"$ETC/agent.yaml" <<EOF
# Homeostat agent configuration (written by install.sh; README.md "Agent configuration" lists every key).
stateDir: $STATE
server:
  url: $SERVER
EOF
  chmod 644 "$ETC/agent.yaml"
  say "wrote $ETC/agent.yaml"
fi
mkdir -p "$STATE"
chmod 700 "$STATE"

# --- enroll ---------------------------------------------------------------------------------------------------------
AGENT=$PREFIX/current/bin/homeostat-agent
if [ -f "$STATE/credentials.json" ]; then
  say "already enrolled (identity in $STATE/credentials.json kept)"
else
  [ -f "$TMP/token" ] || die "an enrollment token is needed: --token TOKEN or --token-file FILE (the agent is installed; run me again with one)"
  if [ -n "$LABELS" ]; then
    "$AGENT" enroll --config "$ETC/agent.yaml" --server "$SERVER" --token-file "$TMP/token" --labels "$LABELS" ${CA_SHA256:+--ca-file "$TMP/ca.pem"} ||
      die 'enrollment failed (message above); the agent is installed, run me again with a valid token'
  else
    "$AGENT" enroll --config "$ETC/agent.yaml" --server "$SERVER" --token-file "$TMP/token" ${CA_SHA256:+--ca-file "$TMP/ca.pem"} ||
      die 'enrollment failed (message above); the agent is installed, run me again with a valid token'
  fi
fi

# --- service --------------------------------------------------------------------------------------------------------
if [ "$KIND" = deb ]; then
  UNIT=/lib/systemd/system/homeostat-agent.service # the package's; a copy in /etc would shadow its upgrades
else
  cp "$PREFIX/current/share/homeostat-agent.service" "$UNIT"
  chmod 644 "$UNIT"
fi
if has_systemd; then
  systemctl daemon-reload
  systemctl enable homeostat-agent.service >/dev/null 2>&1
  if [ "$NO_START" = 1 ]; then
    say "installed $UNIT (enabled, not started: --no-start)"
  else
    systemctl restart homeostat-agent.service
    say "started homeostat-agent.service (journalctl -u homeostat-agent)"
  fi
else
  say "installed $UNIT; systemd is not running here, so nothing was started."
  say "run the agent as the unit would: $AGENT run --config $ETC/agent.yaml"
fi
say "done: homeostat-agent $VERSION from $SERVER; status: homeostat-agent status"
