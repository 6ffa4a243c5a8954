"""Latency of the Translation tab: one face (and one digit) translated, in process and over HTTP.

    python benchmarks/bench_translate.py [--repeats 30] [--quick]
    PWAE_TRANSLATION_DIR=folder python benchmarks/bench_translate.py    # other checkpoints

Imports the app (its models, one torch thread as it serves), serves it in this process on a
loopback port, and prints p50 / p95 over ``--repeats`` calls after a warm-up of
  * ``translate_face`` on a 512 x 512 photo (scikit-image's astronaut: read, face detected,
    cropped, four pictures and the OOD score): the baseline of the ratios;
  * ``translate_face`` on its 64 x 64 crop (detection on a small image, then the same);
  * the model alone: D_y(E_x(x)) of one 64 x 64 face (one encode, one decode);
  * ``face_panel``, what the app's callback computes (the above, enlarged pictures, the
    checkpoint's description and table);
  * ``translate_digit`` in process;
  * over HTTP (gradio_client, one session): /translate_face with the 512 x 512 PNG and with
    the 64 x 64 crop (each request uploads the file), and /translate_digit;
plus which face checkpoint was timed, the time from ``import app`` to the first page and
the resident memory after the run.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_app import import_app, rss_mb
from timing import timed

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="5 calls each (a smoke run, noisy)")
    ap.add_argument("--port", type=int, default=7897)
    a = ap.parse_args()
    reps = 5 if a.quick else a.repeats
    tmp = Path(tempfile.mkdtemp(prefix="pwae-bench-translate-"))
    os.environ["GRADIO_TEMP_DIR"] = str(tmp / "gradio")
    t0 = time.perf_counter()
    app = import_app()
    if not app.TRANSLATION:
        raise SystemExit(f"no translation models: {' '.join(app.LOAD_ERRORS)}")
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=a.port, prevent_thread_lock=True,
                                quiet=True, **app.LAUNCH)
    urllib.request.urlopen(url, timeout=30).read()
    print(f"import app -> first page: {time.perf_counter() - t0:.2f} s")
    try:
        rows = _in_process(app, tmp, reps) + _over_http(url, tmp, reps)
    finally:
        app.demo.close()
    base = rows[0][1]
    for name, p50, p95 in rows:
        print(f"{name:<50} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  x {p50 / base:5.2f}")
    print(f"resident memory: {rss_mb():.0f} MB")


def _in_process(app, tmp: Path, reps: int) -> list:
    import numpy as np
    import torch
    from PIL import Image
    from skimage import data as skdata
    from pwae_core import faces_upload
    from pwae_core.views import translation as T
    name, model = T.face_model(app.TRANSLATION)
    steps = getattr(model.info.train_config, "steps", "?")
    print(f"face checkpoint: {app.TRANSLATION_DIR}/{name} ({steps} steps, trained on "
          f"{model.info.extra.get('trained_on', '?')}); torch threads {torch.get_num_threads()}")
    photo = skdata.astronaut()                                              # (512, 512, 3) uint8
    crop = (faces_upload.face_crop(photo).image * 255).round().astype(np.uint8)   # (64, 64, 3)
    Image.fromarray(photo).save(tmp / "photo512.png")
    Image.fromarray(crop).save(tmp / "crop64.png")
    Image.fromarray(app.digits.as_picture(app.EXAMPLES[3])).save(tmp / "digit.png")
    x = torch.from_numpy(crop.transpose(2, 0, 1).copy()).float().div(255).reshape(1, -1)
    digit = app.EXAMPLES[3]

    @torch.no_grad()
    def model_alone():
        return model.decode_y(model.encode_x(x))

    return [("translate_face, 512 x 512 photo, in process", *timed(lambda: T.translate_face(model, photo, "xy"), reps)),
            ("translate_face, 64 x 64 crop, in process", *timed(lambda: T.translate_face(model, crop, "xy"), reps)),
            ("model alone, D_y(E_x(x)) of one face", *timed(model_alone, reps)),
            ("face_panel (the app's callback), 512 x 512", *timed(lambda: T.face_panel(app.TRANSLATION, photo, "xy"), reps)),
            ("translate_digit, in process", *timed(lambda: T.translate_digit(app.TRANSLATION["digits"], digit, "xy"), reps))]


def _over_http(url: str, tmp: Path, reps: int) -> list:
    from gradio_client import Client, handle_file
    c = Client(url, analytics_enabled=False, download_files=False, verbose=False)

    def face(path):
        return lambda: c.predict(handle_file(str(path)), "xy", None, api_name="/translate_face")
    digit = lambda: c.predict(handle_file(str(tmp / "digit.png")), "xy", api_name="/translate_digit")  # noqa: E731
    return [("/translate_face, 512 x 512 PNG, over HTTP", *timed(face(tmp / "photo512.png"), reps, warmup=2)),
            ("/translate_face, 64 x 64 PNG, over HTTP", *timed(face(tmp / "crop64.png"), reps, warmup=2)),
            ("/translate_digit, over HTTP", *timed(digit, reps, warmup=2))]


if __name__ == "__main__":
    main()
