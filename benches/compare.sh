#!/usr/bin/env bash
# Side-by-side benchmark: bangfu against the peer scripts in ../shared/bench on RC-1, in one
# run, alternating, reporting the ratio of median wall times and of peak memory (machines are
# noisy: ratios, not absolute times, are the result).
#
# Usage: benches/compare.sh [VILLAGES] [ROUNDS]     (default 1000000 villages, 3 rounds)
# Needs: python3 with numpy and polars (pip install numpy polars), GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
ROUNDS=${2:-3}
BENCH=../shared/bench
WORK=${BANGFU_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK/data"
echo "building bangfu (release)…" >&2
cargo build --release --quiet
BIN=target/release/bangfu
if [ ! -s "$WORK/data/villages.csv" ]; then
  echo "generating $N villages…" >&2
  python3 "$BENCH/gen_villages.py" "$N" "$WORK/data/villages.csv" 7
fi

# measure NAME CMD… → appends "seconds kilobytes" to $WORK/NAME.txt
measure() {
  local name=$1; shift
  local log="$WORK/$name.time"
  # The files the previous command wrote go to disk first, so that writing them back does not
  # take processor time from this one.
  sync
  /usr/bin/time -f "%e %M" -o "$log" "$@" >/dev/null 2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; exit 1; }
  cat "$log" >> "$WORK/$name.txt"
}

# The first 100,000 villages, for `sensitivity` (1,000 draws over RC-1's uncertain lines).
mkdir -p "$WORK/data100k"
if [ ! -s "$WORK/data100k/villages.csv" ]; then
  head -n 100001 "$WORK/data/villages.csv" > "$WORK/data100k/villages.csv"
fi

# Ten what-if scenarios for `compare` (the pass line from 66 to 75).
mkdir -p "$WORK/scenarios"
for i in $(seq 1 10); do
  printf 'name: line_%s\nparameters:\n  pass_line: %s\n' "$i" "$((65 + i))" > "$WORK/scenarios/line_$i.yaml"
done

rm -f "$WORK"/*.txt
for r in $(seq "$ROUNDS"); do
  echo "round $r of $ROUNDS" >&2
  measure bangfu_yaml "$BIN" run --rules benches/rc1/yaml --data "$WORK/data" --out "$WORK/out_yaml" --quiet --csv-only
  measure polars python3 "$BENCH/ref_polars.py" "$WORK/data/villages.csv" "$WORK/out_polars"
  measure bangfu_rhai "$BIN" run --rules benches/rc1/rhai --data "$WORK/data" --out "$WORK/out_rhai" --quiet --csv-only
  measure bangfu_compare10 "$BIN" compare --quiet --rules benches/rc1/yaml --data "$WORK/data" --scenarios "$WORK/scenarios"
  measure bangfu_sensitivity "$BIN" sensitivity --format json --rules benches/rc1/yaml --data "$WORK/data100k" --draws 1000
  # Every result file (the default `run --out`) against the CSV files alone, on the same data.
  measure bangfu_full "$BIN" run --rules benches/rc1/yaml --data "$WORK/data" --out "$WORK/out_full" --quiet
  measure bangfu_full100k "$BIN" run --rules benches/rc1/yaml --data "$WORK/data100k" --out "$WORK/out_full100k" --quiet
  measure bangfu_csv100k "$BIN" run --rules benches/rc1/yaml --data "$WORK/data100k" --out "$WORK/out_csv100k" --quiet --csv-only
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk -v c="$2" '{print $c}' "$WORK/$1.txt" | median; }

P_T=$(col polars 1); P_M=$(col polars 2)
printf "\nRC-1, %s villages, %s rounds, %s cores (medians)\n" "$N" "$ROUNDS" "$(nproc)"
printf "%-14s %10s %12s %12s %12s\n" tool "wall s" "peak MiB" "time ratio" "memory ratio"
for t in polars bangfu_yaml bangfu_rhai; do
  T=$(col $t 1); M=$(col $t 2)
  printf "%-14s %10.2f %12.0f %12.2f %12.2f\n" "$t" "$T" "$(echo "$M/1024" | bc -l)" "$(echo "$T/$P_T" | bc -l)" "$(echo "$M/$P_M" | bc -l)"
done
echo "(ratios are against polars; the targets are time ≤ 0.33 and memory ≤ 0.5 for YAML, time ≤ 1 for rhai)"
C_T=$(col bangfu_compare10 1); Y_T=$(col bangfu_yaml 1)
printf "\ncompare of 10 scenarios: %.2f s, %.2f × one run (target ≤ 3)\n" "$C_T" "$(echo "$C_T/$Y_T" | bc -l)"
S_T=$(col bangfu_sensitivity 1); S_M=$(col bangfu_sensitivity 2)
printf "sensitivity, 1,000 draws over 100,000 villages: %.2f s, %.0f MiB (target ≤ 10 s on 2 cores)\n" "$S_T" "$(echo "$S_M/1024" | bc -l)"

F_T=$(col bangfu_full 1); F_M=$(col bangfu_full 2); Y_M=$(col bangfu_yaml 2)
F1_T=$(col bangfu_full100k 1); F1_M=$(col bangfu_full100k 2)
C1_T=$(col bangfu_csv100k 1); C1_M=$(col bangfu_csv100k 2)
printf "\nevery result file (run --out) against --csv-only (targets: time ≤ 3×, memory ≤ 2×)\n"
printf "%-16s %10s %10s %12s %12s\n" villages "wall s" "peak MiB" "time ×" "memory ×"
printf "%-16s %10.2f %10.0f %12.2f %12.2f\n" 100000 "$F1_T" "$(echo "$F1_M/1024" | bc -l)" "$(echo "$F1_T/$C1_T" | bc -l)" "$(echo "$F1_M/$C1_M" | bc -l)"
printf "%-16s %10.2f %10.0f %12.2f %12.2f\n" "$N" "$F_T" "$(echo "$F_M/1024" | bc -l)" "$(echo "$F_T/$Y_T" | bc -l)" "$(echo "$F_M/$Y_M" | bc -l)"
for f in results.json results.xlsx report.html; do
  printf "  %s: %s MB (%s villages)\n" "$f" "$(echo "$(stat -c %s "$WORK/out_full/$f")/1000000" | bc -l | xargs printf %.1f)" "$N"
done

# report.html in a real browser at 1,000, 100,000 and N villages: its size and the time
# headless Chromium takes to load and render it (when Chromium is installed).
if command -v chromium >/dev/null; then
  mkdir -p "$WORK/data1k"
  head -n 1001 "$WORK/data/villages.csv" > "$WORK/data1k/villages.csv"
  "$BIN" run --rules benches/rc1/yaml --data "$WORK/data1k" --out "$WORK/out_full1k" --quiet
  printf "\nreport.html in headless Chromium\n"
  for d in out_full1k:1000 out_full100k:100000 "out_full:$N"; do
    dir=${d%%:*}; n=${d##*:}
    start=$(date +%s.%N)
    chromium --headless=new --no-sandbox --disable-gpu --window-size=1366,768 \
      --screenshot="$WORK/$dir.png" "file://$(realpath "$WORK/$dir/report.html")" >/dev/null 2>&1
    end=$(date +%s.%N)
    printf "  %8s villages: %6.0f KB, rendered in %.2f s\n" "$n" \
      "$(echo "$(stat -c %s "$WORK/$dir/report.html")/1000" | bc -l)" "$(echo "$end - $start" | bc -l)"
  done
fi
