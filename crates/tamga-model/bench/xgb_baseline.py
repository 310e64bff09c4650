#!/usr/bin/env python3
"""Times XGBoost on the risk model's own training matrix: the issue's
baseline settings (`hist`, 424 trees, depth 4, 2 threads; and `exact` on
1 thread), so tamga's training time can be quoted against it on the same
machine in the same sitting.

    python3 bench/xgb_baseline.py MATRIX.csv [--repeat N]

MATRIX.csv comes from `cargo run --release -p tamga-model --example
risk_matrix -- DIR MATRIX.csv` (features, then `label`; empty = missing).
Prints one JSON object: seconds per setting (the best of N runs).

On a machine whose cores are shared with other work, XGBoost's OpenMP
threads spin at their barriers and 2 threads can be several times
slower than 1: the 1-thread hist time is printed too, and the fair
baseline is the faster of the two. (`OMP_WAIT_POLICY=PASSIVE` in the
environment softens this.)
"""
import argparse
import json
import time

import numpy as np
import xgboost as xgb


def main():
    p = argparse.ArgumentParser()
    p.add_argument("matrix")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--no-exact", action="store_true", help="skip the slow exact method")
    a = p.parse_args()
    data = np.genfromtxt(a.matrix, delimiter=",", skip_header=1, missing_values="", filling_values=np.nan)
    x, y = data[:, :-1], data[:, -1]
    settings = {
        "hist_424x4_2threads": dict(tree_method="hist", max_depth=4, nthread=2, n=424),
        "hist_424x4_1thread": dict(tree_method="hist", max_depth=4, nthread=1, n=424),
        "exact_424x4_1thread": dict(tree_method="exact", max_depth=4, nthread=1, n=424),
    }
    out = {"xgboost": xgb.__version__, "rows": int(x.shape[0]), "features": int(x.shape[1])}
    if a.no_exact:
        del settings["exact_424x4_1thread"]
    for name, s in settings.items():
        params = {
            "objective": "binary:logistic",
            "tree_method": s["tree_method"],
            "max_depth": s["max_depth"],
            "nthread": s["nthread"],
            "eta": 0.1,
            "seed": 1,
            "verbosity": 0,
        }
        best = None
        for _ in range(a.repeat):
            started = time.perf_counter()
            # The DMatrix (and hist's quantile sketch) is part of training.
            d = xgb.DMatrix(x, label=y, missing=np.nan, nthread=s["nthread"])
            xgb.train(params, d, num_boost_round=s["n"])
            t = time.perf_counter() - started
            best = t if best is None else min(best, t)
        out[name] = round(best, 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
