"""Face domains (domains.face_pair), face-translation scores (runs.faces_eval) and the OOD
reference of translation models (runs.translation.ood) on a tiny generated folder."""
import numpy as np
import pytest
import torch

from pwae_core import domains, models, ood, synthfaces
from pwae_core.runs import faces_eval, translation


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return synthfaces.write_celeba(tmp_path_factory.mktemp("faces"), n_train=40, n_valid=4,
                                   n_test=6, seed=5)


@pytest.fixture(scope="module")
def pair(folder):
    return domains.face_pair(folder, progress=False)


def test_the_synthetic_pair_is_unpaired_in_training_and_paired_in_test(pair, folder):
    side = synthfaces.read_pairs(folder)
    train = [s == "train" for s in side.split]
    assert len(pair.x) + len(pair.y) == sum(train)
    assert len(pair.y) == int(side.smiling[train].sum())
    assert pair.x.dtype == torch.uint8 and pair.x.shape[1] == 3 * 64 * 64
    assert pair.paired and pair.x_test.shape == pair.y_test.shape == (6, 3 * 64 * 64)
    assert pair.features_test.shape == (6, len(synthfaces.FEATURES))
    d = (pair.x_test - pair.y_test).abs().view(6, 3, 64, 64).amax(1)       # (6, 64, 64)
    assert (d[:, :30] < 0.15).all() and (d[:, 38:52] > 0.3).flatten(1).any(1).all()   # mouth only


def test_another_attribute_gives_unpaired_test_sides(folder):
    p = domains.face_pair(folder, "Eyeglasses", progress=False)
    assert not p.paired and p.features_test is None and "Eyeglasses" in p.name


def test_large_domains_are_streamed_and_bad_images_replaced(folder, monkeypatch):
    monkeypatch.setattr(domains, "MEMORY_IMAGES", 10)
    p = domains.face_pair(folder, progress=False)
    assert isinstance(p.x, domains.FaceFolder)
    first = p.x.reader.folder / p.x.reader.names[int(p.x.indices[0])]
    data = first.read_bytes()
    try:
        first.write_bytes(b"not a jpeg")
        rows = domains.take(p.x, torch.tensor([0, 1, 2]))
    finally:
        first.write_bytes(data)
    assert rows.shape == (3, 3 * 64 * 64) and rows.dtype == torch.float32
    assert any("unreadable" in why for _, why in p.x.reader.problems)


def test_an_interrupted_generation_leaves_no_folder(tmp_path, monkeypatch):
    def broken(root, **kw):
        (root / "partial.txt").write_text("x")
        raise KeyboardInterrupt
    monkeypatch.setattr(synthfaces, "write_celeba", broken)
    with pytest.raises(KeyboardInterrupt):
        domains.synthetic_faces(tmp_path / "faces", progress=False)
    assert list(tmp_path.iterdir()) == []


class _Lookup:
    """A perfect stand-in probe: reads attribute and features of the known test faces."""

    def __init__(self, pair):
        self.known = {}
        for faces, smiling in ((pair.x_test, False), (pair.y_test, True)):
            for f, feat in zip(faces, pair.features_test):
                self.known[f.numpy().tobytes()] = (smiling, feat)
        self.std = torch.ones(pair.features_test.shape[1])

    def read(self, faces):
        hits = [self.known[f.numpy().tobytes()] for f in faces]
        return (torch.tensor([h[0] for h in hits]),
                torch.tensor(np.stack([h[1] for h in hits]), dtype=torch.float32))


class _Truth:
    def __init__(self, pair):
        self.pair = pair

    def transport_xy(self, x):
        return self.pair.y_test

    def transport_yx(self, y):
        return self.pair.x_test


def test_the_true_map_flips_every_face_and_keeps_every_identity(pair):
    s = faces_eval.scores(_Truth(pair), pair, _Lookup(pair))
    for way in ("xy", "yx"):
        m, ident = s[way]["model"], s[way]["identity"]
        assert m["flip_rate"] == 1.0 and m["identity_match"] == 1.0 and m["identity_error"] < 1e-5
        assert m["mse"] == 0 and m["cost"] == pytest.approx(s["exact_cost"], rel=1e-5)
        assert ident["flip_rate"] == 0.0 and ident["cost"] == 0 and ident["psnr"] > 20
    assert s["exact_ot_true_pairs"] == 1.0 and s["paired"]


def test_a_probe_trains_saves_and_reads(folder, tmp_path):
    probe = faces_eval.train_probe(folder, steps=3, progress=False)
    models.save(probe, tmp_path / "p.safetensors")
    back = models.load(tmp_path / "p.safetensors")
    faces = torch.rand(4, 3 * 64 * 64)
    a, f = back.read(faces)
    assert a.dtype == torch.bool and f.shape == (4, len(synthfaces.FEATURES))
    assert torch.equal(f, probe.read(faces)[1])


def test_ood_ranks_an_input_against_the_test_reconstructions(pair):
    cfg = translation.task_config("translate-faces", width=4, d_latent=4)
    model = models.build(cfg.coupling).eval()
    model.info.metrics["ood"] = ood.calibration(model, pair.x_test, pair.y_test)
    ref = model.info.metrics["ood"]["x"]
    assert len(ref) == 101 and ref == sorted(ref)
    inside = ood.score(model, pair.x_test[0], "x")
    assert 0 <= inside["percentile"] <= 100 and inside["error"] >= ref[0]
    far = ood.score(model, torch.ones(3 * 64 * 64) * (torch.arange(3 * 64 * 64) % 2), "x")
    assert far["far"] and far["percentile"] == 100.0
    model.info.metrics.pop("ood")
    assert ood.score(model, pair.x_test[0], "x")["percentile"] is None


def test_the_cli_trains_the_probe_on_a_folder(folder, tmp_path, capsys):
    from pwae_core import __main__ as cli
    out = tmp_path / "probe.safetensors"
    assert cli.main(["train", "faces-probe", "--data-dir", str(folder), "--steps", "2",
                     "--out", str(out), "--quiet"]) == 0
    assert models.load(out).info.extra["trained_on"] == f"synthetic faces at {folder}"
    assert cli.main(["train", "faces-probe", "--lr", "0.1", "--out", str(out)]) == 2
    assert "faces-probe takes --steps" in capsys.readouterr().err
