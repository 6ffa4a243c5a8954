"""Latency and memory of the app: in-process callbacks and over HTTP (gradio_client).

    python benchmarks/bench_app.py [--repeats 50]

Prints p50 / p95 of
  * the digits panel (64 samples + mean + std + class histogram) and one eps frame,
    in process (pwae_core.digits_view) and over HTTP against a local server;
  * the digits panel followed by the principal directions, the eps strip and a frame (one
    click of "Sample the posterior" in the app), in process;
  * the sphere and posterior views in process;
plus the time from `import app` to the first page (HTTP 200) and the resident memory of
the process after every tab was used once. Ratios are against the in-process panel.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import tempfile
import time
import urllib.request
from pathlib import Path

from timing import timed

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parents[1]


def import_app():
    """app.py of this checkout as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("app", ROOT / "app.py")
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    return app


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
    app = import_app()
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=7899, prevent_thread_lock=True, quiet=True)
    urllib.request.urlopen(url, timeout=30).read()
    print(f"import app -> first page: {time.perf_counter() - t0:.2f} s")
    from pwae_core.views import digits, ot
    rows = _in_process(app, digits, ot, reps)
    rows += _over_http(app, url, reps)
    base = rows[0][1]
    for name, p50, p95 in rows:
        print(f"{name:<44} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  x {p50 / base:5.1f}")
    print(f"resident memory after every tab: {rss_mb():.0f} MB")
    app.demo.close()


def panel_and_directions(views, models, digit):
    """One click of "Sample the posterior": the panel, then the principal directions, the
    eps strip and the frame at eps = 0."""
    p = views.digits_panel(models, digit, "denoise", 0.5, None, 64, 0)
    v = views.top_directions(models["denoise"], p["state"])[0]
    return views.eps_strip(models["denoise"], p["state"], v), views.eps_frame(models["denoise"], p["state"], v, 0.0)


def _in_process(app, digits, ot, reps):
    digit, models = app.TEST_X[3], app.MODELS
    p = digits.digits_panel(models, digit, "denoise", 0.5, None, 64, 0)
    v = digits.top_directions(models["denoise"], p["state"])[0]
    return [("digits panel, in process", *timed(lambda: digits.digits_panel(models, digit, "denoise", 0.5, None, 64, 0), reps)),
            ("panel + directions + strip + frame", *timed(lambda: panel_and_directions(digits, models, digit), reps)),
            ("eps frame, in process", *timed(lambda: digits.eps_frame(models["denoise"], p["state"], v, 1.0), reps)),
            ("sphere view (150 pts + MG/ED), in process", *timed(lambda: ot.sphere_view(app.OT["sphere"]["10,10"], 150), 5)),
            ("posterior view (+ 2 cond. ED), in process", *timed(lambda: ot.posterior_view(app.OT["posterior"], 0.3), 5))]


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
