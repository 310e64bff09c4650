#!/bin/sh
# The risk model's figures and XGBoost's training times on the same
# machine, in one sitting: `crates/tamga-model/bench/compare.sh [DIR]`
# from the checkout's root (DIR holds the KCS train.csv and valid.csv;
# default ../shared/data/risk/kcs; further arguments go to xgb_baseline.py).
# Needs `pip install xgboost`.
# The machine's load is printed before and after: on shared cores the
# figures move with it, so compare within one sitting.
set -eu
dir=${1:-../shared/data/risk/kcs}
[ $# -gt 0 ] && shift  # the rest goes to xgb_baseline.py (--no-exact, --repeat N)
matrix=$(mktemp --suffix=.csv)
trap 'rm -f "$matrix"' EXIT
cargo build --release -q -p tamga-model --example risk_bench --example risk_matrix
echo "load: $(cat /proc/loadavg)"
echo "tamga:"
target/release/examples/risk_bench "$dir"
target/release/examples/risk_matrix "$dir" "$matrix"
echo "xgboost:"
python3 crates/tamga-model/bench/xgb_baseline.py "$matrix" "$@"
echo "load: $(cat /proc/loadavg)"
