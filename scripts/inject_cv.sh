#!/usr/bin/env bash
# Held-out evaluation of the injection detector, leave-one-group-out (docs/injection-report.md):
# for each group of families (one source or template set, see GROUPS in scripts/inject_data.py),
# a model is trained and calibrated without any of the group's rows, then flags them; the table
# is recall per attack family and false positives per benign family, each measured by a model
# that never saw its group. Then the shipped model is trained on everything (pass --ship).
#
#   python3 scripts/inject_data.py && scripts/inject_cv.sh [--ship] [eval options, e.g. --hand-threshold 1.5]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-target/inject-data/data.jsonl}
OUT=${OUT:-target/inject-cv}
SHIP=0
if [ "${1:-}" = "--ship" ]; then SHIP=1; shift; fi
mkdir -p "$OUT"
# Calibration (examples/inject_train.rs): the val and test splits both calibrate (the held-out
# group never among them), duplicates once, and the threshold is their 99.7th percentile (held out, benign text of kinds the
# model never saw is flagged 3-5 times as often as the val texts that set it).
export CAL_TEST=${CAL_TEST:-1} QUANTILE=${QUANTILE:-0.997}
# This project's further synthetic rows (scripts/inject_synth.py: train split, no group, so they
# never calibrate nor count held out) join the data unless SYNTH=0.
if [ "${SYNTH:-1}" != 0 ]; then
    python3 scripts/inject_synth.py "$DATA" > "$OUT/data.jsonl"
    DATA=$OUT/data.jsonl
fi
cargo build --release --quiet --example inject_train --example inject_eval
BIN=${CARGO_TARGET_DIR:-target}/release/examples
groups=$(python3 -c "import json,sys; print(' '.join(sorted({json.loads(l)['group'] for l in open('$DATA')} - {'none'})))")
: > "$OUT/cv.tsv"
for g in $groups; do
    "$BIN/inject_train" "$DATA" "$OUT/$g.bin" --holdout "$g" > "$OUT/$g.train.log"
    "$BIN/inject_eval" "$DATA" --model "$OUT/$g.bin" --group "$g" --tsv "$@" | sed "s/^/$g\t/" >> "$OUT/cv.tsv"
done
awk -F'\t' '
    { key = $2; kind[key] = $4; n[key] += $5; f[key] += $6; grp[key] = $1;
      if ($4 == 1) { an += $5; af += $6 } else { bn += $5; bf += $6 } }
    END {
        print "| group | family | kind | texts | flagged | rate |"; print "|---|---|---|---:|---:|---:|"
        for (k in n) if (kind[k] == 1) printf "| %s | %s | attack (recall) | %d | %d | %.1f%% |\n", grp[k], k, n[k], f[k], 100 * f[k] / n[k] | "sort"
        close("sort")
        for (k in n) if (kind[k] == 0) printf "| %s | %s | benign (FP) | %d | %d | %.1f%% |\n", grp[k], k, n[k], f[k], 100 * f[k] / n[k] | "sort"
        close("sort")
        printf "\nheld out (leave-one-group-out): attacks flagged %d/%d (%.1f%%), benign flagged %d/%d (%.2f%%)\n", af, an, 100 * af / an, bf, bn, 100 * bf / bn
    }' "$OUT/cv.tsv"
if [ "$SHIP" = 1 ]; then
    "$BIN/inject_train" "$DATA" src/inject/model.bin > "$OUT/ship.train.log"
    tail -3 "$OUT/ship.train.log"
fi
