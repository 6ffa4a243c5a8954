"""The load and soak runs of ``bench_app.py --serve``: the app in its own process, clients
in this one (threads, one gradio_client session each), loopback only, bounded loops."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_server(port: int, cache: str) -> tuple[subprocess.Popen, float]:
    """``python app.py`` on 127.0.0.1:port with the MNIST cache in ``cache``; returns the
    process and the seconds from the start to the first HTTP 200."""
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "PWAE_CACHE": cache,
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1",
           "GRADIO_TEMP_DIR": tempfile.mkdtemp(prefix="pwae-serve-")}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):                                   # at most 60 s
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return proc, time.perf_counter() - t0
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the app exited during start-up")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the app did not answer within 60 s")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))


def _client(url):
    from gradio_client import Client
    return Client(url, analytics_enabled=False, download_files=False, verbose=False)


def upload(url: str, path: str) -> dict:
    """The image uploaded once -> the FileData dict that API calls send."""
    import httpx
    with open(path, "rb") as f:
        r = httpx.post(url + "gradio_api/upload", files={"files": f}, timeout=30)
    return {"path": r.json()[0], "meta": {"_type": "gradio.FileData"}}


def call(session, url: str, api: str, data: list) -> str:
    """One request over Gradio's HTTP API (POST, then the event stream) -> "complete" or the
    error text. A plain HTTP client: a light load generator, unlike gradio_client."""
    r = session.post(f"{url}gradio_api/call/{api}", json={"data": data}, timeout=60)
    event = r.json()["event_id"]
    kind = None
    with session.stream("GET", f"{url}gradio_api/call/{api}/{event}", timeout=120) as s:
        for line in s.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind in ("complete", "error"):
                return "complete" if kind == "complete" else f"error: {line[6:200]}"
    return "error: the stream ended without a result"


def load(url: str, image: str, clients: int, requests: int) -> dict:
    """N client threads, each sending M digits-panel requests back to back."""
    import httpx
    times, errors, lock = [], [], threading.Lock()
    picture = upload(url, image)

    def run(k: int):
        session = httpx.Client()
        for i in range(requests):
            t0 = time.perf_counter()
            result = call(session, url, "digits", [picture, "denoise", 0.5, None, "drawn", 64,
                                                   k * requests + i, "principal 1", 0.0])
            with lock:
                (times if result == "complete" else errors).append(
                    1e3 * (time.perf_counter() - t0) if result == "complete" else result)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    times.sort()
    return {"requests": clients * requests, "wall_s": wall, "per_s": len(times) / wall,
            "p50": statistics.median(times) if times else float("nan"),
            "p95": times[int(0.95 * (len(times) - 1))] if times else float("nan"),
            "errors": errors}


def soak(url: str, image: str, total: int, clients: int = 4) -> list[str]:
    """``total`` mixed requests (panel, directions, eps frames, sphere, posterior) from a few
    clients; returns the errors."""
    from gradio_client import handle_file
    calls = [lambda c, i: c.predict(handle_file(image), "inpaint" if i % 2 else "denoise", 0.5,
                                    None, "left half", 16, i, api_name="/digits"),
             lambda c, i: c.predict("random", i, 0.0, api_name="/directions"),
             lambda c, i: c.predict((i % 61) / 10 - 3, api_name="/eps_frame"),
             lambda c, i: c.predict(["10,10", "10,0", "0,0"][i % 3], True, 60, api_name="/sphere"),
             lambda c, i: c.predict((i % 40) / 10 - 2, api_name="/posterior")]
    errors, lock = [], threading.Lock()

    def run(k: int):
        c = _client(url)
        for i in range(k, total, clients):
            try:
                calls[0 if i < clients else i % len(calls)](c, i)   # each session starts with a panel
            except Exception as e:
                with lock:
                    errors.append(str(e)[:120])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
