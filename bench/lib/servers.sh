# shellcheck shell=bash disable=SC2016
# bench/lib/servers.sh -- start, stop and provision the two servers that
# bench/compare.sh measures: Loft (build/loft serve) and a private Dovecot.
# Sourced, not run. Everything lives under $BENCH_WORK; nothing outside it is
# written except the system user $BENCH_MAIL_USER (created when missing).
#
# Inputs (set by the caller; defaults here):
#   BENCH_WORK         work directory (short path: Dovecot's unix sockets live in it)
#   BENCH_CACHE        corpus cache (generated Maildirs, reused across servers and runs)
#   BENCH_PASSWORD     every bench user's password
#   BENCH_MAIL_USER    unprivileged account both servers run their mail access as
#   LOFT_BIN           the loft binary
#   BENCH_GEN          /work/shared/corpus/gen-mailbox.py
#   BENCH_NOFILE       file descriptor limit set before starting a server
#   BENCH_TLS          1: both servers also listen for IMAPS and POP3S with one
#                      self-signed certificate (LMTP stays plain, as usual)

: "${BENCH_PASSWORD:=bench-pw}"
: "${BENCH_MAIL_USER:=loftbench}"
: "${BENCH_NOFILE:=262144}"
: "${BENCH_GEN:=/work/shared/corpus/gen-mailbox.py}"

: "${BENCH_TLS:=0}"
: "${BENCH_JOBS:=4}"   # parallel `loft user add` / `loft import` while provisioning

# raise_nofile: the file descriptor limit up to BENCH_NOFILE, or as far as
# the hard limit allows (a container may forbid raising the hard limit).
raise_nofile() {
    ulimit -n "$BENCH_NOFILE" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}

bench_log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
bench_die() { bench_log "ERROR: $*"; exit 1; }

# ---- requirements ---------------------------------------------------------------

# Prints what is missing (one line each) and returns non-zero when anything is.
check_requirements() {
    local missing=()
    [ "$(id -u)" = 0 ] || missing+=("root: run as root (sudo bench/compare.sh): ports, ulimit, drop_caches, users")
    command -v python3 >/dev/null || missing+=("python3 (apt-get install python3)")
    [ -x /usr/sbin/dovecot ] || missing+=("dovecot (apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd)")
    local d
    for d in imap pop3 lmtp imap-login pop3-login; do
        [ -x "/usr/lib/dovecot/$d" ] || missing+=("/usr/lib/dovecot/$d (apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd)")
    done
    command -v doveadm >/dev/null || missing+=("doveadm (apt-get install dovecot-core)")
    if [ ! -x "$LOFT_BIN" ]; then
        missing+=("$LOFT_BIN (build it: make, or ninja -C build loft)")
    elif ! "$LOFT_BIN" import --help >/dev/null 2>&1; then
        missing+=("'loft import' in $LOFT_BIN (an older build: rebuild it)")
    fi
    [ -x "$LOFT_BENCH" ] || missing+=("$LOFT_BENCH (build it: ninja -C build loft-bench)")
    [ -f "$BENCH_GEN" ] || missing+=("$BENCH_GEN (the corpus generator)")
    if ((BENCH_TLS)) && ! command -v openssl >/dev/null; then
        missing+=("openssl, for --tls (apt-get install openssl)")
    fi
    if ((${#missing[@]})); then
        printf 'missing: %s\n' "${missing[@]}"
        return 1
    fi
}

# The unprivileged account that owns the mail of both servers.
ensure_mail_user() {
    if ! id "$BENCH_MAIL_USER" >/dev/null 2>&1; then
        bench_log "creating system user $BENCH_MAIL_USER"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$BENCH_MAIL_USER" ||
            bench_die "cannot create user $BENCH_MAIL_USER"
    fi
}

# free_ports N: N distinct TCP ports on 127.0.0.1 that were free a moment ago.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_greeting PORT SECONDS: until a server greeting can be read there.
wait_greeting() {
    local port=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port" && timeout 2 head -c 3 <&3 | grep -q '^\(\* O\|+OK\|220\)') 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ---- corpus ---------------------------------------------------------------------

# corpus NAME COUNT SEED: prints the path of a Maildir of COUNT generated
# messages, made once (gen-mailbox.py is deterministic) and kept in the cache.
corpus() {
    local name=$1 count=$2 seed=$3
    local dir="$BENCH_CACHE/$name-$count-s$seed"
    if [ ! -f "$dir/.complete" ]; then
        rm -rf "$dir"
        mkdir -p "$BENCH_CACHE"
        bench_log "generating $count messages (seed $seed) into $dir"
        python3 "$BENCH_GEN" --count "$count" --seed "$seed" --format maildir --out "$dir" >&2 ||
            bench_die "gen-mailbox.py failed"
        touch "$dir/.complete"
    fi
    # The servers' unprivileged users read it (loft import after the data
    # directory changed hands; the copies for Dovecot keep the modes).
    chmod 755 "$BENCH_CACHE" "$dir" "$dir/cur" "$dir/new" "$dir/tmp" 2>/dev/null || true
    echo "$dir"
}

# bench_cert: one self-signed certificate (EC P-256, CN=localhost) for both
# servers; sets BENCH_CERT and BENCH_KEY.
bench_cert() {
    BENCH_CERT="$BENCH_WORK/cert.pem"
    BENCH_KEY="$BENCH_WORK/key.pem"
    [ -f "$BENCH_CERT" ] && return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$BENCH_KEY" \
        -out "$BENCH_CERT" -days 3 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
        >/dev/null 2>&1 || bench_die "openssl could not make a certificate"
    chmod 644 "$BENCH_CERT" "$BENCH_KEY"
}

# ---- Loft -----------------------------------------------------------------------

LOFT_DIR() { echo "$BENCH_WORK/loft"; }

# loft_setup: configuration file with fresh ports (LOFT_IMAP, LOFT_POP3, LOFT_LMTP).
loft_setup() {
    local d
    d=$(LOFT_DIR)
    mkdir -p "$d/data"
    chmod 755 "$BENCH_WORK" "$d"
    read -r LOFT_IMAP LOFT_POP3 LOFT_LMTP LOFT_IMAPS LOFT_POP3S < <(free_ports 5)
    local tls_listeners="" tls_section=""
    if ((BENCH_TLS)); then
        bench_cert
        tls_listeners="imaps = [\"127.0.0.1:$LOFT_IMAPS\"]
pop3s = [\"127.0.0.1:$LOFT_POP3S\"]"
        tls_section="[tls]
cert = \"$BENCH_CERT\"
key = \"$BENCH_KEY\""
    fi
    cat >"$d/loft.toml" <<EOF
# Generated by bench/lib/servers.sh for bench/compare.sh.
data_dir = "$d/data"
hostname = "loft.bench"
run_as = "$BENCH_MAIL_USER"

[listeners]
imap = ["127.0.0.1:$LOFT_IMAP"]
pop3 = ["127.0.0.1:$LOFT_POP3"]
lmtp = ["127.0.0.1:$LOFT_LMTP"]
$tls_listeners

$tls_section

[auth]
plaintext_on_loopback = true

[limits]
max_connections = 20000
max_connections_per_ip = 20000
${LOFT_BENCH_LIMITS_EXTRA:-}

[storage]
fsync = true

[log]
level = "warn"
EOF
    chmod 644 "$d/loft.toml"
}

loft_cli() { "$LOFT_BIN" "$@" --config "$(LOFT_DIR)/loft.toml"; }

start_loft() {
    local d
    d=$(LOFT_DIR)
    (
        raise_nofile
        exec "$LOFT_BIN" serve --config "$d/loft.toml" </dev/null >>"$d/serve.log" 2>&1
    ) &
    LOFT_PID=$!
    echo "$LOFT_PID" >"$d/loft.pid"
    # The first start as root hands the data directory to the mail user
    # (a recursive chown): allow for a big store.
    if ! wait_greeting "$LOFT_IMAP" 300 || ! wait_greeting "$LOFT_LMTP" 10 || ! kill -0 "$LOFT_PID" 2>/dev/null; then
        tail -n 20 "$d/serve.log" >&2
        bench_die "loft serve did not come up"
    fi
    bench_log "loft running (pid $LOFT_PID) imap $LOFT_IMAP pop3 $LOFT_POP3 lmtp $LOFT_LMTP"
}

stop_loft() {
    local d pid i
    d=$(LOFT_DIR)
    [ -f "$d/loft.pid" ] || return 0
    pid=$(cat "$d/loft.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            bench_log "loft (pid $pid) did not stop within 60 s; killing it"
            kill -KILL "$pid"
        fi
        wait "$pid" 2>/dev/null || true
    fi
    rm -f "$d/loft.pid"
    LOFT_PID=
}

# loft_add_users NAME...: `loft user add` (password on stdin), a few at a
# time (argon2id hashing and SQLite's busy timeout take care of the rest).
loft_add_users() {
    printf '%s\n' "$@" | LOFT_BIN=$LOFT_BIN CFG="$(LOFT_DIR)/loft.toml" PW=$BENCH_PASSWORD \
        xargs -P "$BENCH_JOBS" -I{} sh -c 'printf "%s\n" "$PW" | "$LOFT_BIN" user add "$1" --config "$CFG" >/dev/null' _ {} ||
        bench_die "loft user add failed"
}

# loft_fill_many MAILDIR USER...: the same messages into every user's INBOX,
# a few imports at a time (each user has its own index), each followed by
# `loft index` (the search index, built before any workload as Dovecot's
# index is).
loft_fill_many() {
    local src=$1
    shift
    printf '%s\n' "$@" | LOFT_BIN=$LOFT_BIN CFG="$(LOFT_DIR)/loft.toml" SRC=$src \
        xargs -P "$BENCH_JOBS" -I{} sh -c '"$LOFT_BIN" import "$1" "$SRC" --config "$CFG" >/dev/null &&
            "$LOFT_BIN" index "$1" --config "$CFG" >/dev/null' _ {} ||
        bench_die "loft import or index into one of the bench users failed"
}

# loft_fill USER MAILDIR: the Maildir's messages into USER's INBOX.
loft_fill() {
    local out
    out=$(loft_cli import "$1" "$2" 2>&1) || bench_die "loft import $1 $2 failed: $out"
    bench_log "loft: $out"
    # The search index built now, as Dovecot's index is by dovecot_warm (the
    # time is in the log: it is part of provisioning, not of a workload).
    out=$(loft_cli index "$1" 2>&1) || bench_die "loft index $1 failed: $out"
    bench_log "loft: $(printf '%s' "$out" | tail -1)"
}

# ---- Dovecot --------------------------------------------------------------------

DOVECOT_DIR() { echo "$BENCH_WORK/dovecot"; }

# dovecot_setup: configuration (bench/lib/dovecot.conf.in) with fresh ports
# (DOVECOT_IMAP, DOVECOT_POP3, DOVECOT_LMTP).
dovecot_setup() {
    local d uid gid
    d=$(DOVECOT_DIR)
    [ ${#d} -le 70 ] || bench_die "work directory path too long for Dovecot's unix sockets: $d"
    mkdir -p "$d/run" "$d/state" "$d/home"
    chmod 755 "$BENCH_WORK" "$d" "$d/run" "$d/home"
    : >"$d/users"
    chmod 644 "$d/users"
    read -r DOVECOT_IMAP DOVECOT_POP3 DOVECOT_LMTP DOVECOT_IMAPS DOVECOT_POP3S < <(free_ports 5)
    uid=$(id -u "$BENCH_MAIL_USER")
    gid=$(id -g "$BENCH_MAIL_USER")
    local ssl=no ssl_files="" imaps=0 pop3s=0
    if ((BENCH_TLS)); then
        bench_cert
        ssl=yes
        ssl_files="ssl_cert = <$BENCH_CERT\nssl_key = <$BENCH_KEY"
        imaps=$DOVECOT_IMAPS
        pop3s=$DOVECOT_POP3S
    fi
    sed -e "s|@DIR@|$d|g" -e "s|@IMAP_PORT@|$DOVECOT_IMAP|g" -e "s|@POP3_PORT@|$DOVECOT_POP3|g" \
        -e "s|@SSL@|$ssl|" -e "s|@SSL_FILES@|$ssl_files|" -e "s|@IMAPS_PORT@|$imaps|" -e "s|@POP3S_PORT@|$pop3s|" \
        -e "s|@LMTP_PORT@|$DOVECOT_LMTP|g" -e "s|@UID@|$uid|g" -e "s|@GID@|$gid|g" \
        "$BENCH_LIB/dovecot.conf.in" >"$d/dovecot.conf"
    /usr/sbin/dovecot -c "$d/dovecot.conf" -n >/dev/null 2>"$d/config-check.err" ||
        bench_die "dovecot rejected the configuration: $(cat "$d/config-check.err")"
    if [ -s "$d/config-check.err" ]; then
        bench_log "dovecot configuration warnings:"
        cat "$d/config-check.err" >&2
    fi
}

dovecot_master_pid() { cat "$(DOVECOT_DIR)/run/master.pid" 2>/dev/null; }

start_dovecot() {
    local d i
    d=$(DOVECOT_DIR)
    (
        raise_nofile
        exec /usr/sbin/dovecot -F -c "$d/dovecot.conf" </dev/null >>"$d/dovecot.log" 2>&1
    ) &
    DOVECOT_PID=$!
    echo "$DOVECOT_PID" >"$d/dovecot.pid"
    if ! wait_greeting "$DOVECOT_IMAP" 30 || ! wait_greeting "$DOVECOT_LMTP" 10 ||
        ! kill -0 "$DOVECOT_PID" 2>/dev/null; then
        tail -n 20 "$d/dovecot.log" >&2
        bench_die "dovecot did not come up"
    fi
    bench_log "dovecot running (master pid $DOVECOT_PID) imap $DOVECOT_IMAP pop3 $DOVECOT_POP3 lmtp $DOVECOT_LMTP"
}

stop_dovecot() {
    local d pid i
    d=$(DOVECOT_DIR)
    [ -f "$d/dovecot.pid" ] || return 0
    pid=$(cat "$d/dovecot.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            bench_log "dovecot (pid $pid) did not stop within 60 s; killing it"
            kill -KILL "$pid"
        fi
        wait "$pid" 2>/dev/null || true
    fi
    rm -f "$d/dovecot.pid"
    DOVECOT_PID=
}

# dovecot_add_users NAME...: passwd-file entries with exactly the password
# hashes Loft stored (argon2id, Loft's parameters), so that both servers pay
# the same for a login. Needs the users in Loft first (loft_add_users).
dovecot_add_users() {
    local d uid gid
    d=$(DOVECOT_DIR)
    uid=$(id -u "$BENCH_MAIL_USER")
    gid=$(id -g "$BENCH_MAIL_USER")
    python3 "$BENCH_LIB/loft_hashes.py" "$(LOFT_DIR)/data/users.db" "$@" |
        while IFS=$'\t' read -r name hash; do
            mkdir -p "$d/home/$name/Maildir/cur" "$d/home/$name/Maildir/new" "$d/home/$name/Maildir/tmp"
            chown -R "$uid:$gid" "$d/home/$name"
            printf '%s:{%s}%s:%s:%s::%s::\n' "$name" "$(dovecot_scheme "$hash")" "$hash" "$uid" "$gid" "$d/home/$name"
        done >>"$d/users"
    local n
    n=$(wc -l <"$d/users")
    bench_log "dovecot passwd-file has $n users"
}

# Dovecot's scheme name for a crypt/PHC hash string.
dovecot_scheme() {
    case "$1" in
        '$argon2id$'*) echo ARGON2ID ;;
        '$argon2i$'*) echo ARGON2I ;;
        '$6$'*) echo SHA512-CRYPT ;;
        '$2'*) echo BLF-CRYPT ;;
        *) echo CRYPT ;;
    esac
}

# dovecot_fill USER MAILDIR: the Maildir's files (mtimes kept: Dovecot takes
# INTERNALDATE from them, as loft import does) into USER's ~/Maildir.
dovecot_fill() {
    local user=$1 src=$2 dst
    dst="$(DOVECOT_DIR)/home/$user/Maildir"
    mkdir -p "$dst/cur" "$dst/new" "$dst/tmp"
    find "$src/cur" -maxdepth 1 -type f -exec cp -p -t "$dst/cur" {} +
    find "$src/new" -maxdepth 1 -type f -exec cp -p -t "$dst/new" {} +
    chown -R "$BENCH_MAIL_USER:" "$(DOVECOT_DIR)/home/$user"
}

# dovecot_warm USER...: builds Dovecot's index (dovecot-uidlist, dovecot.index)
# with one mailbox sync per user, as loft import leaves a complete index.
dovecot_warm() {
    local d list
    d=$(DOVECOT_DIR)
    list="$d/warm-users.txt"
    printf '%s\n' "$@" >"$list"
    doveadm -c "$d/dovecot.conf" mailbox status -F "$list" messages INBOX >/dev/null ||
        bench_die "doveadm mailbox status (index warm-up) failed"
}

# ---- sizes on disk ----------------------------------------------------------------

# disk_usage_kb PATH...: allocated size in KiB.
disk_usage_kb() { du -sk "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
