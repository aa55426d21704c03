#!/usr/bin/env bash
# A fuzz campaign: build every target once, run each for DURATION seconds (JOBS at a
# time), and print one summary row per target (runs, coverage, corpus, crashes).
#
#   fuzz/campaign.sh                      # every target, 600 s each, 2 at a time
#   DURATION=60 JOBS=1 fuzz/campaign.sh smtp_server_session imap_server_session
#   NO_BUILD=1 fuzz/campaign.sh           # reuse the binaries of the last build
#
# Corpora grow in fuzz/corpus/<target>/, crashes land in fuzz/artifacts/<target>/, and
# each target's libFuzzer log is kept in fuzz/campaign-logs/<target>.log. The script
# fails when any target found a crash, so CI runs it with a short DURATION.
set -euo pipefail

cd "$(dirname "$0")"
duration="${DURATION:-600}"
jobs="${JOBS:-2}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
# cargo fuzz honours CARGO_TARGET_DIR like cargo does.
bin_dir="${CARGO_TARGET_DIR:-target}/$triple/release"
log_dir="campaign-logs"

if [[ -z "${NO_BUILD:-}" ]]; then
    # The toolchain is stable; cargo-fuzz needs nightly flags (-Zsanitizer).
    RUSTC_BOOTSTRAP=1 cargo fuzz build
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi

# The SMTP and LMTP targets reach deep states sooner with the SMTP token dictionary.
dictionary_for() {
    case "$1" in
        smtp_* | lmtp_*) echo "-dict=smtp.dict" ;;
    esac
}

# Runs one target; its exit status (0 unless libFuzzer found something or could not
# start) goes to campaign-logs/<target>.status.
run_one() {
    local target="$1" status=0
    mkdir -p "corpus/$target" "artifacts/$target"
    # shellcheck disable=SC2046 # the dictionary flag is one word or none
    "$bin_dir/$target" "corpus/$target" \
        -max_total_time="$duration" -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" $(dictionary_for "$target") \
        >"$log_dir/$target.log" 2>&1 || status=$?
    echo "$status" >"$log_dir/$target.status"
}

# One row from a finished log: runs, seconds, the last coverage line, and crashes.
summarise() {
    local target="$1" log="$log_dir/$1.log"
    local runs cov corpus crashes
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
    corpus="$(find "corpus/$target" -type f | wc -l)"
    crashes="$(find "artifacts/$target" -type f -newer "$started" \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'timeout-*' \) | wc -l)"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$duration" "${runs:-?}" \
        "${cov:-?}" "$corpus" "$crashes" "$(cat "$log_dir/$target.status")"
}

mkdir -p "$log_dir"
started="$log_dir/.started"
touch "$started"
running=0
for target in "${targets[@]}"; do
    run_one "$target" &
    running=$((running + 1))
    if ((running >= jobs)); then
        wait -n
        running=$((running - 1))
    fi
done
wait

echo "| target | seconds | executions | coverage | corpus files | crashes | exit |"
echo "|---|---|---|---|---|---|---|"
failed=0
for target in "${targets[@]}"; do
    row="$(summarise "$target")"
    echo "$row"
    # A clean run: statistics printed, no crash file, exit status 0.
    [[ "$row" == *"| 0 | 0 |" && "$row" != *"| ? |"* ]] || failed=1
done
if ((failed)); then
    echo "a target crashed or did not run: see fuzz/artifacts/ and fuzz/campaign-logs/" >&2
    exit 1
fi
