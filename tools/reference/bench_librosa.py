#!/usr/bin/env python3
"""librosa's side of `cargo bench -p earmark-core --bench frontend`.

Usage: bench_librosa.py SIGNALS_DIR CONFIG.json... ; SIGNALS_DIR/<config stem>.npy holds the 60 s signal the Rust
benchmark used for that config. Prints one JSON object: config stem -> frames per second (best of 5, one thread
as far as numpy's FFT goes; librosa's first call compiles with numba and is excluded).
"""

import json
import os
import pathlib
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from librosa_fixtures import compress, melspectrogram  # noqa: E402


def main() -> None:
    signals = pathlib.Path(sys.argv[1])
    results = {}
    for config_path in map(pathlib.Path, sys.argv[2:]):
        cfg = json.loads(config_path.read_text())
        y = np.load(signals / f"{config_path.parent.name}.npy")
        compress(melspectrogram(y[: cfg["sample_rate"]], cfg), cfg["compression"])  # warm-up (numba, caches)
        best = float("inf")
        frames = 0
        for _ in range(5):
            start = time.perf_counter()
            out = compress(melspectrogram(y, cfg), cfg["compression"])
            best = min(best, time.perf_counter() - start)
            frames = out.shape[1]
        results[config_path.parent.name] = frames / best
    print(json.dumps(results))


if __name__ == "__main__":
    main()
