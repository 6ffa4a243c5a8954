"""The Gradio app over HTTP (gradio_client against the in-process server): every endpoint
answers, the outputs respond to the controls, and more than 60 bad requests of every kind
each get their own specific message (never the generic "upstream app raised an
exception", never a traceback), after which the app still serves."""
import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

MB = "x" * 1_000_000                   # a 1 MB string: never echoed back whole
GENERIC = "upstream"                   # gradio's message when an error has no detail
SIGMA = "sigma must be a number in [0.1, 1.1]"
COUNT = "the sample count must be a whole number in [1, 256]"
SEED = "the seed must be a whole number in [0, 2147483647]"
EPS = "eps must be a number in [-10, 10]"
TASK = "task must be one of"
PRESET = "the mask preset must be one of"
PICK = "the direction must be one of"
IMAGE = "the image must be an image file"
UNREADABLE = "not an image that can be read"
EDITOR = "the mask editor value must be a dict"
SETTING = "the setting must be one of"
EXACT = "show_exact must be true or false"
POINTS = "the number of points must be a whole number in [10, 1000]"
Y = "y must be a number in [-5, 5]"


def _client(url):
    from gradio_client import Client
    return Client(url, analytics_enabled=False, download_files=False, verbose=False)


@pytest.fixture(scope="module")
def client(app_server):
    return _client(app_server[1])


def _img(result) -> np.ndarray:
    """An image output of the app (a file the in-process server wrote) as an RGB array."""
    return np.asarray(Image.open(result["path"]).convert("RGB"))


def _html_img(html: str) -> np.ndarray:
    """The first data-URI PNG inside an HTML output, as an RGB array."""
    b64 = html.split("data:image/png;base64,", 1)[1].split('"', 1)[0].split(")", 1)[0]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB"))


def _counts(hist) -> list[int]:
    assert [row[0] for row in hist["data"]] == [str(c) for c in range(10)]
    return [row[1] for row in hist["data"]]


@pytest.fixture(scope="module")
def files(tmp_path_factory, app_server):
    """Test files: a real MNIST 3, and the odd things a user might upload."""
    d = tmp_path_factory.mktemp("png")
    digit = (np.kron(app_server[0].EXAMPLES[3], np.ones((4, 4))) * 255).astype(np.uint8)
    out = {"digit": d / "digit.png"}
    Image.fromarray(digit).save(out["digit"])
    speck = np.zeros((200, 200), np.uint8)
    speck[100:102, 100:102] = 255
    pngs = {"rgba": Image.fromarray(np.dstack([digit] * 3 + [np.full_like(digit, 200)]), "RGBA"),
            "grey16": Image.fromarray(digit.astype(np.uint16) * 257),
            "tiny": Image.fromarray(np.zeros((1, 1), np.uint8)),
            "small": Image.fromarray(np.full((5, 5), 255, np.uint8)),
            "wide": Image.fromarray(np.zeros((5, 4500), np.uint8)),
            "huge": Image.new("L", (10_000, 10_000)),
            "blank": Image.fromarray(np.zeros((64, 64), np.uint8)),
            "white": Image.fromarray(np.full((64, 64, 3), 255, np.uint8)),
            "speck": Image.fromarray(speck)}
    for name, im in pngs.items():
        out[name] = d / f"{name}.png"
        im.save(out[name])
    for name, data in (("corrupt", b"\x89PNG\r\n\x1a\nnot really a png" * 10), ("empty", b""),
                       ("text", b"hello, I am a text file with a .png name\n")):
        out[name] = d / f"{name}.png"
        out[name].write_bytes(data)
    layer = np.zeros((280, 280, 4), np.uint8)
    for name, cols in (("left", slice(0, 140)), ("full", slice(0, 280)), ("empty", slice(0, 0))):
        layer[:] = 0
        layer[:, cols] = (255, 0, 0, 255)
        out["mask_" + name] = d / f"mask_{name}.png"
        Image.fromarray(layer).save(out["mask_" + name])
    layer[:] = 0
    layer[5, 5] = (255, 0, 0, 255)                       # one painted pixel: hides no cell
    Image.fromarray(layer).save(out.setdefault("mask_dot", d / "mask_dot.png"))
    Image.fromarray(np.zeros((1, 1, 4), np.uint8)).save(out.setdefault("mask_tiny", d / "mask_tiny.png"))
    Image.fromarray(np.zeros((5, 5000, 4), np.uint8)).save(out.setdefault("mask_wide", d / "mask_wide.png"))
    return out


def _file(value):
    """Paths (also inside editor dicts and lists) -> gradio_client file references."""
    from gradio_client import handle_file
    if isinstance(value, Path):
        return handle_file(str(value))
    if isinstance(value, dict):
        return {k: _file(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_file(v) for v in value]
    return value


def _digits(client, img, task="denoise", sigma=0.5, editor=None, preset="drawn", n=32, seed=0,
            *more):
    """/digits(image, task, sigma, editor, preset, n, seed[, pick, eps])."""
    return client.predict(*_file([img, task, sigma, editor, preset, n, seed, *more]), api_name="/digits")


def _editor(files, layer, background="digit"):
    """An editor value: the digit as background and one layer (a test file's name, or any value)."""
    return {"background": files[background] if background else None,
            "layers": [files[layer] if isinstance(layer, str) and layer in files else layer],
            "composite": None}


# ------------------------------------------------------------------ what the endpoints return

def test_digits_endpoint_returns_every_output_and_responds_to_sigma(client, files):
    lo, hi = (_digits(client, files["digit"], sigma=s) for s in (0.2, 1.0))
    assert len(lo) == 8                  # obs, map, mean, std, samples html, hist, caption, scrub
    obs, mle, mean, std = (_img(lo[i]) for i in range(4))
    assert obs.shape == mle.shape == mean.shape and obs.shape[0] == obs.shape[1]
    assert std.shape[1] > 1.2 * std.shape[0]              # heat map + colour bar with its values
    mosaic = _html_img(lo[4])
    assert 'class="samples-box"' in lo[4] and "32 conditional samples" in lo[4]
    assert mosaic.shape[1] / mosaic.shape[0] == pytest.approx(8 / 4, rel=0.05)   # 8 per row, 4 rows
    counts = _counts(lo[5])
    assert sum(counts) == 32 and max(counts) == counts[3]           # every sample classified; a 3
    assert "std map from 32 samples" in lo[6] and lo[6] != hi[6]
    assert 'data-n="61"' in lo[7] and "eps = 0.0" in lo[7]
    assert not np.array_equal(_img(lo[0]), _img(hi[0]))              # sigma reaches the model


def test_a_numeric_string_for_sigma_is_the_same_request(client, files):
    a, b = _digits(client, files["digit"], sigma=0.5), _digits(client, files["digit"], sigma="0.5")
    for i in range(4):
        assert np.array_equal(_img(a[i]), _img(b[i]))
    assert a[4:] == b[4:]


def test_pick_and_eps_may_be_given_or_left_out(client, files):
    default = _digits(client, files["digit"], "denoise", 0.5, None, "drawn", 16, 0)
    same = _digits(client, files["digit"], "denoise", 0.5, None, "drawn", 16, 0, "principal 1", 0)
    other = _digits(client, files["digit"], "denoise", 0.5, None, "drawn", 16, 0, "principal 2", 1.5)
    assert default[7] == same[7] and default[7] != other[7]
    assert "eps = 1.5" in other[7]


def test_inpainting_with_a_drawn_mask_and_a_preset(client, files):
    drawn = _digits(client, files["digit"], "inpaint", editor=_editor(files, "mask_left"))
    preset = _digits(client, files["digit"], "inpaint", preset="right half")
    for out, side in ((drawn, 0), (preset, 1)):
        obs = _img(out[0]).astype(int)
        tinted = obs[..., 2] > obs[..., 0]                    # hidden pixels are tinted blue
        half = obs.shape[1] // 2
        assert tinted[:, side * half:(side + 1) * half].all() and tinted.sum() == obs.shape[0] * half
    assert drawn[6] != preset[6]


def test_full_mask_is_answered_with_prior_samples(client, files):
    out = _digits(client, files["digit"], "inpaint", editor=_editor(files, "mask_full"))
    assert (_img(out[0]) == [18, 40, 90]).all()               # the model sees nothing at all
    assert float(out[6].rsplit("mean ", 1)[1]) > 0.05          # samples of the prior spread
    assert sum(_counts(out[5])) == 32


def test_directions_and_eps_frames_use_the_session_state(client, files):
    _digits(client, files["digit"], sigma=0.8)
    scrub = client.predict("principal 2", 0, 1.5, api_name="/directions")
    assert 'data-n="61"' in scrub and "eps = 1.5" in scrub
    a, b = (client.predict(e, api_name="/eps_frame") for e in (-2.5, 2.5))
    assert np.abs(_img(a).astype(int) - _img(b).astype(int)).mean() > 1
    assert np.array_equal(_img(client.predict("2.5", api_name="/eps_frame")), _img(b))


def test_random_direction_is_resampled_on_every_click(client, files):
    _digits(client, files["digit"], sigma=0.8)
    a, b = (_html_img(client.predict("random", 0, 0, api_name="/directions")) for _ in range(2))
    assert a.shape[1] == 61 * a.shape[0]                       # the sprite: 61 square frames
    assert not np.array_equal(a, b)


def test_sphere_and_posterior_endpoints(client):
    fig, text = client.predict("10,10", True, 100, api_name="/sphere")
    assert fig["type"] == "plotly" and "MG =" in text and "MG + 10 ED =" in text
    fig, text = client.predict(0.4, api_name="/posterior")
    assert fig["type"] == "plotly" and "PWAE" in text and "cVAE" in text


def test_a_16_bit_upload_is_the_same_digit(client, files):
    """uint16 pixels are scaled by 65535: digit * 257 is the very same input."""
    plain, grey16 = _digits(client, files["digit"]), _digits(client, files["grey16"])
    for i in range(4):                                      # observation, MAP, mean, std
        assert np.array_equal(_img(plain[i]), _img(grey16[i]))
    assert plain[4] == grey16[4]                             # the samples


def test_a_translucent_rgba_upload_is_the_same_digit(client, files):
    """Alpha 200 composites the digit over black, and the ink is rescaled to a top of 1."""
    plain, rgba = _digits(client, files["digit"], sigma=0.1), _digits(client, files["rgba"], sigma=0.1)
    a, b = (_img(r[0])[..., 0].astype(float) for r in (plain, rgba))
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.9


def test_missing_models_give_a_visible_error(app_server, monkeypatch):
    import gradio as gr
    app = app_server[0]
    monkeypatch.setattr(app, "MODELS", {})
    monkeypatch.setattr(app, "LOAD_ERRORS", ["checkpoints/mnist-denoise.safetensors is missing"])
    with pytest.raises(gr.Error, match="missing"):
        app.run_digits(None, "denoise", 0.5, None, "drawn", 8, 0, "principal 1", 0)
    monkeypatch.setattr(app, "OT", {})
    with pytest.raises(gr.Error, match="not available"):
        app.run_sphere("10,10", True, 100)


# ------------------------------------------------------------------ bad requests

def _bad_requests(files):
    """(id, endpoint, args, expected substring of the message) for every kind of mistake."""
    bad = []

    def digits(why, expect, **kw):
        args = dict(img=files["digit"], task="denoise", sigma=0.5, editor=None, preset="drawn",
                    n=8, seed=0, pick="principal 1", eps=0.0)
        args.update(kw)
        bad.append((why, "digits", [args.pop("img"), *args.values()], expect))

    # the image: not a file, unreadable, too small or large, no digit in it
    for why, img in (("string", "not an image"), ("number", 5), ("list", [1, 2]), ("dict", {"path": 5}),
                     ("bool", True)):
        digits(f"image-{why}", IMAGE, img=img)
    digits("image-none", "pick a test digit", img=None)
    for name in ("corrupt", "empty", "text"):
        digits(f"image-{name}", UNREADABLE, img=files[name])
    digits("image-wide", "the image is 4500 x 5 pixels; at most 4096", img=files["wide"])
    digits("image-huge", "the image is 10000 x 10000 pixels; at most 4096", img=files["huge"])
    digits("image-1px", "between 8 and 4096 pixels per side, got (1, 1)", img=files["tiny"])
    digits("image-5px", "between 8 and 4096 pixels per side, got (5, 5)", img=files["small"])
    digits("image-blank", "no digit found", img=files["blank"])
    digits("image-white", "no digit found", img=files["white"])
    digits("image-speck", "too small for a digit", img=files["speck"])
    # numbers: not numbers, not finite, out of range, not whole
    for why, v in (("word", "abc"), ("empty", ""), ("none", None), ("list", [0.5]), ("dict", {"v": 0.5}),
                   ("bool", True), ("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("1e300", 1e300),
                   ("negative", -1), ("zero", 0), ("above", 1.2), ("1MB", MB)):
        digits(f"sigma-{why}", SIGMA, sigma=v)
    for why, v in (("zero", 0), ("negative", -1), ("above", 257), ("fraction", 2.5), ("fraction-str", "2.5"),
                   ("word", "many"), ("none", None), ("bool", True), ("1e300", 1e300), ("nan", "nan"),
                   ("list", [64]), ("1MB", MB)):
        digits(f"n-{why}", COUNT, n=v)
    for why, v in (("negative", -1), ("2^40", 2 ** 40), ("fraction", 2.5), ("word", "seven"), ("none", None),
                   ("dict", {"s": 1}), ("inf", "inf")):
        digits(f"seed-{why}", SEED, seed=v)
    for why, v in (("nan", "nan"), ("above", 50), ("word", "abc"), ("list", [1])):
        digits(f"eps-{why}", EPS, eps=v)
    # choices
    for why, v in (("unknown", "deblur"), ("empty", ""), ("case", "DENOISE"), ("none", None), ("number", 5),
                   ("list", ["denoise"]), ("dict", {"a": 1}), ("1MB", MB)):
        digits(f"task-{why}", TASK, task=v)
    for why, v in (("unknown", "top half"), ("empty", ""), ("none", None), ("list", ["left half"]),
                   ("dict", {"a": 1}), ("1MB", MB)):
        digits(f"preset-{why}", PRESET, task="inpaint", preset=v)
    for why, v in (("unknown", "principal 9"), ("word", "sideways"), ("none", None), ("number", 3),
                   ("list", ["random"])):
        digits(f"pick-{why}", PICK, pick=v)
    # the mask editor: not a dict, unreadable layers, nothing hidden
    for why, v in (("string", "bad"), ("number", 5), ("list", [1, 2]), ("layers-not-files", {"layers": ["x"]}),
                   ("layers-not-list", _editor(files, None) | {"layers": "x"}),
                   ("layer-number", _editor(files, 5))):
        digits(f"editor-{why}", EDITOR, task="inpaint", editor=v)
    digits("editor-layer-text", UNREADABLE, task="inpaint", editor=_editor(files, "text"))
    digits("editor-layer-wide", "an editor layer is 5000 x 5 pixels", task="inpaint",
           editor=_editor(files, "mask_wide"))
    digits("editor-layer-1px", "mask layer must be between 8 and 4096", task="inpaint",
           editor=_editor(files, "mask_tiny"))
    digits("editor-none-drawn", "draw over the digit to hide a region", task="inpaint", editor=None)
    digits("editor-empty-layer", "draw over the digit to hide a region", task="inpaint",
           editor=_editor(files, "mask_empty"))
    digits("editor-one-pixel", "the mask hides nothing", task="inpaint", editor=_editor(files, "mask_dot"))
    # /directions, /eps_frame
    for why, args, expect in (("pick-unknown", ["principal 9", 0, 0], PICK), ("pick-dict", [{"p": 1}, 0, 0], PICK),
                              ("seed-word", ["random", "abc", 0], SEED), ("seed-negative", ["random", -5, 0], SEED),
                              ("eps-1MB", ["principal 1", 0, MB], EPS), ("eps-inf", ["principal 1", 0, "inf"], EPS)):
        bad.append((f"directions-{why}", "directions", args, expect))
    for why, v in (("1e9", 1e9), ("below", -50), ("nan", "nan"), ("none", None), ("word", "abc"),
                   ("bool", False), ("list", [0.5])):
        bad.append((f"eps_frame-{why}", "eps_frame", [v], EPS))
    # /sphere, /posterior
    for why, v in (("unknown", "5,5"), ("empty", ""), ("semicolon", "10;10"), ("none", None),
                   ("list", ["10,10"]), ("dict", {"x": 1}), ("1MB", MB)):
        bad.append((f"sphere-setting-{why}", "sphere", [v, True, 100], SETTING))
    for why, v in (("word", "yes"), ("none", None), ("two", 2), ("list", [True])):
        bad.append((f"sphere-exact-{why}", "sphere", ["10,10", v, 100], EXACT))
    for why, v in (("zero", 0), ("below", 5), ("above", 10_000), ("negative", -3), ("fraction", 20.5),
                   ("word", "many"), ("1e300", "1e300"), ("nan", "nan")):
        bad.append((f"sphere-points-{why}", "sphere", ["10,10", True, v], POINTS))
    for why, v in (("above", 9.0), ("below", -9.0), ("1e12", 1e12), ("nan", "nan"), ("inf", "inf"),
                   ("none", None), ("word", "abc"), ("list", [0.3]), ("bool", True), ("1MB", MB)):
        bad.append((f"posterior-{why}", "posterior", [v], Y))
    return bad


@pytest.fixture(scope="module")
def bad_requests(client, files):
    _digits(client, files["digit"], n=8)              # the session has an observation: /eps_frame's
    return _bad_requests(files)                         # errors are about eps, not a missing state


def _message(client, endpoint, args) -> str:
    """The error message of a request that must fail."""
    try:
        client.predict(*_file(list(args)), api_name="/" + endpoint)
    except Exception as e:                                         # noqa: BLE001 (AppError)
        return str(e)
    raise AssertionError(f"/{endpoint}{tuple(args)!r:.200} was answered")


def test_there_are_more_than_sixty_bad_requests_of_every_kind(files):
    bad = _bad_requests(files)
    assert len(bad) >= 60 and len({why for why, *_ in bad}) == len(bad)
    assert {endpoint for _, endpoint, _, _ in bad} == {"digits", "directions", "eps_frame", "sphere", "posterior"}


def _ids(files=None):
    """The ids of the bad requests (the files only matter for the values, not the ids)."""
    fake = {k: Path(k) for k in ("digit", "corrupt", "empty", "text", "wide", "huge", "tiny", "small",
                                 "blank", "white", "speck", "mask_empty", "mask_dot", "mask_tiny",
                                 "mask_wide", "mask_left", "mask_full")}
    return [why for why, *_ in _bad_requests(fake)]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("i, why", list(enumerate(_ids())), ids=_ids())
def test_a_bad_request_gets_its_specific_message(client, bad_requests, i, why):
    name, endpoint, args, expect = bad_requests[i]
    assert name == why
    msg = _message(client, endpoint, args)
    assert expect in msg, msg
    assert GENERIC not in msg.lower() and "Traceback" not in msg and len(msg) < 300, msg
    assert not any(f" {w} {w} " in f" {msg.lower()} " for w in ("the", "a", "no", "in")), msg   # reads well
    assert not msg.lower().startswith("no the "), msg


def test_the_app_serves_normally_after_the_bad_requests(client, files):
    out = _digits(client, files["digit"], n=16)
    assert sum(_counts(out[5])) == 16 and _img(out[1]).size > 0


def test_directions_and_frames_before_digits_name_the_step_missing(app_server):
    fresh = _client(app_server[1])                       # a new session: no observation yet
    assert "Call /digits first" in _message(fresh, "eps_frame", [0.5])
    assert "Sample the posterior first" in _message(fresh, "directions", ["principal 1", 0, 0])


def test_a_user_error_prints_no_traceback(client, files, capfd):
    capfd.readouterr()
    for endpoint, args in (("digits", [files["text"], "denoise", 0.5, None, "drawn", 8, 0]),   # decoding
                           ("digits", [files["digit"], "denoise", "abc", None, "drawn", 8, 0]),  # a view
                           ("sphere", [["10,10"], True, 100])):                                # a choice
        _message(client, endpoint, args)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, (out + err)[-2000:]


def test_an_unexpected_error_does_print_a_traceback(app_server, client, files, capfd, monkeypatch):
    """The control for the test above: the server's stderr is captured, and a real bug
    (not a user error) still shows its traceback there."""
    app = app_server[0]

    def broken(*args):
        raise RuntimeError("a bug, not a user error")
    monkeypatch.setattr(app.digits, "std_caption", broken)
    capfd.readouterr()
    msg = _message(client, "digits", [files["digit"], "denoise", 0.5, None, "drawn", 8, 0])
    out, err = capfd.readouterr()
    assert "Traceback" in out + err and "a bug, not a user error" in out + err
    assert "a bug" not in msg                         # internals are not shown to the user


# ------------------------------------------------------------------ the translation tab

TR_PHOTO = "this is a text file, not a photo"           # faces_upload's words, in process


@pytest.fixture(scope="module")
def translation_models(app_server):
    """The app's translation models: the shipped (or PWAE_TRANSLATION_DIR's) ones, or, when
    they are missing, tiny untrained stand-ins with a checkpoint's info (the endpoints read
    ``app.TRANSLATION`` at call time)."""
    app = app_server[0]
    if app.TRANSLATION:
        yield app.TRANSLATION
        return
    import torch
    from pwae_core import models, ood
    from pwae_core.runs import translation as runs

    def stand_in(task, dim):
        cfg = runs.task_config(task, width=4, d_latent=4, steps=3)
        model = models.build(cfg.coupling).eval()
        model.info = models.ModelInfo(cfg, {"train_seconds": 1.0}, {"trained_on": "a stand-in", "task": task})
        ref = torch.rand(8, dim, generator=torch.Generator().manual_seed(0))
        model.info.metrics["ood"] = ood.calibration(model, ref, ref)
        return model
    app.TRANSLATION.update({"digits": stand_in("translate-digits", 784),
                            "faces": {"translate-faces.safetensors": stand_in("translate-faces", 3 * 64 * 64)}})
    yield app.TRANSLATION
    app.TRANSLATION.clear()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """The astronaut as a PNG, and the odd files a user might upload as a photo."""
    from skimage import data as skdata
    d = tmp_path_factory.mktemp("photos")
    out = {"astronaut": d / "astronaut.png"}
    Image.fromarray(skdata.astronaut()).save(out["astronaut"])
    buf = io.BytesIO()
    Image.fromarray(skdata.astronaut()).save(buf, "JPEG", quality=90)
    for name, data in (("text", b"hello, I am a text file with a .png name\n"), ("empty", b""),
                       ("truncated", buf.getvalue()[: len(buf.getvalue()) // 3])):
        out[name] = d / f"{name}.{'jpg' if name == 'truncated' else 'png'}"
        out[name].write_bytes(data)
    for name, im in (("tiny", Image.new("RGB", (20, 20))), ("huge", Image.new("L", (7000, 7000)))):
        out[name] = d / f"{name}.png"
        im.save(out[name])
    return out


def _face(client, photo, direction="xy", checkpoint=None):
    """/translate_face(photo, direction, checkpoint)."""
    return client.predict(*_file([photo, direction, checkpoint]), api_name="/translate_face")


def _assert_translation(out, side):
    assert len(out) == 7                  # input, reconstruction, translation, cycle, status, about, scores
    for i in range(4):
        assert _img(out[i]).shape == (side, side, 3)
    assert out[4].startswith('<div class="tr-status">') and "the training data" in out[4]
    assert out[5].startswith("**Checkpoint**")
    assert out[6]["headers"][:2] == ["direction", "map"]


def test_translate_face_endpoint(client, translation_models, photos):
    out = _face(client, photos["astronaut"])
    _assert_translation(out, 256)
    assert "face found" in out[4]
    other = _face(client, photos["astronaut"], "yx", next(iter(translation_models["faces"])))
    assert "face found" in other[4] and np.array_equal(_img(out[0]), _img(other[0]))   # the same crop


def test_translate_digit_endpoint_both_ways(client, translation_models, files):
    xy, yx = (client.predict(*_file([files["digit"], d]), api_name="/translate_digit") for d in ("xy", "yx"))
    _assert_translation(xy, 224)
    _assert_translation(yx, 224)
    assert np.array_equal(_img(xy[0]), _img(yx[0]))          # the digit as given: the source domain


def test_the_translate_button_dispatches_by_domain(client, translation_models, files, photos):
    faces = client.predict(*_file(["Faces", "xy", files["digit"], photos["astronaut"], None]), api_name="/translate")
    assert "face found" in faces[4]
    digit = client.predict(*_file(["Digits", "xy", files["digit"], photos["astronaut"], None]), api_name="/translate")
    assert _img(digit[0]).shape == (224, 224, 3)


TRANSLATION_BAD = [  # id, endpoint, args (photo / digit names from the fixtures), expected message
    ("face-text", "translate_face", ["text", "xy", None], UNREADABLE),      # the upload's header
    ("face-empty", "translate_face", ["empty", "xy", None], UNREADABLE),
    ("face-truncated", "translate_face", ["truncated", "xy", None], "the JPEG file is damaged or incomplete"),
    ("face-tiny", "translate_face", ["tiny", "xy", None], "the photo is too small (20 x 20 pixels)"),
    ("face-huge", "translate_face", ["huge", "xy", None], "the image is 7000 x 7000 pixels; at most 4096"),
    ("face-none", "translate_face", [None, "xy", None], "no photo: upload a PNG, JPEG or WebP image"),
    ("face-not-a-file", "translate_face", ["just words", "xy", None], IMAGE),
    ("face-direction", "translate_face", ["astronaut", "sideways", None], "direction must be one of"),
    ("face-direction-list", "translate_face", ["astronaut", ["xy"], None], "direction must be one of"),
    ("face-checkpoint", "translate_face", ["astronaut", "xy", "nope.safetensors"],
     "the face checkpoint must be one of"),
    ("digit-text", "translate_digit", ["text", "xy"], UNREADABLE),
    ("digit-blank", "translate_digit", ["blank", "xy"], "no digit found"),
    ("digit-direction", "translate_digit", ["digit", None], "direction must be one of"),
    ("domain", "translate", ["Cats", "xy", "digit", "astronaut", None], "the domain must be one of"),
]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("why, endpoint, args, expect", TRANSLATION_BAD, ids=[b[0] for b in TRANSLATION_BAD])
def test_a_bad_translation_request_gets_its_specific_message(client, translation_models, files, photos,
                                                             why, endpoint, args, expect):
    named = {**files, **photos}
    msg = _message(client, endpoint, [named.get(a, a) if isinstance(a, str) else a for a in args])
    assert expect in msg, msg
    assert GENERIC not in msg.lower() and "Traceback" not in msg and len(msg) < 300, msg


def test_the_app_translates_normally_after_bad_photos(client, translation_models, photos):
    for bad in ("text", "truncated", "tiny", "huge"):
        assert _message(client, "translate_face", [photos[bad], "xy", None])
    _assert_translation(_face(client, photos["astronaut"]), 256)


def test_translation_callbacks_in_process(app_server, translation_models, photos, files):
    """The app's functions themselves: a bad photo is a gr.Error with faces_upload's message,
    the next call works, a change with no input yet is quiet."""
    import gradio as gr
    app = app_server[0]
    with pytest.raises(gr.Error, match=TR_PHOTO):
        app.translate_face(str(photos["text"]), "xy", None)
    with pytest.raises(gr.Error, match="damaged or incomplete") as e:
        app.run_translation("Faces", "xy", None, str(photos["truncated"]), None)
    assert e.value.message.startswith("the JPEG file is damaged")                   # not wrapped twice
    out = app.translate_face(str(photos["astronaut"]), "yx", None)
    assert out[2].shape == (256, 256, 3) and "face found" in out[4]
    digit = np.asarray(Image.open(files["digit"]))
    assert app.run_translation("Digits", "yx", digit, None, None)[0].shape == (224, 224, 3)
    quiet = app.auto_translation("Faces", "xy", digit, None, None)
    assert len(quiet) == app.TRANSLATION_OUTPUTS and all(q == gr.skip() for q in quiet)
    gallery, picture = app.digit_examples(app.EXAMPLES[2], "yx")
    assert len(gallery) == 20 and picture.shape == (112, 112)
    assert picture.sum() > app.digits.as_picture(app.EXAMPLES[2]).sum()          # thickened


def test_missing_translation_models_give_a_visible_error(app_server, monkeypatch):
    import gradio as gr
    app = app_server[0]
    monkeypatch.setattr(app, "TRANSLATION", {})
    monkeypatch.setattr(app, "LOAD_ERRORS", ["no translate-faces*.safetensors in checkpoints: python -m "
                                             "pwae_core train translate-faces"])
    with pytest.raises(gr.Error, match="not available: no translate-faces"):
        app.translate_face("x.png", "xy", None)
    with pytest.raises(gr.Error, match="not available") as e:
        app.run_translation("Digits", "xy", None, None, None)
    assert e.value.message == ("The translation models are not available: no translate-faces*.safetensors in "
                               "checkpoints: python -m pwae_core train translate-faces")     # said once, unquoted
    assert all(q == gr.skip() for q in app.auto_translation("Digits", "xy", np.zeros((28, 28)), None, None))
    assert app.show_domain("Faces", "xy")[2]["choices"] == ["xy", "yx"]
