#!/usr/bin/env bash
# bench/compare.sh -- Loft and Dovecot side by side, same users, same messages.
#
# Usage: sudo bench/compare.sh [--quick] [--workloads LIST] [--out DIR] [--update-results]
#                              [--servers loft,dovecot] [--cache DIR] [--keep] [--tls] [--clients LIST]
#
#   --quick            shorter runs and smaller data (about 10 minutes instead of an hour or more)
#   --workloads LIST   comma-separated subset of: imap-mix,pop3-download,lmtp-ingest,idle-fanout,big-mailbox
#   --out DIR          where the JSON files, logs and RESULTS.md go (default: a new temporary directory)
#   --update-results   copy the markdown to bench/RESULTS.md afterwards
#   --servers LIST     loft,dovecot (default both, in that order)
#   --cache DIR        generated corpora, kept between runs (default /var/tmp/loft-bench-cache)
#   --keep             keep the work directory (data directories of both servers)
#   --tls              IMAP and POP3 over implicit TLS (IMAPS, POP3S; one self-signed
#                      certificate for both servers); LMTP stays plain
#   --clients LIST     imap-mix client counts, comma-separated (default 1,10,50; full run 1,10,50,200,1000)
#   --duration S       seconds each imap-mix run lasts (default 5 quick, 20 full)
#
# Every workload runs against Loft, then against Dovecot, in the same run.
# Needs root, the built build/loft and build/loft-bench, python3 and Dovecot
# (apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd python3); it
# installs nothing. See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BENCH_LIB="$HERE/lib"
LOFT_BIN=${LOFT_BIN:-$REPO/build/loft}
LOFT_BENCH=${LOFT_BENCH:-$REPO/build/loft-bench}

QUICK=0
WORKLOADS=imap-mix,pop3-download,lmtp-ingest,idle-fanout,big-mailbox
OUT=
UPDATE=0
SERVERS=loft,dovecot
BENCH_CACHE=/var/tmp/loft-bench-cache
KEEP=0
CLIENTS_ARG=""
DURATION_ARG=""
BENCH_TLS=0
while (($#)); do
    case "$1" in
        --quick) QUICK=1 ;;
        --workloads) WORKLOADS=$2; shift ;;
        --workloads=*) WORKLOADS=${1#*=} ;;
        --out) OUT=$2; shift ;;
        --out=*) OUT=${1#*=} ;;
        --update-results) UPDATE=1 ;;
        --servers) SERVERS=$2; shift ;;
        --servers=*) SERVERS=${1#*=} ;;
        --cache) BENCH_CACHE=$2; shift ;;
        --cache=*) BENCH_CACHE=${1#*=} ;;
        --keep) KEEP=1 ;;
        --tls) BENCH_TLS=1 ;;
        --clients) CLIENTS_ARG=$2; shift ;;
        --clients=*) CLIENTS_ARG=${1#*=} ;;
        --duration) DURATION_ARG=$2; shift ;;
        --duration=*) DURATION_ARG=${1#*=} ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for w in ${WORKLOADS//,/ }; do
    case "$w" in imap-mix | pop3-download | lmtp-ingest | idle-fanout | big-mailbox) ;;
        *) echo "compare.sh: unknown workload $w" >&2; exit 2 ;; esac
done
for s in ${SERVERS//,/ }; do
    case "$s" in loft | dovecot) ;; *) echo "compare.sh: unknown server $s" >&2; exit 2 ;; esac
done

# shellcheck source=lib/servers.sh
. "$BENCH_LIB/servers.sh"

if ! check_requirements; then
    echo "compare.sh: cannot run; install or build what is listed above." >&2
    exit 1
fi
want() { [[ ",$WORKLOADS," == *",$1,"* ]]; }

# ---- sizes of everything -------------------------------------------------------------
if ((QUICK)); then
    CLIENTS=(1 10 50)
    DURATION=5
    BIG_COUNT=10000
    POP_COUNT=2000
    IDLE_SESSIONS=1000
    LMTP_COUNT=2000
else
    CLIENTS=(1 10 50 200 1000)
    DURATION=20
    BIG_COUNT=100000
    POP_COUNT=10000
    IDLE_SESSIONS=10000
    LMTP_COUNT=20000
fi
if [ -n "$DURATION_ARG" ]; then
    [[ "$DURATION_ARG" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --duration wants whole seconds" >&2; exit 2; }
    DURATION=$DURATION_ARG
fi
if [ -n "${CLIENTS_ARG:-}" ]; then
    IFS=, read -r -a CLIENTS <<<"$CLIENTS_ARG"
    for c in "${CLIENTS[@]}"; do
        [[ "$c" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --clients wants positive numbers: $CLIENTS_ARG" >&2; exit 2; }
    done
fi
RELOGIN_CLIENTS=50
FILL_COUNT=200       # messages in every bench user's INBOX
IDLE_USERS=100
LMTP_USERS=100
NUSERS=$IDLE_USERS   # bench1..benchN: as many as the largest per-user client count, at least 100
for c in "${CLIENTS[@]}"; do ((c > NUSERS)) && NUSERS=$c; done
BIG_USER=bigbox
POP_USER=popbox

# The servers' data go under $BENCH_TMP (default /tmp); a tmpfs there takes
# the disk out of an A/B comparison of CPU costs (fsync is then a no-op).
BENCH_WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/lcmp.XXXXXX")
chmod 755 "$BENCH_WORK"
[ -n "$OUT" ] || OUT="$BENCH_WORK/out"
mkdir -p "$OUT/json" "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
export BENCH_WORK BENCH_CACHE BENCH_TLS

cleanup() {
    stop_loft || true
    stop_dovecot || true
    if ((KEEP)); then
        bench_log "work directory kept: $BENCH_WORK"
    elif [[ "$OUT" == "$BENCH_WORK"/* ]]; then
        find "$BENCH_WORK" -mindepth 1 -maxdepth 1 ! -name out -exec rm -rf {} +
    else
        rm -rf "$BENCH_WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_log "mode: $( ((QUICK)) && echo quick || echo full); workloads: $WORKLOADS; servers: $SERVERS; output: $OUT"
ensure_mail_user

# ---- the machine and the versions, for the report ----------------------------------
machine_json() {
    local disk_dev disk_model fs
    disk_dev=$(df --output=source "$BENCH_WORK" | tail -1)
    fs=$(df --output=fstype "$BENCH_WORK" | tail -1)
    local parent model size rota
    parent=$(lsblk -no PKNAME "$disk_dev" 2>/dev/null | head -1 || true)
    [ -n "$parent" ] && parent=/dev/$parent || parent=$disk_dev
    model=$(lsblk -dno MODEL "$parent" 2>/dev/null | xargs || true)
    size=$(lsblk -dno SIZE "$parent" 2>/dev/null | xargs || true)
    rota=$(lsblk -dno ROTA "$parent" 2>/dev/null | xargs || true)
    disk_model="model ${model:-unknown (virtual disk?)}, ${size:-?}, $([ "$rota" = 0 ] && echo SSD/non-rotational || echo "reported as rotational")"
    python3 - "$disk_dev" "$fs" "$disk_model" <<PY
import json, os, platform, sys
mem = 0
for line in open('/proc/meminfo'):
    if line.startswith('MemTotal:'):
        mem = int(line.split()[1])
cpu = ''
for line in open('/proc/cpuinfo'):
    if line.startswith('model name'):
        cpu = line.split(':', 1)[1].strip(); break
print(json.dumps({
    'date': '$(date -u '+%Y-%m-%d %H:%M UTC')',
    'host_cpus': os.cpu_count(), 'cpu_model': cpu, 'mem_gib': round(mem / 1048576, 1),
    'kernel': platform.release(), 'disk': sys.argv[1], 'fs': sys.argv[2],
    'disk_model': sys.argv[3],
    'loft_version': '''$("$LOFT_BIN" --version 2>&1 | head -1)''',
    'loft_binary': '$LOFT_BIN',
    'dovecot_version': '''$(/usr/sbin/dovecot --version 2>&1 | head -1)''',
    'loft_bench_version': '''$("$LOFT_BENCH" --version 2>/dev/null | head -1 || true)''' or
        'built %s' % '$(date -u -r "$LOFT_BENCH" '+%Y-%m-%d %H:%M UTC')',
    'loft_built': '$(date -u -r "$LOFT_BIN" '+%Y-%m-%d %H:%M UTC')',
    'nofile': '$(raise_nofile; ulimit -n)',
    'mode': '$( ((QUICK)) && echo quick || echo full)',
    'tls': $( ((BENCH_TLS)) && echo True || echo False),
    'workloads': '$WORKLOADS',
}, indent=1))
PY
}
machine_json >"$OUT/json/machine.json"

# ---- corpora (generated once, reused by both servers) ---------------------------------
FILL_DIR=$(corpus fill "$FILL_COUNT" 1)
BIG_DIR=
POP_DIR=
want big-mailbox && BIG_DIR=$(corpus big "$BIG_COUNT" 2)
want pop3-download && POP_DIR=$(corpus pop "$POP_COUNT" 3)
USERS=()
for ((i = 1; i <= NUSERS; i++)); do USERS+=("bench$i"); done

# ---- running one workload ------------------------------------------------------------
# run_bench SERVER NAME ARGS...: loft-bench with --json and --server-pid; never
# stops the script (a failed run shows up as FAILED/ERROR in the table).
run_bench() {
    local server=$1 name=$2
    shift 2
    local json="$OUT/json/$server--$name.json" log="$OUT/logs/$server--$name.log" pid rc=0
    pid=$(server_pid "$server")
    rm -f "$json"
    bench_log "$server: $name"
    (raise_nofile; exec "$LOFT_BENCH" "$@" --server-pid "$pid" --json "$json") >"$log" 2>&1 || rc=$?
    if ((rc != 0)); then
        bench_log "$server: $name exited with status $rc (log: $log)"
        tail -n 5 "$log" >&2 || true
    fi
    if [ ! -s "$json" ]; then
        python3 -c 'import json,sys; json.dump({"workload": sys.argv[1], "ok": False, "errors": 1,
            "error_text": "loft-bench exited with status %s and wrote no JSON (log: %s)" % (sys.argv[2], sys.argv[3])},
            open(sys.argv[4], "w"))' "$name" "$rc" "$log" "$json"
    fi
    return 0
}

# run_ok SERVER NAME: the run finished without violations and errors.
run_ok() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("ok") and not d.get("violations") else 1)' \
        "$OUT/json/$1--$2.json" 2>/dev/null
}

server_pid() {
    case "$1" in
        loft) echo "$LOFT_PID" ;;
        dovecot) echo "$DOVECOT_PID" ;;
    esac
}

# ports_of SERVER: IMAP, POP3, LMTP (plain) and TIMAP, TPOP3 (the ones the
# workloads use: IMAPS/POP3S with --tls).
ports_of() {
    case "$1" in
        loft) IMAP=$LOFT_IMAP POP3=$LOFT_POP3 LMTP=$LOFT_LMTP TIMAP=$LOFT_IMAPS TPOP3=$LOFT_POP3S ;;
        dovecot) IMAP=$DOVECOT_IMAP POP3=$DOVECOT_POP3 LMTP=$DOVECOT_LMTP TIMAP=$DOVECOT_IMAPS TPOP3=$DOVECOT_POP3S ;;
    esac
    if ((!BENCH_TLS)); then
        TIMAP=$IMAP TPOP3=$POP3
    fi
}
TLS_ARGS=()
((BENCH_TLS)) && TLS_ARGS=(--tls)

start_server() { "start_$1"; }
stop_server() { "stop_$1"; }

# ---- provisioning ----------------------------------------------------------------------
# Loft's users come first in any case: Dovecot's passwd-file takes their hashes.
provision_loft() {
    local t0=$SECONDS u
    loft_setup
    bench_log "loft: adding ${#USERS[@]} users + $BIG_USER + $POP_USER"
    loft_add_users "${USERS[@]}" "$BIG_USER" "$POP_USER"
    if [[ ",$SERVERS," == *",loft,"* ]]; then
        bench_log "loft: importing $FILL_COUNT messages into each of ${#USERS[@]} users"
        loft_fill_many "$FILL_DIR" "${USERS[@]}"
        [ -n "$BIG_DIR" ] && loft_fill "$BIG_USER" "$BIG_DIR"
        [ -n "$POP_DIR" ] && loft_fill "$POP_USER" "$POP_DIR"
    fi
    echo "$((SECONDS - t0))" >"$OUT/json/.provision-loft-s"
}

provision_dovecot() {
    local t0=$SECONDS u
    dovecot_setup
    dovecot_add_users "${USERS[@]}" "$BIG_USER" "$POP_USER"
    bench_log "dovecot: copying $FILL_COUNT messages into each of ${#USERS[@]} users"
    for u in "${USERS[@]}"; do dovecot_fill "$u" "$FILL_DIR"; done
    [ -n "$BIG_DIR" ] && dovecot_fill "$BIG_USER" "$BIG_DIR"
    [ -n "$POP_DIR" ] && dovecot_fill "$POP_USER" "$POP_DIR"
    start_dovecot
    bench_log "dovecot: building the indexes (doveadm mailbox status, one sync per user)"
    dovecot_warm "${USERS[@]}" "$BIG_USER" "$POP_USER"
    echo "$((SECONDS - t0))" >"$OUT/json/.provision-dovecot-s"
}

# ---- on-disk sizes after the big-mailbox runs -------------------------------------------
record_sizes() {
    local server=$1 user=$2 json="$OUT/json/$1--disk-usage.json"
    case "$server" in
        loft)
            local root
            root="$(LOFT_DIR)/data/mail/$user"
            python3 "$BENCH_LIB/disk_usage.py" loft "$root" "$user" >"$json"
            ;;
        dovecot)
            python3 "$BENCH_LIB/disk_usage.py" dovecot "$(DOVECOT_DIR)/home/$user/Maildir" "$user" >"$json"
            ;;
    esac
}

drop_caches() {
    sync
    if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
        bench_log "page cache dropped"
        echo dropped
    else
        bench_log "could not drop the page cache (no write access to /proc/sys/vm/drop_caches)"
        echo not-dropped
    fi
}

# ---- the workloads -------------------------------------------------------------------
run_workloads() {
    local s=$1 c
    ports_of "$s"
    if want imap-mix; then
        for c in "${CLIENTS[@]}"; do
            run_bench "$s" "imap-mix-peruser-c$c" imap-mix --port "$TIMAP" "${TLS_ARGS[@]}" \
                --clients "$c" --duration "$DURATION" \
                --users "$c" --user-format 'bench%d' --password "$BENCH_PASSWORD" --messages "$FILL_DIR"
        done
        for c in "${CLIENTS[@]}"; do
            run_bench "$s" "imap-mix-shared-c$c" imap-mix --port "$TIMAP" "${TLS_ARGS[@]}" \
                --clients "$c" --duration "$DURATION" \
                --users 1 --user-format 'bench%d' --password "$BENCH_PASSWORD" --shared --messages "$FILL_DIR"
        done
        run_bench "$s" "imap-mix-relogin-c$RELOGIN_CLIENTS" imap-mix --port "$TIMAP" "${TLS_ARGS[@]}" \
            --clients "$RELOGIN_CLIENTS" \
            --duration "$DURATION" --users "$RELOGIN_CLIENTS" --user-format 'bench%d' --password "$BENCH_PASSWORD" \
            --relogin --messages "$FILL_DIR"
    fi
    if want pop3-download; then
        run_bench "$s" "pop3-download-n$POP_COUNT" pop3-download --port "$TPOP3" "${TLS_ARGS[@]}" --user "$POP_USER" \
            --password "$BENCH_PASSWORD"
    fi
    if want lmtp-ingest; then
        for c in 1 8; do
            run_bench "$s" "lmtp-ingest-conn$c" lmtp-ingest --port "$LMTP" --count "$LMTP_COUNT" --connections "$c" \
                --messages "$FILL_DIR" --users "$LMTP_USERS" --user-format 'bench%d' --rcpt-format '%s'
        done
    fi
    if want idle-fanout; then
        # When a server cannot hold the sessions, halve them down to 1000 to
        # find what it holds (each try is its own row in the table).
        local n=$IDLE_SESSIONS
        while :; do
            run_bench "$s" "idle-fanout-s$n" idle-fanout --port "$TIMAP" "${TLS_ARGS[@]}" --lmtp-port "$LMTP" \
                --sessions "$n" --users "$IDLE_USERS" --user-format 'bench%d' --rcpt-format '%s' \
                --password "$BENCH_PASSWORD"
            run_ok "$s" "idle-fanout-s$n" || ((n <= 1000)) || { n=$((n / 2)); continue; }
            break
        done
    fi
    if want big-mailbox; then
        bench_log "$s: restart for the cold SELECT"
        stop_server "$s"
        local dropped
        dropped=$(drop_caches)
        start_server "$s"
        ports_of "$s"
        run_bench "$s" "big-mailbox-n$BIG_COUNT-cold-select" big-mailbox --port "$TIMAP" "${TLS_ARGS[@]}" \
            --user "$BIG_USER" \
            --password "$BENCH_PASSWORD" --expect-count "$BIG_COUNT" --select-only
        echo "$dropped" >"$OUT/json/.cache-$s"
        run_bench "$s" "big-mailbox-n$BIG_COUNT" big-mailbox --port "$TIMAP" "${TLS_ARGS[@]}" --user "$BIG_USER" \
            --password "$BENCH_PASSWORD" --expect-count "$BIG_COUNT"
        record_sizes "$s" "$BIG_USER"
    fi
}

# ---- the run ---------------------------------------------------------------------------
provision_loft
for s in ${SERVERS//,/ }; do
    case "$s" in
        loft) start_loft ;;
        dovecot) provision_dovecot ;;
    esac
    ports_of "$s"
    bench_log "$s: checking the provisioned users over IMAP, POP3 and LMTP"
    python3 "$BENCH_LIB/check_server.py" --imap "$IMAP" --pop3 "$POP3" --lmtp "$LMTP" --password "$BENCH_PASSWORD" \
        "bench1=$FILL_COUNT" "bench$NUSERS=$FILL_COUNT" "$BIG_USER=$([ -n "$BIG_DIR" ] && echo "$BIG_COUNT" || echo 0)" \
        "$POP_USER=$([ -n "$POP_DIR" ] && echo "$POP_COUNT" || echo 0)" >&2 ||
        bench_die "$s does not serve the provisioned users and messages"
    run_workloads "$s"
    stop_server "$s"
    if [ "$s" = dovecot ] && grep -qi 'fatal\|panic' "$(DOVECOT_DIR)/dovecot.log"; then
        bench_log "dovecot log has errors: $(grep -ci 'fatal\|panic' "$(DOVECOT_DIR)/dovecot.log") fatal/panic lines"
        grep -i 'fatal\|panic' "$(DOVECOT_DIR)/dovecot.log" | sort | uniq -c | sort -rn | head -5 >&2
    fi
    cp "$(LOFT_DIR)/serve.log" "$OUT/logs/loft-serve.log" 2>/dev/null || true
    cp "$(DOVECOT_DIR)/dovecot.log" "$OUT/logs/dovecot.log" 2>/dev/null || true
done

python3 "$BENCH_LIB/report.py" "$OUT/json" --markdown "$OUT/RESULTS.md"
if ((UPDATE)); then
    cp "$OUT/RESULTS.md" "$HERE/RESULTS.md"
    bench_log "bench/RESULTS.md updated"
fi
bench_log "results: $OUT/RESULTS.md (JSON in $OUT/json, logs in $OUT/logs)"
