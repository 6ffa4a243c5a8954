"""Latency and memory of the app: in-process callbacks and over HTTP (gradio_client).

    python benchmarks/bench_app.py [--repeats 50]
    python benchmarks/bench_app.py --serve [--clients 16 --requests 25 --soak 2000]

``--serve`` starts ``python app.py`` in its own process on a loopback port (with an empty
MNIST cache: the first-ever start) and prints the time to the first page, then a load run
(N clients x M requests of the digits panel, each client one gradio_client session:
throughput, p50, p95, errors, the panel's share of the run) and a memory soak (the
server's resident memory after K mixed requests of every endpoint). Loopback only; the
request loops are bounded.

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


def serve(a) -> None:
    """Start-up, load and soak against ``python app.py`` in its own process."""
    import numpy as np
    from PIL import Image
    from serve_load import cpu_s, load, rss_mb, soak, start_server
    cache = tempfile.mkdtemp(prefix="pwae-cold-")
    proc, started = start_server(a.port, cache)
    try:
        print(f"python app.py -> first page, empty cache (first-ever start): {started:.2f} s")
        url = f"http://127.0.0.1:{a.port}/"
        image = str(Path(cache) / "digit.png")
        from pwae_core import data
        Image.fromarray((np.kron(data.mnist("test")[0][3, 0].numpy(), np.ones((4, 4))) * 255)
                        .astype(np.uint8)).save(image)
        server0, client0 = cpu_s(proc.pid), resource.getrusage(resource.RUSAGE_SELF)
        r = load(url, image, a.clients, a.requests)
        client1 = resource.getrusage(resource.RUSAGE_SELF)
        client = client1.ru_utime + client1.ru_stime - client0.ru_utime - client0.ru_stime
        print(f"load {a.clients} clients x {a.requests} digits panels: {r['per_s']:.1f} req/s, "
              f"p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, errors {len(r['errors'])}, "
              f"wall {r['wall_s']:.1f} s; CPU: server {cpu_s(proc.pid) - server0:.1f} s, "
              f"clients {client:.1f} s")
        for e in sorted(set(r["errors"]))[:5]:
            print("  error:", e)
        if a.soak:
            before = rss_mb(proc.pid)
            errors = soak(url, image, a.soak)
            print(f"soak {a.soak} mixed requests: errors {len(errors)}, server resident memory "
                  f"{before:.0f} MB before, {rss_mb(proc.pid):.0f} MB after")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--serve", action="store_true", help="start-up, load and soak of python app.py")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=25)
    ap.add_argument("--soak", type=int, default=2000, help="mixed requests after the load run (0: none)")
    ap.add_argument("--port", type=int, default=7898)
    a = ap.parse_args()
    if a.serve:
        return serve(a)
    reps = a.repeats
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="pwae-bench-")
    t0 = time.perf_counter()
    app = import_app()
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=7899, prevent_thread_lock=True,
                                quiet=True, **app.LAUNCH)
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
    """One click of "Sample the posterior", as app.run_digits computes it: the panel, the
    principal directions and the scrub (all 61 frames of the first one)."""
    p = views.digits_panel(models, digit, "denoise", 0.5, None, 64, 0)
    return views.direction(models["denoise"], p["state"], "principal 1", 0, 0, 0.0)


def _in_process(app, digits, ot, reps):
    digit, models = app.EXAMPLES[3], app.MODELS
    p = digits.digits_panel(models, digit, "denoise", 0.5, None, 64, 0)
    v = digits.top_directions(models["denoise"], p["state"])[0]
    return [("digits panel, in process", *timed(lambda: digits.digits_panel(models, digit, "denoise", 0.5, None, 64, 0), reps)),
            ("panel + directions + 61-frame scrub", *timed(lambda: panel_and_directions(digits, models, digit), reps)),
            ("eps frame, in process", *timed(lambda: digits.eps_frame(models["denoise"], p["state"], v, 1.0), reps)),
            ("sphere view (150 pts + MG/ED), in process", *timed(lambda: ot.sphere_view(app.OT["sphere"]["10,10"], 150), 5)),
            ("posterior view (+ 2 cond. ED), in process", *timed(lambda: ot.posterior_view(app.OT["posterior"], 0.3), 5))]


def _over_http(app, url, reps):
    from gradio_client import Client, handle_file
    from PIL import Image
    import numpy as np
    path = Path(os.environ["GRADIO_TEMP_DIR"]) / "digit.png"
    Image.fromarray((np.kron(app.EXAMPLES[3], np.ones((4, 4))) * 255).astype(np.uint8)).save(path)
    c = Client(url, analytics_enabled=False, download_files=False, verbose=False)
    panel = lambda: c.predict(handle_file(str(path)), "denoise", 0.5, None, "drawn", 64, 0, api_name="/digits")  # noqa: E731
    panel()
    c.predict("principal 1", 0, 0.0, api_name="/directions")
    return [("digits panel, over HTTP", *timed(panel, max(5, reps // 5))),
            ("eps frame, over HTTP", *timed(lambda: c.predict(1.0, api_name="/eps_frame"), max(5, reps // 5)))]


if __name__ == "__main__":
    main()
