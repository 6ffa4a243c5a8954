"""Latency and memory of the app: in-process callbacks and over HTTP (gradio_client).

    python benchmarks/bench_app.py [--repeats 50]

Prints p50 / p95 of
  * the digits panel (64 samples + mean + std + class histogram) and one eps frame,
    in process (pwae_core.digits_view) and over HTTP against a local server;
  * the sphere and posterior views in process;
plus the time from `import app` to the first page (HTTP 200) and the resident memory of
the process after every tab was used once. Ratios are against the in-process panel.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, repeats: int) -> tuple[float, float]:
    fn()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(1e3 * (time.perf_counter() - t0))
    t.sort()
    return statistics.median(t), t[min(len(t) - 1, int(0.95 * len(t)))]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=50)
    reps = ap.parse_args().repeats
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="pwae-bench-")
    t0 = time.perf_counter()
    import app
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=7899, prevent_thread_lock=True, quiet=True)
    urllib.request.urlopen(url, timeout=30).read()
    print(f"import app -> first page: {time.perf_counter() - t0:.2f} s")
    from pwae_core import digits_view as D, ot_view as O
    rows = _in_process(app, D, O, reps)
    rows += _over_http(app, url, reps)
    base = rows[0][1]
    for name, p50, p95 in rows:
        print(f"{name:<44} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  x {p50 / base:5.1f}")
    print(f"resident memory after every tab: {rss_mb():.0f} MB")
    app.demo.close()


def _in_process(app, D, O, reps):
    digit = app.TEST_X[3]
    p = D.digits_panel(app.MODELS, digit, "denoise", 0.5, None, 64, 0)
    v = D.top_directions(app.MODELS["denoise"], p["state"])[0]
    return [("digits panel, in process", *timed(lambda: D.digits_panel(app.MODELS, digit, "denoise", 0.5, None, 64, 0), reps)),
            ("eps frame, in process", *timed(lambda: D.eps_frame(app.MODELS["denoise"], p["state"], v, 1.0), reps)),
            ("sphere view (150 pts + MG/ED), in process", *timed(lambda: O.sphere_view(app.OT["sphere"]["10,10"], 150), 5)),
            ("posterior view (+ 2 cond. ED), in process", *timed(lambda: O.posterior_view(app.OT["posterior"], 0.3), 5))]


def _over_http(app, url, reps):
    from gradio_client import Client, handle_file
    from PIL import Image
    import numpy as np
    path = Path(os.environ["GRADIO_TEMP_DIR"]) / "digit.png"
    Image.fromarray((np.kron(app.TEST_X[3], np.ones((4, 4))) * 255).astype(np.uint8)).save(path)
    c = Client(url, analytics_enabled=False, download_files=False, verbose=False)
    panel = lambda: c.predict(handle_file(str(path)), "denoise", 0.5, None, "drawn", 64, 0, api_name="/digits")  # noqa: E731
    panel()
    c.predict("principal 1", 0, api_name="/directions")
    return [("digits panel, over HTTP", *timed(panel, max(5, reps // 5))),
            ("eps frame, over HTTP", *timed(lambda: c.predict(1.0, api_name="/eps_frame"), max(5, reps // 5)))]


if __name__ == "__main__":
    main()
