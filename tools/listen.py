#!/usr/bin/env python3
"""What each model says about each file, as a Markdown table a listener can check by ear.

    python3 tools/listen.py [--models DIR] [--earmark PATH] [--top K] FILE_OR_DIR...

Runs `earmark analyze --smoothing 0 --update-interval 0.5` (the plugin's engine over the files, at the plugin's
default interval, as the reports' tables were made), takes every model's `mean` (its raw scores averaged over
each file's timeline) and prints the top K classes per file and model (the emotion model: its two P(high)
values). Standard library only; the model reports' "heard on" sections are made with it.
"""
import argparse
import json
import os
import subprocess
import sys


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--models", default=os.path.join(root, "models"))
    parser.add_argument("--earmark", default=os.path.join(root, "target", "debug", "earmark"))
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args()
    if not os.path.exists(args.earmark):
        sys.exit(f"no earmark binary at {args.earmark}: run `cargo build -p earmark-cli` (or give --earmark)")
    run = subprocess.run(
        [args.earmark, "analyze", "--smoothing", "0", "--update-interval", "0.5", "--models", args.models, *args.inputs],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
    files = json.loads(run.stdout or "[]")
    names = sorted({m["name"] for f in files for m in f["models"]})
    print("| file | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for f in files:
        cells = []
        by_name = {m["name"]: m for m in f["models"]}
        for name in names:
            m = by_name.get(name)
            mean = m["mean"] if m else []
            if not mean:
                cells.append("(no readout)")
                continue
            n = len(mean)
            if m["task"] == "emotion":
                top = range(n)
            else:
                top = sorted(range(n), key=lambda i: -mean[i])[: args.top]
            cells.append(", ".join(f"{m['classes'][i]} {mean[i]:.2f}" for i in top))
        print(f"| {os.path.basename(f['file'])} | " + " | ".join(cells) + " |")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
