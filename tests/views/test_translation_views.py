"""The translation views (views.translation, the app's Translation tab) on tiny stand-in
models built here (width 4, latent 4: untrained, but with the checkpoint's info, test scores
and OOD reference set as ``runs.translation._finish`` sets them), so nothing depends on the
shipped checkpoints."""
import dataclasses
import io
import re

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data as skdata

import pwae_core as pw
from pwae_core import domains, faces_upload, models, ood
from pwae_core.runs import translation as runs
from pwae_core.views import translation as T

DIGIT_SCORES = {"psnr": 14.2, "mse": 0.04, "cost": 40.0, "classes_kept": 0.9}
FACE_SCORES = {"flip_rate": 0.8, "identity_error": 0.5, "identity_match": 0.7}


def _test_scores(row: dict) -> dict:
    test = {way: {kind: dict(row) for kind in ("model", "identity", "exact_ot")} for way in ("xy", "yx")}
    test["xy"]["exact_ot"]["psnr" if "psnr" in row else "flip_rate"] = float("inf")   # a perfect match
    test["exact_cost"] = 30.0
    return test


def _stand_in(task: str, trained_on: str, x_test, y_test, scores: dict, attribute="Smiling"):
    """A tiny untrained model carrying what a trained checkpoint carries."""
    cfg = runs.task_config(task, width=4, d_latent=4, steps=7, attribute=attribute)
    model = models.build(cfg.coupling).eval()
    model.info = models.ModelInfo(cfg, {"history": {}, "train_seconds": 12.5},
                                  {"trained_on": trained_on, "task": task})
    model.info.metrics["test"] = _test_scores(scores)
    model.info.metrics["ood"] = ood.calibration(model, x_test, y_test)
    return model


@pytest.fixture(scope="module")
def thin():
    return pw.data.mnist("test")[0][:32, 0].numpy()                 # (32, 28, 28)


@pytest.fixture(scope="module")
def digits_model(thin):
    x = torch.from_numpy(thin).reshape(-1, 784)
    y = domains.thicken(torch.from_numpy(thin)[:, None]).reshape(-1, 784)
    return _stand_in("translate-digits", "digits -> thick digits", x, y, DIGIT_SCORES)


@pytest.fixture(scope="module")
def faces_model():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(16, 3 * 64 * 64, generator=g), torch.rand(16, 3 * 64 * 64, generator=g)
    return _stand_in("translate-faces", "synthetic faces (the offline default)", x, y, FACE_SCORES)


@pytest.fixture(scope="module")
def views(digits_model, faces_model):
    return {"digits": digits_model, "faces": {"translate-faces.safetensors": faces_model}}


@pytest.fixture(scope="module")
def astronaut():
    return skdata.astronaut()


def _assert_pictures(out: dict, shape):
    for key in T.PICTURES:
        a = out[key]
        assert a.shape == shape and a.dtype == np.float32, key
        assert a.min() >= 0 and a.max() <= 1, key
    assert set(out["ood"]) == {"error", "percentile", "far"}
    assert 0 <= out["ood"]["percentile"] <= 100 and out["ood"]["error"] >= 0


def _assert_panel(p: dict, side: int):
    for key in T.PICTURES:
        assert p[key].shape == (side, side, 3) and p[key].dtype == np.uint8, key
    assert p["status"].startswith('<div class="tr-status">')


# ------------------------------------------------------------------ digits

@pytest.mark.parametrize("direction", T.DIRECTIONS)
def test_a_digit_gives_four_pictures_in_range_and_an_ood_score(digits_model, thin, direction):
    digit = T.source_digit(thin[3], direction)
    out = T.translate_digit(digits_model, digit, direction)
    _assert_pictures(out, (28, 28))
    assert np.allclose(out["input"], digit, atol=1e-6)            # the model's input, unchanged


def test_the_thick_direction_starts_from_thickened_digits(thin):
    assert np.array_equal(T.source_digit(thin[0], "xy"), thin[0])
    thick = T.source_digit(thin[0], "yx")
    assert thick.shape == (28, 28) and (thick >= thin[0]).all() and (thick > 0).sum() > (thin[0] > 0).sum()
    gallery = T.example_digits(thin[:4], "yx")
    assert gallery.shape == (4, 28, 28) and np.array_equal(gallery[0], thick)
    assert np.array_equal(T.example_digits(thin[:4], "xy"), thin[:4])


def test_the_digit_panel_reads_its_own_picture_back_exactly(views, thin):
    thick = T.source_digit(thin[5], "yx")
    picture = (np.kron(thick, np.ones((4, 4))) * 255).round().astype(np.uint8)     # as the tab shows it
    assert np.abs(T.digit_from_picture(picture) - thick).max() <= 0.5 / 255
    p = T.digit_panel(views, picture, "yx")
    _assert_panel(p, 28 * T.DIGIT_SCALE)
    assert np.array_equal(p["input"], T.enlarge(T.digit_from_picture(picture), T.DIGIT_SCALE))
    block = p["input"][:T.DIGIT_SCALE, :T.DIGIT_SCALE]                            # nearest neighbour
    assert (block == block[0, 0]).all()
    assert "translate-digits.safetensors" in p["about"] and list(p["metrics"].columns[:2]) == ["direction", "map"]


def test_an_uploaded_digit_photo_goes_through_the_mnist_pipeline(thin):
    paper = 255 - (np.kron(thin[7], np.ones((6, 6))) * 200).astype(np.uint8)      # dark ink on paper
    photo = np.pad(paper, 30, constant_values=255)
    digit = T.digit_from_picture(photo)
    assert digit.shape == (28, 28) and digit.max() == pytest.approx(1) and digit[0].max() == 0
    with pytest.raises(ValueError, match="no digit"):
        T.digit_from_picture(np.full((64, 64), 255, np.uint8))


# ------------------------------------------------------------------ faces

@pytest.mark.parametrize("direction", T.DIRECTIONS)
def test_a_photo_gives_the_face_crop_and_four_pictures(faces_model, astronaut, direction):
    out = T.translate_face(faces_model, astronaut, direction)
    _assert_pictures(out, (64, 64, 3))
    assert out["found"] and out["note"].startswith("face found")
    assert np.allclose(out["input"], faces_upload.face_crop(astronaut).image, atol=1e-6)


def test_the_face_panel_from_a_file_path_and_bytes(views, astronaut, tmp_path):
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    p = T.face_panel(views, str(path), "xy")
    _assert_panel(p, 64 * T.FACE_SCALE)
    assert "face found" in p["status"] and 'class="tr-note tr-found"' in p["status"]
    assert "translate-faces.safetensors" in p["about"] and "synthetic faces" in p["about"]
    q = T.face_panel(views, path.read_bytes(), "xy", "translate-faces.safetensors")
    assert np.array_equal(p["translated"], q["translated"])


def test_no_face_is_centre_cropped_with_a_note(views):
    rng = np.random.default_rng(0)
    flat = np.full((120, 160, 3), 128, np.uint8) + rng.integers(0, 3, (120, 160, 3), dtype=np.uint8)
    p = T.face_panel(views, flat, "yx")
    assert not p["result"]["found"] and "no face found: centre-cropped" in p["status"]
    assert 'class="tr-note tr-none"' in p["status"]


def _bad_photos(tmp_path) -> dict:
    buf = io.BytesIO()
    Image.fromarray(skdata.astronaut()).save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    huge = tmp_path / "huge.png"
    Image.new("L", (7000, 7000)).save(huge)                          # 49 megapixels, a small file
    return {"text": (b"hello, I am a text file with a .png name\n", "this is a text file, not a photo"),
            "truncated": (jpeg[: len(jpeg) // 3], "damaged or incomplete"),
            "tiny": (np.zeros((20, 20, 3), np.uint8), "too small (20 x 20 pixels)"),
            "huge": (str(huge), "too large (7000 x 7000 pixels, 49 megapixels")}


def test_bad_photos_are_refused_with_their_own_message(views, tmp_path):
    for name, (photo, message) in _bad_photos(tmp_path).items():
        with pytest.raises(faces_upload.UploadError, match=re.escape(message)):
            T.face_panel(views, photo, "xy")
    with pytest.raises(ValueError, match="no photo"):
        T.face_panel(views, None, "xy")


def test_an_input_far_from_the_training_data_is_a_visible_warning(faces_model, digits_model):
    far = T.translate_digit(digits_model, (np.indices((28, 28)).sum(0) % 2).astype(np.float32), "xy")
    assert far["ood"]["far"] and far["ood"]["percentile"] == 100
    html = T.status_html(far)
    assert 'class="tr-ood tr-far"' in html and "&#9888;" in html and "Far from the training data" in html
    near = T.status_html({"ood": {"error": 0.01, "percentile": 40.0, "far": False}})
    assert 'tr-close' in near and "&#9888;" not in near and "above 40% of the test images" in near
    assert "is above every test image" in html
    none = T.status_html({"ood": {"error": 0.01, "percentile": None, "far": False}})
    assert "no out-of-distribution reference" in none
    assert "&lt;b&gt;" in T.status_html({"ood": far["ood"], "note": "<b>", "found": True})   # escaped


# ------------------------------------------------------------------ checks

@pytest.mark.parametrize("bad", ["zz", "", None, "XY", ["xy"], 1])
def test_a_bad_direction_is_refused_before_any_work(views, thin, astronaut, bad):
    for call in (lambda: T.translate_digit(views["digits"], thin[0], bad),
                 lambda: T.translate_face(views["faces"]["translate-faces.safetensors"], astronaut, bad),
                 lambda: T.digit_panel(views, thin[0], bad), lambda: T.face_panel(views, None, bad),
                 lambda: T.source_digit(thin[0], bad)):
        with pytest.raises(ValueError, match="direction must be one of"):
            call()


def test_bad_digits_domains_and_checkpoints(views, digits_model):
    with pytest.raises(ValueError, match="finite 28 x 28"):
        T.translate_digit(digits_model, np.zeros((27, 28)), "xy")
    with pytest.raises(ValueError, match="finite 28 x 28"):
        T.translate_digit(digits_model, np.full((28, 28), np.nan), "xy")
    for bad in ("Cats", None, ["Faces"]):
        with pytest.raises(ValueError, match="the domain must be one of"):
            T.check_domain(bad)
    assert T.check_domain("Faces") == "Faces"
    assert T.face_model(views, None)[0] == T.face_model(views, "")[0] == "translate-faces.safetensors"
    with pytest.raises(ValueError, match="the face checkpoint must be one of .*translate-faces.safetensors"):
        T.face_model(views, "other.safetensors")


# ------------------------------------------------------------------ what the checkpoint says

def test_directions_are_named_in_words(digits_model, faces_model):
    assert T.direction_names(digits_model) == {"xy": "thin -> thick strokes", "yx": "thick -> thin strokes"}
    assert T.direction_choices(faces_model) == [("not smiling -> smiling", "xy"),
                                                ("smiling -> not smiling", "yx")]


def test_describe_and_the_metrics_table(digits_model, faces_model):
    text = T.describe(digits_model, "translate-digits.safetensors")
    for words in ("`translate-digits.safetensors`", "digits -> thick digits", "7 steps", "12.5 s", "latent 4"):
        assert words in text, text
    table = T.metrics_table(digits_model)
    assert list(table.columns) == ["direction", "map", "psnr", "mse", "cost", "classes_kept"]
    assert len(table) == 6 and list(table["map"][:3]) == ["model", "identity", "exact_ot"]
    assert set(table["direction"]) == {"thin -> thick strokes", "thick -> thin strokes"}
    assert table["psnr"][0] == 14.2 and np.isinf(table["psnr"][2])
    shown = T.shown_metrics(digits_model)
    assert list(shown.columns)[-1] == "classes kept" and shown["psnr"][2] == "inf" and shown["mse"][0] == "0.040"
    bare = models.build(runs.task_config("translate-digits", width=4, d_latent=4).coupling)
    assert T.metrics_table(bare).empty
    assert T.shown_metrics(bare).to_dict("records") == [{"direction": "-", "map": "no test scores saved in this checkpoint"}]
    faces = T.metrics_table(faces_model)
    assert list(faces.columns) == ["direction", "map", "flip_rate", "identity_error", "identity_match"]
    assert faces["direction"][0] == "not smiling -> smiling"


def test_example_faces_need_no_data_set():
    ex = T.example_faces()
    assert len(ex) == 10 and all(isinstance(c, str) and c for _, c in ex)
    shapes = [p.shape for p, _ in ex]
    assert shapes[:6] == [(64, 64, 3)] * 6 and shapes[6] == (512, 512, 3) and shapes[7:] == [(100, 100, 3)] * 3
    assert all(p.dtype == np.uint8 for p, _ in ex)
    assert not np.array_equal(ex[0][0], ex[1][0]) and "smiling" in ex[1][1]
    assert np.array_equal(T.example_faces()[0][0], ex[0][0])                       # seeded


# ------------------------------------------------------------------ loading

def _save(model, path, trained_on: str, task="translate-faces", attribute="Smiling"):
    """Save ``model`` with its info saying it was trained on ``trained_on`` (restored after)."""
    info = model.info
    model.info = models.ModelInfo(dataclasses.replace(info.train_config, task=task, attribute=attribute),
                                  info.metrics, {**info.extra, "trained_on": trained_on})
    try:
        models.save(model, path)
    finally:
        model.info = info


@pytest.fixture
def folder(tmp_path, digits_model):
    """A checkpoint folder: a digits model and the synthetic face model (tiny digit-sized
    stand-ins under the face file names: only the names and their info matter here)."""
    _save(digits_model, tmp_path / T.DIGITS_FILE, "digits -> thick digits", "translate-digits")
    _save(digits_model, tmp_path / "translate-faces.safetensors", "synthetic faces (the offline default)")
    (tmp_path / "translate-faces.state.safetensors").write_bytes(b"training state, not a model")
    return tmp_path


def test_a_dropped_in_celeba_checkpoint_is_picked_up_first(folder):
    assert list(T.load_translation_models(folder)["faces"]) == ["translate-faces.safetensors"]
    one = models.load(folder / "translate-faces.safetensors")
    _save(one, folder / "translate-faces-celeba.safetensors", "CelebA at /home/me/celeba, Smiling no -> yes")
    _save(one, folder / "translate-faces-zz-male.safetensors", "CelebA at /home/me/celeba, Male no -> yes",
          attribute="Male")
    views = T.load_translation_models(folder)
    assert list(views["faces"]) == ["translate-faces-celeba.safetensors", "translate-faces-zz-male.safetensors",
                                    "translate-faces.safetensors"]     # CelebA first, then by name
    name, model = T.face_model(views)
    assert name == "translate-faces-celeba.safetensors" and T.describe(model, name).count("CelebA") == 1
    assert T.direction_names(views["faces"]["translate-faces-zz-male.safetensors"])["xy"] == "not male -> male"


def test_a_missing_folder_or_model_names_the_command(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match="python -m pwae_core train translate-digits"):
        T.load_translation_models(tmp_path / "nowhere")
    (folder / "translate-faces.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="python -m pwae_core train translate-faces"):
        T.load_translation_models(folder)
