#!/usr/bin/env python3
"""Regression check for shared CI runners: ratios, not times. cxr's decode speed is compared with
Pillow and OpenCV measured in the same job on the same files (compare.py's comparison.json), so a
slow or busy runner slows both sides; the check fails when a ratio falls below its bound.

  benchmarks/check_ratios.py benchmarks/target/results/comparison.json \
      --min cxr_vs_pillow=1.2 --min cxr_vs_cv2_area=0.8
"""
import argparse
import json
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("comparison")
    ap.add_argument("--min", action="append", default=[], metavar="KEY=BOUND",
                    help="lowest accepted value of a ratio key (every decode row is checked)")
    ap.add_argument("--input", default="kermany224", help="decode input rows to check")
    args = ap.parse_args()
    with open(args.comparison) as f:
        data = json.load(f)
    bounds = {}
    for b in args.min:
        key, _, value = b.partition("=")
        bounds[key] = float(value)
    rows = [r for r in data.get("decode", []) if r.get("input") == args.input]
    if not rows:
        print(f"check_ratios: no decode rows for input {args.input} in {args.comparison}",
              file=sys.stderr)
        return 2
    failed = 0
    for r in rows:
        for key, bound in bounds.items():
            if key not in r:
                print(f"check_ratios: {key} missing for {args.input} {r['size']}px", file=sys.stderr)
                return 2
            ok = r[key] >= bound
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {args.input} {r['size']:>3}px {key} "
                  f"{r[key]:.2f} (bound {bound:.2f})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
