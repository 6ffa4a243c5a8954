"""The Gradio app over HTTP (gradio_client against an in-process server): every endpoint
answers, outputs respond to the controls, and 50 bad inputs each get a clear error while
the app keeps serving."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def client(app_server):
    from gradio_client import Client
    return Client(app_server[1], analytics_enabled=False, download_files=False, verbose=False)


TINT = [18, 40, 90]            # a hidden black pixel in "what the model sees"


def _img(result) -> np.ndarray:
    """An image output of the app (a file the in-process server wrote) as an array."""
    return np.asarray(Image.open(result["path"]).convert("RGB"))


@pytest.fixture(scope="module")
def files(tmp_path_factory, app_server):
    """Test PNGs: a real digit, and the odd ones a user might upload."""
    d = tmp_path_factory.mktemp("png")
    digit = (np.kron(app_server[0].TEST_X[3], np.ones((4, 4))) * 255).astype(np.uint8)
    out = {"digit": d / "digit.png"}
    Image.fromarray(digit).save(out["digit"])
    odd = {"rgba": Image.fromarray(np.dstack([digit] * 3 + [np.full_like(digit, 200)]), "RGBA"),
           "grey16": Image.fromarray(digit.astype(np.uint16) * 257),
           "tiny": Image.fromarray(np.zeros((1, 1), np.uint8)),
           "wide": Image.fromarray(np.zeros((5, 4500), np.uint8)),
           "huge": Image.new("L", (10_000, 10_000))}
    for name, im in odd.items():
        out[name] = d / f"{name}.png"
        im.save(out[name])
    out["corrupt"] = d / "corrupt.png"
    out["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\nnot really a png" * 10)
    layer = np.zeros((280, 280, 4), np.uint8)
    for name, cols in (("left", slice(0, 140)), ("full", slice(0, 280)), ("empty", slice(0, 0))):
        layer[:] = 0
        layer[:, cols] = (255, 0, 0, 255)
        out["mask_" + name] = d / f"mask_{name}.png"
        Image.fromarray(layer).save(out["mask_" + name])
    return out


def _digits(client, img, task="denoise", sigma=0.5, editor=None, preset="drawn", n=32, seed=0):
    from gradio_client import handle_file
    img = handle_file(str(img)) if isinstance(img, Path) else img
    return client.predict(img, task, sigma, editor, preset, n, seed, api_name="/digits")


def _editor(files, name):
    from gradio_client import handle_file
    return {"background": handle_file(str(files["digit"])), "layers": [handle_file(str(files[name]))],
            "composite": None}


def test_digits_endpoint_returns_every_output_and_responds_to_sigma(client, files):
    lo, hi = (_digits(client, files["digit"], sigma=s) for s in (0.2, 1.0))
    assert len(lo) == 7                                          # 5 images, hist, scale text
    assert [_img(lo[i]).shape for i in range(5)] == [(224, 224, 3)] * 3 + [(224, 244, 3), (4 * 84, 8 * 86, 3)]
    assert [row[0] for row in lo[5]["data"]] == [str(c) for c in range(10)]
    assert sum(row[1] for row in lo[5]["data"]) == 32               # every sample classified
    assert "std map scale" in lo[6] and lo[6] != hi[6]


def test_inpainting_with_a_drawn_mask_and_a_preset(client, files):
    drawn = _digits(client, files["digit"], "inpaint", editor=_editor(files, "mask_left"))
    preset = _digits(client, files["digit"], "inpaint", preset="right half")
    for out, hidden in ((drawn, slice(0, 112)), (preset, slice(112, 224))):
        obs = _img(out[0]).astype(int)
        tinted = obs[..., 2] > obs[..., 0]                   # hidden pixels are tinted blue
        assert tinted[:, hidden].all() and tinted.sum() == 224 * 112
    assert drawn[6] != preset[6]


def test_directions_and_eps_frames_use_the_session_state(client, files):
    _digits(client, files["digit"], sigma=0.8)
    client.predict("principal 1", 0, api_name="/directions")
    a, b = (client.predict(e, api_name="/eps_frame") for e in (-2.5, 2.5))
    assert np.abs(_img(a).astype(int) - _img(b).astype(int)).mean() > 1


def test_sphere_and_posterior_endpoints(client):
    assert "MG =" in client.predict("10,10", True, 100, api_name="/sphere")[1]
    assert "PWAE" in client.predict(0.4, api_name="/posterior")[1]


def _bad_requests(files):
    """50 bad requests: (endpoint, args) pairs."""
    img, bad = files["digit"], []
    for name in ("corrupt", "tiny", "wide", "huge"):
        bad.append(("digits", dict(img=files[name])))
    for sigma in (3.0, -1.0, 0.0, 1.2, 1e9, -1e9, 0.05, 2.0):
        bad.append(("digits", dict(img=img, sigma=sigma)))
    for n in (0, -5, 257, 1e6, 2.5, 10_000):
        bad.append(("digits", dict(img=img, n=n)))
    for seed in (-1, 2 ** 40, -100):
        bad.append(("digits", dict(img=img, seed=seed)))
    for task in ("deblur", "", "DENOISE"):
        bad.append(("digits", dict(img=img, task=task)))
    for preset in ("top half", "", "drawn"):                      # "drawn" with nothing drawn
        bad.append(("digits", dict(img=img, task="inpaint", preset=preset)))
    bad.append(("digits", dict(img=img, task="inpaint", editor=_editor(files, "mask_empty"))))
    bad.append(("digits", dict(img=None)))
    for eps in (1e9, -50, 11):
        bad.append(("eps_frame", [eps]))
    for pick in ("principal 9", "sideways"):
        bad.append(("directions", [pick, 0]))
    for setting in ("5,5", "", "10;10"):
        bad.append(("sphere", [setting, True, 100]))
    for npts in (0, 5, 10_000, -3):
        bad.append(("sphere", ["10,10", True, npts]))
    for y in (9.0, -9.0, 1e12, -3.0, 2.5):
        bad.append(("posterior", [y]))
    bad += [("digits", dict(img=img, sigma=s)) for s in (1.15, 1.5, 5.0)]
    bad += [("digits", dict(img=img, n=300))]
    return bad


def test_fifty_bad_inputs_get_clear_errors_and_the_app_keeps_serving(client, files):
    bad = _bad_requests(files)
    assert len(bad) == 50
    answered, unclear = [], []
    for endpoint, args in bad:
        try:
            if endpoint == "digits":
                _digits(client, **args)
            else:
                client.predict(*args, api_name="/" + endpoint)
            answered.append((endpoint, args))
        except Exception as e:                                        # noqa: BLE001
            if not str(e) or "Traceback" in str(e) or len(str(e)) > 400:
                unclear.append((endpoint, args, str(e)))
    assert not answered and not unclear, (answered, unclear)
    ok = _digits(client, files["digit"])                              # still answers
    assert ok[4]["path"]


def test_a_16_bit_upload_is_the_same_digit(client, files):
    """uint16 pixels are scaled by 65535: digit * 257 is the very same input."""
    plain, grey16 = _digits(client, files["digit"]), _digits(client, files["grey16"])
    for i in range(5):                                      # observation, MAP, mean, std, samples
        assert np.array_equal(_img(plain[i]), _img(grey16[i]))


def test_a_translucent_rgba_upload_is_the_digit_dimmed(client, files):
    """Alpha 200 composites the digit over black: a fainter version of the same digit."""
    plain, rgba = _digits(client, files["digit"], sigma=0.1), _digits(client, files["rgba"], sigma=0.1)
    a, b = (_img(r[0])[..., 0].astype(float) for r in (plain, rgba))
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.9 and b.mean() < a.mean()


def test_full_mask_is_answered_with_prior_samples(client, files):
    out = _digits(client, files["digit"], "inpaint", editor=_editor(files, "mask_full"))
    assert (_img(out[0]) == TINT).all()                     # the model sees nothing at all
    assert float(out[6].split("mean std ")[1].rstrip(")")) > 0.05   # samples of the prior spread
    assert sum(row[1] for row in out[5]["data"]) == 32


def test_random_direction_is_resampled_on_every_click(client, files):
    _digits(client, files["digit"], sigma=0.8)
    strips = [client.predict("random", 0, api_name="/directions")[0]["path"] for _ in range(2)]  # the eps strip
    a, b = (np.asarray(Image.open(p)) for p in strips)
    assert not np.array_equal(a, b)


def test_missing_models_give_a_visible_error(app_server, monkeypatch):
    import gradio as gr
    app = app_server[0]
    monkeypatch.setattr(app, "MODELS", {})
    monkeypatch.setattr(app, "LOAD_ERRORS", ["checkpoints/mnist-denoise.safetensors is missing"])
    with pytest.raises(gr.Error, match="missing"):
        app.run_digits(None, "denoise", 0.5, None, "drawn", 8, 0)
    monkeypatch.setattr(app, "OT", {})
    with pytest.raises(gr.Error, match="not available"):
        app.run_sphere("10,10", True, 100)
