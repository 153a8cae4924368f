#!/usr/bin/env python3
"""Holds PIT's surviving mutants to the reviewed list in core/pit-survivors.tsv.

Every mutant PIT could not kill (SURVIVED or NO_COVERAGE) must be listed there, with the reason it
is equivalent or not worth a test; a new survivor fails the build (write a test that kills it, or
list it with its reason), and so does a listed one that no longer survives (remove its row). Rows
are matched on class, method, mutator and PIT's description, not on line numbers, so that editing
a file does not invalidate the review; `count` says how many such mutants the method has.

usage: pit_survivors.py [--only-mutated] [mutations.xml] [pit-survivors.tsv]
  --only-mutated: a run over some classes (scripts/mutation-changed.sh): rows of other classes are
                  not called stale
"""

import collections
import csv
import sys
import xml.etree.ElementTree as ET

UNKILLED = ("SURVIVED", "NO_COVERAGE")


def survivors(xml_path):
    found = collections.Counter()
    lines = collections.defaultdict(list)
    mutated = set()
    for m in ET.parse(xml_path).getroot().iter("mutation"):
        mutated.add(m.findtext("mutatedClass"))
        if m.get("status") not in UNKILLED:
            continue
        key = (
            m.findtext("mutatedClass"),
            m.findtext("mutatedMethod"),
            m.findtext("mutator").rsplit(".", 1)[-1],
            m.findtext("description"),
        )
        found[key] += 1
        lines[key].append(m.findtext("lineNumber"))
    return found, lines, mutated


def reviewed(tsv_path):
    listed = collections.Counter()
    with open(tsv_path, newline="", encoding="utf-8") as f:
        rows = [r for r in f if r.strip() and not r.startswith("#")]
    for row in csv.reader(rows, delimiter="\t"):
        if len(row) != 6 or not row[5].strip():
            sys.exit(f"{tsv_path}: expected 6 tab-separated fields ending in a reason, got {row}")
        cls, method, mutator, description, count, _reason = row
        listed[(cls, method, mutator, description)] += int(count)
    return listed


def main():
    args = sys.argv[1:]
    only_mutated = "--only-mutated" in args
    args = [a for a in args if a != "--only-mutated"]
    xml_path = args[0] if args else "core/target/pit-reports/mutations.xml"
    tsv_path = args[1] if len(args) > 1 else "core/pit-survivors.tsv"
    found, lines, mutated = survivors(xml_path)
    listed = reviewed(tsv_path)
    if only_mutated:
        listed = collections.Counter({k: n for k, n in listed.items() if k[0] in mutated})
    new = {k: n - listed[k] for k, n in found.items() if n > listed[k]}
    stale = {k: n - found[k] for k, n in listed.items() if n > found[k]}
    for (cls, method, mutator, description), n in sorted(new.items()):
        print(
            f"new survivor: {cls}.{method} line {','.join(lines[(cls, method, mutator, description)])}"
            f": {mutator}: {description} (x{n})"
        )
    for (cls, method, mutator, description), n in sorted(stale.items()):
        print(f"listed but killed now: {cls}.{method}: {mutator}: {description} (x{n})")
    total = sum(found.values())
    if new or stale:
        print(
            f"pit-survivors: {len(new)} unreviewed and {len(stale)} stale entries;"
            f" kill the new ones with a test or list them in {tsv_path} with a reason"
        )
        return 1
    print(f"pit-survivors: all {total} surviving mutants are reviewed in {tsv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
