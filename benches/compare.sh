#!/usr/bin/env bash
# Postroom side by side with Postfix and Dovecot, on this machine, in one run.
#
#   benches/compare.sh             # full run (well under 30 minutes on 2 cores)
#   QUICK=1 benches/compare.sh     # a few minutes: smaller counts, 2 rounds
#   TESTS="smtp lmtp" benches/compare.sh   # only some tests
#
# Installs Debian's postfix, dovecot-imapd, dovecot-pop3d, dovecot-lmtpd and dovecot-sieve
# if missing
# (apt-get), builds `postroom` and `postroom-load` (release), and starts throwaway
# instances in a temporary directory, listening on 127.0.0.1 only, on free ports:
#   - Postroom (`postroom serve`, a generated configuration, SQLite directory);
#   - Postfix (its own config_directory and queue_directory, `postfix -c DIR start`),
#     delivering over LMTP to
#   - Dovecot (`dovecot -F -c FILE`: IMAP, POP3, LMTP; passwd-file users).
# The system's own Postfix and Dovecot services are not touched. Both sides get the same
# users (u1..uN@example.test, the same {SSHA512} password hash), the same message size,
# and durable delivery: Postroom fsyncs every delivery (message file and directory; the
# UID comes at the next sync); Postfix fsyncs its queue files; Dovecot runs with mail_fsync =
# optimized (its default: message files are fsynced before the LMTP reply). Both filter
# every delivery with Sieve as ISPmail does: Postroom with its default before-script
# (X-Spam: Yes goes to Junk) and users' scripts, Dovecot with Pigeonhole, the same rule
# as sieve_before and a per-user script location. SIEVE=0 turns Sieve off on both sides.
#
# Then, alternating A (Postroom) and B (the peer) for ROUNDS rounds:
#   1. SMTP inbound into Maildir: smtp-source and postroom-load against Postroom's MX,
#      and against Postfix -> LMTP -> Dovecot; timed until every message is in a
#      Maildir (Postfix queues first, so its clients finish before delivery does);
#   2. LMTP delivery: postroom-load against Postroom's and Dovecot's LMTP;
#   3. the IMAP mix (postroom-load imap) against both;
#   4. POP3 retrieval (postroom-load pop3) against both;
#   5. memory of IDLE_CONNECTIONS idle IMAP connections (postroom-load idle, PSS and
#      RSS summed over the server's processes);
#   6. the criterion parser benchmarks (smtp and imap), ours vs Stalwart's smtp-proto
#      and imap-codec in the same process.
# It ends with one table of ratios (Postroom / peer: above 1 is better for Postroom,
# for memory peer / Postroom). Everything is left in $WORK (printed at the start) when
# KEEP=1.
#
# Environment: QUICK=1, ROUNDS, USERS, SIZE, CONCURRENCY, SMTP_COUNT, LMTP_COUNT,
# IMAP_COUNT, POP3_COUNT, IDLE_CONNECTIONS, RUN_SECS, SKIP_BUILD=1, SKIP_CRITERION=1,
# KEEP=1, CARGO_TARGET_DIR, POSTROOM_BIN and LOAD_BIN (other binaries), SIEVE=0, and
# TESTS: the tests to run, of "smtp lmtp imap pop3 idle criterion" (all by default).
# The IMAP and POP3 tests read the mail that the SMTP and LMTP tests delivered.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    ROUNDS=${ROUNDS:-2}; SMTP_COUNT=${SMTP_COUNT:-200}; LMTP_COUNT=${LMTP_COUNT:-200}
    IMAP_COUNT=${IMAP_COUNT:-1500}; POP3_COUNT=${POP3_COUNT:-400}
    IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-500}; RUN_SECS=${RUN_SECS:-15}
    CRITERION_ARGS=(--warm-up-time 1 --measurement-time 2)
else
    ROUNDS=${ROUNDS:-3}; SMTP_COUNT=${SMTP_COUNT:-1000}; LMTP_COUNT=${LMTP_COUNT:-1000}
    IMAP_COUNT=${IMAP_COUNT:-8000}; POP3_COUNT=${POP3_COUNT:-2000}
    IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-5000}; RUN_SECS=${RUN_SECS:-60}
    CRITERION_ARGS=(--warm-up-time 2 --measurement-time 5)
fi
USERS=${USERS:-10}
SIZE=${SIZE:-4096}
CONCURRENCY=${CONCURRENCY:-8}
TESTS=${TESTS:-smtp lmtp imap pop3 idle criterion}
SIEVE=${SIEVE:-1}
PASSWORD=bench-pw
DOMAIN=example.test
NOBODY=65534
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release
POSTROOM=${POSTROOM_BIN:-$BIN/postroom}
LOAD=${LOAD_BIN:-$BIN/postroom-load}

# Whether test $1 was asked for (TESTS).
wants() { case " $TESTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
# elapsed START END -> seconds
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# A free TCP port on 127.0.0.1 (not one handed out before in this run).
USED_PORTS=" "
free_port() {
    local port
    while :; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        case $USED_PORTS in *" $port "*) continue ;; esac
        USED_PORTS="$USED_PORTS$port "
        echo "$port"
        return
    done
}
wait_port() {
    local port=$1 i
    for i in $(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}
# A key of a `RESULT key=value ...` line.
result() { sed -n "s/.*RESULT .*\b$2=\([^ ]*\).*/\1/p" "$1" | tail -1; }
# Messages in the INBOX Maildirs under a vmail root.
inbox_count() {
    find "$1" \( -path '*/Maildir/new/*' -o -path '*/Maildir/cur/*' \) -type f 2>/dev/null | wc -l
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------- packages and builds
missing=()
for p in postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
command -v smtp-source >/dev/null || die "smtp-source (postfix) not found"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building postroom and postroom-load (release)"
    (cd "$ROOT" && cargo build --release -p postroom -p postroom-benches --bin postroom-load >&2)
fi
[ -x "$POSTROOM" ] && [ -x "$LOAD" ] || die "no release binaries in $BIN"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/postroom-compare.XXXXXX")
chmod 755 "$WORK"
log "working directory $WORK"
POSTROOM_PID=
DOVECOT_PID=
cleanup() {
    [ -n "$POSTROOM_PID" ] && kill "$POSTROOM_PID" 2>/dev/null
    [ -d "$WORK/postfix/conf" ] && postfix -c "$WORK/postfix/conf" stop >/dev/null 2>&1
    [ -n "$DOVECOT_PID" ] && kill "$DOVECOT_PID" 2>/dev/null
    sleep 1
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

HASH=$("$POSTROOM" pw -s SSHA512 -p "$PASSWORD")

# ---------------------------------------------------------------- Postroom
PR=$WORK/postroom
mkdir -p "$PR"
PR_MX=$(free_port); PR_LMTP=$(free_port); PR_IMAP=$(free_port); PR_POP3=$(free_port)
PR_SUB=$(free_port)
cat > "$PR/postroom.toml" <<EOF
hostname = "mx.$DOMAIN"
[listeners]
mx = ["127.0.0.1:$PR_MX"]
lmtp = ["127.0.0.1:$PR_LMTP"]
imap = ["127.0.0.1:$PR_IMAP"]
pop3 = ["127.0.0.1:$PR_POP3"]
submission = ["127.0.0.1:$PR_SUB"]
[directory]
url = "sqlite://directory.db"
[mail]
vmail = "vmail"
[limits]
message_size = 10000000
connections_per_ip = 12000
connections = 12000
idle_timeout_secs = 1800
[auth]
allow_plaintext_auth_on_loopback = true
default_scheme = "SSHA512"
upgrade_hashes = false
[outbound]
nameservers = ["127.0.0.1:1"]
[sieve]
enabled = $([ "$SIEVE" = 1 ] && echo true || echo false)
EOF
pr() { "$POSTROOM" --config "$PR/postroom.toml" "$@"; }
pr init >/dev/null
pr domain add "$DOMAIN" >/dev/null
for i in $(seq 1 "$USERS"); do pr user add "u$i@$DOMAIN" --hash "$HASH" >/dev/null; done
RUST_LOG=warn "$POSTROOM" --config "$PR/postroom.toml" serve > "$PR/server.log" 2>&1 &
POSTROOM_PID=$!
wait_port "$PR_MX" || die "postroom does not listen: $(tail -5 "$PR/server.log")"
log "postroom pid $POSTROOM_PID: mx $PR_MX lmtp $PR_LMTP imap $PR_IMAP pop3 $PR_POP3"

# ---------------------------------------------------------------- Dovecot
DV=$WORK/dovecot
mkdir -p "$DV/run" "$DV/state" "$DV/vmail"
chown "$NOBODY:$NOBODY" "$DV/vmail"
DV_LMTP=$(free_port); DV_IMAP=$(free_port); DV_POP3=$(free_port)
: > "$DV/passwd"
for i in $(seq 1 "$USERS"); do
    echo "u$i@$DOMAIN:$HASH:$NOBODY:$NOBODY::$DV/vmail/$DOMAIN/u$i::" >> "$DV/passwd"
done
DV_SIEVE=
if [ "$SIEVE" = 1 ]; then
    # The ISPmail rule, as Postroom's built-in before-script; compiled ahead, since the
    # delivering user may not write beside it.
    printf 'require ["fileinto"];\nif header :contains "X-Spam" "Yes" {\n    fileinto "Junk";\n}\n' \
        > "$DV/spam-to-junk.sieve"
    sievec "$DV/spam-to-junk.sieve" || die "sievec failed"
    DV_SIEVE="protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_before = $DV/spam-to-junk.sieve
}"
fi
cat > "$DV/dovecot.conf" <<EOF
protocols = imap pop3 lmtp
listen = 127.0.0.1
base_dir = $DV/run
state_dir = $DV/state
instance_name = postroom-compare-$$
log_path = $DV/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = root
default_internal_group = root
default_login_user = nobody
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_fsync = optimized
mail_max_userip_connections = 20000
default_process_limit = 6000
default_client_limit = 12000
passdb {
  driver = passwd-file
  args = username_format=%u $DV/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $DV/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DV_IMAP
  }
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DV_POP3
  }
}
$DV_SIEVE
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DV_LMTP
  }
}
service imap {
  process_limit = 6000
}
service anvil {
  chroot =
  client_limit = 13000
}
service auth {
  client_limit = 13000
}
EOF
TZ=UTC dovecot -F -c "$DV/dovecot.conf" > "$DV/stdout.log" 2>&1 &
DOVECOT_PID=$!
wait_port "$DV_IMAP" && wait_port "$DV_LMTP" || die "dovecot does not listen: $(tail -5 "$DV/dovecot.log")"
log "dovecot pid $DOVECOT_PID: lmtp $DV_LMTP imap $DV_IMAP pop3 $DV_POP3"

# ---------------------------------------------------------------- Postfix -> Dovecot
PF=$WORK/postfix
mkdir -p "$PF/conf" "$PF/queue" "$PF/data"
chown postfix "$PF/data"
PF_SMTP=$(free_port)
cat > "$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
maillog_file = $PF/maillog
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.test
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtputf8_enable = no
message_size_limit = 10000000
virtual_mailbox_domains = $DOMAIN
virtual_transport = lmtp:inet:127.0.0.1:$DV_LMTP
EOF
# chroot off (the queue is in a temporary directory); the default services otherwise.
cat > "$PF/conf/master.cf" <<EOF
127.0.0.1:$PF_SMTP inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
smtp unix - - n - - smtp
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOF
postfix -c "$PF/conf" start >&2 || die "postfix did not start: $(tail -5 "$PF/maillog" 2>/dev/null)"
wait_port "$PF_SMTP" || die "postfix does not listen"
log "postfix smtp $PF_SMTP -> dovecot lmtp $DV_LMTP"

# ---------------------------------------------------------------- measurements
RESULTS=$WORK/results.tsv
: > "$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RESULTS"; }   # test side value

# Waits (bounded) until VMAIL holds EXPECTED messages; prints the time it got there.
wait_delivered() {
    local vmail=$1 expected=$2 i
    for i in $(seq 1 1200); do
        [ "$(inbox_count "$vmail")" -ge "$expected" ] && break
        sleep 0.1
    done
    now
}

# smtp_run TEST SIDE PORT VMAIL TOOL: one SMTP run, messages/s until all are delivered.
smtp_run() {
    local test=$1 side=$2 port=$3 vmail=$4 tool=$5 before start end out
    out=$WORK/$test-$side-$ROUND.log
    before=$(inbox_count "$vmail")
    start=$(now)
    if [ "$tool" = smtp-source ]; then
        timeout $((RUN_SECS * 3)) smtp-source -s "$CONCURRENCY" -m "$SMTP_COUNT" -l "$SIZE" \
            -f "load@sender.invalid" -t "u1@$DOMAIN" -M load.invalid "127.0.0.1:$port" > "$out" 2>&1 ||
            log "smtp-source against $side failed: $(tail -2 "$out")"
    else
        "$LOAD" -c "$CONCURRENCY" -n "$SMTP_COUNT" -d "$RUN_SECS" smtp --target "127.0.0.1:$port" \
            --to "u{n}@$DOMAIN" --users "$USERS" -s "$SIZE" > "$out" 2>&1 ||
            log "postroom-load smtp against $side: errors: $(grep -m1 '^error' "$out")"
    fi
    local sent=$SMTP_COUNT
    [ "$tool" = postroom-load ] && sent=$(result "$out" ok)
    end=$(wait_delivered "$vmail" $((before + sent)))
    local got=$(( $(inbox_count "$vmail") - before ))
    local rate
    rate=$(awk -v n="$got" -v s="$(elapsed "$start" "$end")" 'BEGIN { printf "%.2f", n / s }')
    log "$test $side round $ROUND: $got messages delivered, $rate msg/s"
    record "$test" "$side" "$rate"
}

# load_run TEST SIDE ARGS...: one postroom-load run; records its rate.
load_run() {
    local test=$1 side=$2 out
    shift 2
    out=$WORK/$test-$side-$ROUND.log
    "$LOAD" "$@" > "$out" 2>&1 || log "$test $side: errors: $(grep -m1 '^error' "$out")"
    local rate
    rate=$(result "$out" rate)
    log "$test $side round $ROUND: $rate/s (p50 $(result "$out" p50_ms) ms, p99 $(result "$out" p99_ms) ms, errors $(result "$out" errors))"
    record "$test" "$side" "${rate:-0}"
}

PR_VMAIL=$PR/vmail
DV_VMAIL=$DV/vmail
for ROUND in $(seq 1 "$ROUNDS"); do
    log "round $ROUND of $ROUNDS"
    if wants smtp; then
        smtp_run smtp-source postroom "$PR_MX" "$PR_VMAIL" smtp-source
        smtp_run smtp-source peer "$PF_SMTP" "$DV_VMAIL" smtp-source
        smtp_run smtp-load postroom "$PR_MX" "$PR_VMAIL" postroom-load
        smtp_run smtp-load peer "$PF_SMTP" "$DV_VMAIL" postroom-load
    fi
    wants lmtp || continue
    for side in postroom peer; do
        port=$PR_LMTP; [ $side = peer ] && port=$DV_LMTP
        load_run lmtp $side -c "$CONCURRENCY" -n "$LMTP_COUNT" -d "$RUN_SECS" lmtp \
            --target "127.0.0.1:$port" --to "u{n}@$DOMAIN" --users "$USERS" -s "$SIZE"
    done
done
# Dovecot delivered as nobody; everything after reads the same mailboxes.
for ROUND in $(seq 1 "$ROUNDS"); do
    for side in postroom peer; do
        port=$PR_IMAP; [ $side = peer ] && port=$DV_IMAP
        wants imap || break
        load_run imap $side -c "$CONCURRENCY" -n "$IMAP_COUNT" -d "$RUN_SECS" imap \
            --target "127.0.0.1:$port" --user "u{n}@$DOMAIN" --users "$USERS" \
            --password "$PASSWORD" -s "$SIZE"
    done
    for side in postroom peer; do
        port=$PR_POP3; [ $side = peer ] && port=$DV_POP3
        wants pop3 || break
        load_run pop3 $side -c "$CONCURRENCY" -n "$POP3_COUNT" -d "$RUN_SECS" pop3 \
            --target "127.0.0.1:$port" --user "u{n}@$DOMAIN" --users "$USERS" \
            --password "$PASSWORD"
    done
done

# Idle connections, once per side (the slowest test).
ROUND=1
for side in postroom peer; do
    wants idle || break
    port=$PR_IMAP; pid=$POSTROOM_PID
    [ $side = peer ] && { port=$DV_IMAP; pid=$DOVECOT_PID; }
    out=$WORK/idle-$side.log
    "$LOAD" -d $((RUN_SECS * 10)) idle --target "127.0.0.1:$port" --user "u{n}@$DOMAIN" \
        --users "$USERS" --password "$PASSWORD" --connections "$IDLE_CONNECTIONS" \
        --pid "$pid" --warmup 50 --settle 3 > "$out" 2>&1 || log "idle $side: $(grep -m1 failure "$out")"
    log "idle $side: $(grep '^per idle' "$out"), $(grep -m1 '^idle:' "$out")"
    record idle-pss "$side" "$(result "$out" pss_per_conn_kib)"
    record idle-rss "$side" "$(result "$out" rss_per_conn_kib)"
done

# Criterion parser benches: median time of ours and of the peer crate, same process.
criterion_ratio() {
    local bench=$1 group=$2 ours=$3 peer=$4 out=$WORK/criterion-$1.log
    (cd "$ROOT" && cargo bench -p postroom-benches --bench "$bench" -- "${CRITERION_ARGS[@]}" "$group/" > "$out" 2>&1) ||
        { log "criterion $bench failed: $(tail -3 "$out")"; return; }
    # "group/name  time: [low mid high]" -> mid in ns.
    local mid
    for side in "$ours" "$peer"; do
        mid=$(awk -v id="$group/$side" '
            $1 == id { found = 1 }
            found && /time:/ {
                sub(/.*\[/, ""); v = $3; u = $4
                f = (u == "ps") ? 0.001 : (u == "ns") ? 1 : (u ~ /^(µs|us)$/) ? 1000 : (u == "ms") ? 1e6 : 1e9
                printf "%.3f", v * f; exit
            }' "$out")
        [ "$side" = "$ours" ] && record "parse-$bench" postroom-ns "${mid:-0}" || record "parse-$bench" peer-ns "${mid:-0}"
    done
}
if [ "${SKIP_CRITERION:-0}" != 1 ] && wants criterion; then
    log "criterion parser benches"
    criterion_ratio smtp smtp_command_parse postroom stalwart
    criterion_ratio imap imap_command_parse postroom imap-codec
fi

# ---------------------------------------------------------------- the table
value() { awk -F'\t' -v t="$1" -v s="$2" '$1 == t && $2 == s { print $3 }' "$RESULTS" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
verdict() { awk -v r="${1%x}" -v t="$2" 'BEGIN { if (r == "n/a") print "-"; else if (r + 0 >= t) print "met"; else print "not met" }'; }
row() {   # name unit postroom peer ratio target
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$3 $2" "$4 $2" "$5" "$6"
}
echo
echo "Postroom vs Postfix/Dovecot: medians of $ROUNDS round(s); $USERS users, $SIZE-byte messages,"
echo "concurrency $CONCURRENCY; $(nproc) CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| Test | Postroom | Peer | Ratio | Target |"
echo "|---|---|---|---|---|"
for t in smtp-source smtp-load lmtp imap pop3; do
    grep -q "^$t	" "$RESULTS" || continue
    a=$(value $t postroom); b=$(value $t peer); r=$(ratio "$a" "$b")
    case $t in
        smtp-source) name="SMTP inbound (smtp-source), vs Postfix -> LMTP -> Dovecot"; unit=msg/s; target="3x: $(verdict "$r" 3)" ;;
        smtp-load) name="SMTP inbound (postroom-load), vs Postfix -> LMTP -> Dovecot"; unit=msg/s; target="3x: $(verdict "$r" 3)" ;;
        lmtp) name="LMTP delivery, vs Dovecot"; unit=msg/s; target="3x: $(verdict "$r" 3)" ;;
        imap) name="IMAP mix, vs Dovecot"; unit=cmd/s; target="1.5x: $(verdict "$r" 1.5)" ;;
        pop3) name="POP3 RETR, vs Dovecot"; unit=msg/s; target="-" ;;
    esac
    row "$name" "$unit" "$a" "$b" "$r" "$target"
done
if grep -q "^idle-pss	" "$RESULTS"; then
    a=$(value idle-pss postroom); b=$(value idle-pss peer)
    within=$(awk -v a="$a" 'BEGIN { print (a > 0 && a < 64) ? "met" : "not met" }')
    row "Idle IMAP connection (PSS; $IDLE_CONNECTIONS), vs Dovecot" KiB "$a" "$b" "$(ratio "$b" "$a")" "< 64 KiB: $within"
    a=$(value idle-rss postroom); b=$(value idle-rss peer)
    row "Idle IMAP connection (RSS summed), vs Dovecot" KiB "$a" "$b" "$(ratio "$b" "$a")" "-"
fi
for t in parse-smtp parse-imap; do
    grep -q "^$t	" "$RESULTS" || continue
    a=$(value $t postroom-ns); b=$(value $t peer-ns)
    peer=Stalwart; [ $t = parse-imap ] && peer=imap-codec
    row "Parser bench ${t#parse-} command corpus (time), vs $peer" ns "$a" "$b" "$(ratio "$b" "$a")" "-"
done
echo
echo "Raw per-round values: $RESULTS (kept with KEEP=1)."
[ "${KEEP:-0}" = 1 ] && cp "$RESULTS" "$WORK/results-final.tsv"
exit 0
