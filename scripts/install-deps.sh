#!/bin/sh
# Installs what Loft needs to build and test on Debian 12, and nothing when
# everything is already there. Uses sudo when not root.
set -eu

PACKAGES="build-essential cmake ninja-build pkg-config
  libssl-dev libsqlite3-dev libargon2-dev libcrypt-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  openssl python3 python3-pytest curl fetchmail getmail6
  dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix
  isync offlineimap3 mutt tmux
  clang llvm strace"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Dovecot's and Postfix's packages would start their system services; Loft's
# tests run private instances, so keep the system ones from starting.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
