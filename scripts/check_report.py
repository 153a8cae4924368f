#!/usr/bin/env python3
"""Checks a CI report made by scripts/ci-report.sh: it holds cxr's metrics and gate, the change
against the base, and image links that resolve to files beside it. Exit 1 names what is missing."""
import re
import sys
from pathlib import Path


def main(path: str) -> int:
    report = Path(path)
    text = report.read_text()
    problems = []
    for needed in ("## Evaluation (cxr evaluate)", "| AUC |", "| specificity |",
                   "### Quality gate:", "## Change against", "### Metrics", "## Plots"):
        if needed not in text:
            problems.append(f"missing '{needed}'")
    if not re.search(r"\| AUC \| 0\.\d{4} \|", text):
        problems.append("no test AUC value")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    if not links:
        problems.append("no image links")
    for link in links:
        f = report.parent / link
        if not f.is_file() or f.stat().st_size == 0:
            problems.append(f"image link {link} does not resolve")
        elif f.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            problems.append(f"image link {link} is not a PNG")
    for p in problems:
        print(f"check_report: {report}: {p}", file=sys.stderr)
    if not problems:
        print(f"check_report: {report}: metrics, gate, diff and {len(links)} images present")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "reports/ci-report.md"))
