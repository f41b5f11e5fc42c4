#!/usr/bin/env python3
"""How much of a held-out result is calibration noise (docs/injection-report.md, Data).

Usage: python3 scripts/inject_threshold_noise.py GROUP [GROUP ...]
       (after `python3 scripts/inject_data.py && scripts/inject_cv.sh`, which leave the fold
       models in target/inject-cv/GROUP.bin)

For each fold, scores every text with the fold's model (`inject_eval --verdicts`), rebuilds the
threshold the trainer sets (the 99.8th percentile of the *val* benign texts of the other groups,
examples/inject_train.rs) and checks it against the trainer's log, then redraws that calibration
set with replacement (300 times) at ~800 texts (the size before session 5) and at its full size,
and prints the 5-95% range of the threshold and of the held-out group's recall and false
positives. A text is flagged when its hand-set score reaches 1.0 or its best gated window's logit
reaches the threshold, as in the hook.
"""
import json
import math
import os
import random
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "target", "inject-data", "data.jsonl")
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples", "inject_eval")


def verdicts(group):
    out = subprocess.run([BIN, DATA, "--model", os.path.join(ROOT, "target", "inject-cv", group + ".bin"), "--verdicts"], capture_output=True, text=True, check=True).stdout
    v = []
    for line in out.splitlines():
        m = re.match(r"(\d) ([\d.]+) (?:Some\(([-\de.]+)\)|None)", line)
        p = float(m.group(3)) if m.group(3) else 0.0
        z = math.log(p / (1 - p)) if 0 < p < 1 else (-99.0 if p <= 0 else 99.0)
        v.append((float(m.group(2)), z))
    return v


def threshold(zs):
    zs = sorted(zs)
    return max(zs[min(int(len(zs) * 0.998), len(zs) - 1)], 0.0) + 1e-3


def main():
    rows = [json.loads(l) for l in open(DATA)]
    rng = random.Random(1)
    for g in sys.argv[1:]:
        v = verdicts(g)
        cal = [v[i][1] for i, r in enumerate(rows) if r["label"] == 0 and r["split"] == "val" and r["group"] != g]
        att = [v[i] for i, r in enumerate(rows) if r["label"] == 1 and r["group"] == g]
        ben = [v[i] for i, r in enumerate(rows) if r["label"] == 0 and r["group"] == g]

        def rates(t):
            a = sum(1 for h, z in att if h >= 1.0 or z >= t) / max(1, len(att))
            b = sum(1 for h, z in ben if h >= 1.0 or z >= t) / max(1, len(ben))
            return 100 * a, 100 * b

        t = threshold(cal)
        a, b = rates(t)
        print(f"{g}: {len(cal)} val benign texts calibrate; threshold {t:.3f} (compare target/inject-cv/{g}.train.log); held out: recall {a:.1f}%, FP {b:.2f}%")
        for n in (800, len(cal)):
            ts = sorted(threshold([rng.choice(cal) for _ in range(n)]) for _ in range(300))
            lo, hi = ts[15], ts[284]
            (ra, fa), (rb, fb) = rates(hi), rates(lo)
            print(f"  calibrated on {n}: threshold {lo:.2f}..{hi:.2f}, recall {ra:.1f}..{rb:.1f}%, FP {fa:.2f}..{fb:.2f}%")


if __name__ == "__main__":
    main()
