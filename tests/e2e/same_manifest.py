#!/usr/bin/python3
"""same_manifest.py A B: the two manifests say the same but for times and
the thread count (exit 0), or why not (exit 1 with a message). Field order
must not depend on which worker met a JSON path first: a JSON Lines
source's fields are listed by name."""
import json
import sys


def norm(path):
    m = json.load(open(path))
    for k in ("started_at", "finished_at"):
        m.pop(k, None)
    m["totals"].pop("seconds", None)
    m["totals"].pop("threads", None)
    return m


a, b = norm(sys.argv[1]), norm(sys.argv[2])
if a != b:
    fa = [(f["source"], f["field"]) for f in a["fields"]]
    fb = [(f["source"], f["field"]) for f in b["fields"]]
    sys.exit("manifests differ" + (": field order %s vs %s" % (fa, fb) if fa != fb else ""))
for src in a["sources"]:
    if src["format"] != "jsonl":
        continue
    names = [f["field"] for f in a["fields"] if f["source"] == src["path"] and f["field"] is not None]
    if names != sorted(names, key=lambda n: n.encode()):
        sys.exit("%s: JSON fields not in name order: %s" % (src["path"], names))
