#!/usr/bin/env python3
"""The outside reference recipe (TF-IDF + linear SVM) on tamga-hs's own rows,
for comparing with `examples/hs_bench.rs`. A benchmark comparison aid, not
part of the product (nothing in the crate runs or ships it).

Run (from the workspace root):

    cargo run --release -p tamga-hs --example hs_bench -- /work/shared/data/hs --pooled --dump /tmp/hsrows
    python3 -m venv /tmp/hsvenv && /tmp/hsvenv/bin/pip install scikit-learn
    /tmp/hsvenv/bin/python crates/tamga-hs/bench/ref_svm.py /tmp/hsrows [default] [pooled]
    /tmp/hsvenv/bin/python crates/tamga-hs/bench/ref_svm.py /tmp/hsrows titles FILE...

It reads the rows hs_bench evaluates (all `description,code,...` CSV):
  train.csv        the labelled 80 % (deduped descriptions, hash split, seed 1)
  test.csv         the labelled 20 % (hs_bench's default held-out set)
  pooled_test.csv  the pooled 20 %: test.csv's rows plus the held-out
                   nomenclature rows (source `nomenclature`: a subheading's
                   text labelled with its code)
  nomenclature.csv every heading's (level 4) and subheading's (level 6) text

Protocols (as hs_bench):
  default  trained on train.csv and every nomenclature text, tested on test.csv
  pooled   trained on train.csv and the nomenclature texts except the held-out
           subheadings' (every subheading remains a class), tested on
           pooled_test.csv: all rows, its labelled rows, its nomenclature rows
  titles   trained on every labelled row (train.csv and test.csv: what tamga
           ships) and every nomenclature text, tested on each FILE: a CSV of
           `description,hs_code` (or HMRC's brands.csv, `GDSDESC,CMDTYCODE`),
           as `hs_bench --eval FILE` tests the shipped model

The recipe: word 1-2-grams and character 2-5-grams (char_wb), sublinear
TF-IDF fitted on the training texts, each block l2-normalised; one-vs-rest
LinearSVC (C = 1). Headings: a heading model trained on the labelled rows
(as their heading), each subheading text (as its heading) and each heading
text. Subheadings: a subheading model trained on the labelled rows and each
subheading text. Rows whose code is not in HS 2022 count as misses and are
not trained on (as in tamga's Model::build). The one-vs-rest fits are done in
chunks of classes (the other classes' rows relabelled to one dummy class):
the same models as one fit over all classes, with a small coefficient
matrix. Single-threaded; default ≈ 7.5 min, pooled ≈ 6.5 min on a shared core.
"""
import csv
import os
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


def read(d, name):
    with open(os.path.join(d, name), newline="") as f:
        return list(csv.DictReader(f))


def vectorizer(texts):
    parts = [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]
    for v in parts:
        v.fit(texts)

    def transform(t):
        # Each block has norm 1; the concatenation is scaled back to norm 1.
        return sp.hstack([v.transform(t) for v in parts]).tocsr() / np.sqrt(len(parts))

    return transform


def ovr_scores(X, y, Xt, classes, C=1.0, chunk=400):
    """Test scores (len(Xt) × len(classes)) of a one-vs-rest LinearSVC."""
    pos = {c: i for i, c in enumerate(classes)}
    yi = np.array([pos[c] for c in y])
    out = np.full((Xt.shape[0], len(classes)), -1e9, dtype=np.float32)
    present = np.unique(yi)
    for a in range(0, len(present), chunk):
        ks = present[a : a + chunk]
        lab = np.where(np.isin(yi, ks), yi, -1)
        m = LinearSVC(C=C, max_iter=2000)
        m.fit(X, lab)
        s = m.decision_function(Xt)
        for j, k in enumerate(m.classes_):
            if k >= 0:
                out[:, k] = s[:, j]
    return out


def topk(scores, truth, k):
    """Share of rows whose true class ranks within k (unknown: a miss)."""
    if len(truth) == 0:
        return 0.0
    hits = 0
    for s, t in zip(scores, truth):
        if t >= 0:
            hits += np.sum(s > s[t]) + np.sum(s[:t] == s[t]) < k
    return hits / len(truth)


def labelled_file(path):
    """A test CSV's rows as hs_bench --eval reads them."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    d = "description" if rows and "description" in rows[0] else "GDSDESC"
    c = "hs_code" if rows and "hs_code" in rows[0] else "CMDTYCODE"
    return [{"description": r[d], "code": r[c], "source": path} for r in rows]


def run(d, protocol, files=()):
    t0 = time.time()
    nom = read(d, "nomenclature.csv")
    head_text = {r["code"]: r["description"] for r in nom if r["level"] == "4"}
    sub_text = {r["code"]: r["description"] for r in nom if r["level"] == "6"}
    heads, subs = sorted(head_text), sorted(sub_text)
    train = [(r["description"], r["code"][:6]) for r in read(d, "train.csv")]
    train = [(t, c) for t, c in train if c in sub_text]
    if protocol == "titles":
        train += [(r["description"], r["code"][:6]) for r in read(d, "test.csv")]
        train = [(t, c) for t, c in train if c in sub_text]
        test = [r for f in files for r in labelled_file(f)]
    else:
        test = read(d, "test.csv" if protocol == "default" else "pooled_test.csv")
    withheld = {r["code"] for r in test if r["source"] == "nomenclature"}
    sub_rows = [(t, c) for c, t in sub_text.items() if c not in withheld]
    head_rows = [(t, c) for c, t in head_text.items()]

    tf = vectorizer([t for t, _ in train + sub_rows + head_rows])
    Xt = tf([r["description"] for r in test])
    rows6 = train + sub_rows
    S6 = ovr_scores(tf([t for t, _ in rows6]), [c for _, c in rows6], Xt, subs)
    rows4 = [(t, c[:4]) for t, c in rows6] + head_rows
    H = ovr_scores(tf([t for t, _ in rows4]), [c for _, c in rows4], Xt, heads)

    si = {c: i for i, c in enumerate(subs)}
    hi = {c: i for i, c in enumerate(heads)}
    t6 = np.array([si.get(r["code"][:6], -1) for r in test])
    t4 = np.array([hi.get(r["code"][:4], -1) for r in test])
    kinds = np.array([r["source"] == "nomenclature" for r in test])
    subsets = [("all", np.ones(len(test), bool))]
    if protocol == "pooled":
        subsets += [("labelled rows", ~kinds), ("nomenclature rows", kinds)]
    if protocol == "titles":
        sources = np.array([r["source"] for r in test])
        subsets = [(os.path.basename(f), sources == f) for f in files]
    for name, m in subsets:
        print(
            f"svm {protocol:<7} {name:<18} rows {int(m.sum()):>5}  "
            f"heading top1 {topk(H[m], t4[m], 1):.3f} top5 {topk(H[m], t4[m], 5):.3f}  "
            f"subheading top1 {topk(S6[m], t6[m], 1):.3f} top5 {topk(S6[m], t6[m], 5):.3f}",
            flush=True,
        )
    print(
        f"svm {protocol}: trained on {len(train)} labelled + {len(sub_rows)} subheading "
        f"+ {len(head_rows)} heading texts ({len(withheld)} withheld), {time.time() - t0:.0f} s",
        flush=True,
    )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[2:3] == ["titles"]:
        run(sys.argv[1], "titles", sys.argv[3:])
        sys.exit(0)
    for protocol in sys.argv[2:] or ["default", "pooled"]:
        if protocol not in ("default", "pooled"):
            sys.exit(f"unknown protocol {protocol!r}: default, pooled or titles FILE...")
        run(sys.argv[1], protocol)
