"""Scores of face translation (``runs.translation`` on ``domains.face_pair``), both ways,
beside two references: the identity map and the exact OT assignment between the test sets.

Per direction and map (on the K test faces):
* cost: sum over pixels of the squared move, per face (the transport cost it pays);
* psnr, mse against the true counterpart (paired synthetic faces only);
* flip_rate: share of moved faces whose attribute the face probe reads as the target's;
* identity_error: mean over the generator's identity features of |probe's reading of the
  moved face - the source's true value| / the feature's training std (0 = identity kept;
  the probe's own error on unmoved faces is the floor, the identity row);
* identity_match: share of moved faces whose probe-read features are nearest (standardised
  Euclidean) to their own source's true features among all K test identities.
The probe is trained on the synthetic training split with the generator's labels
(``train_probe``); the identity metrics need the generator's features (paired synthetic
faces), the flip rate only the probe.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import celeba, domains, metrics, models, synthfaces
from ..checkpoint import SHIPPED
from ..config import FaceProbeConfig
from .loop import optimise

PROBE = SHIPPED / "faces-probe.safetensors"


def _training_set(root) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The synthetic folder's train split: faces uint8 (N, 3, 64, 64), smiling (N,),
    identity features (N, F)."""
    reader = celeba.CelebA(root, "Smiling", "train")
    side = synthfaces.read_pairs(root)
    feats = dict(zip(side.names, side.features))
    faces = reader.images(np.arange(len(reader)))
    features = torch.tensor(np.stack([feats[n] for n in reader.names]), dtype=torch.float32)
    return faces, torch.from_numpy(reader.labels), features


def train_probe(root=None, steps: int = 600, seed: int = 0, progress: bool = True):
    """A ``FaceProbe`` trained on a synthetic folder's train split (Adam 2e-3, cosine,
    batches of 64 with random horizontal flips; the features are mirror-symmetric but for
    offset_x and hair_part, whose sign flips with the image)."""
    torch.manual_seed(seed)
    default = root is None
    root = domains.synthetic_faces(progress=progress) if default else root
    faces, smiling, features = _training_set(root)
    cfg = FaceProbeConfig(n_features=features.shape[1], feature_mean=features.mean(0).tolist(),
                          feature_std=features.std(0).clamp_min(1e-6).tolist())
    probe = models.build(cfg)
    gen = torch.Generator().manual_seed(seed)

    def loss_at(step: int) -> dict:
        idx = torch.randint(0, len(faces), (64,), generator=gen)
        return probe.loss(faces[idx].float() / 255, smiling[idx], features[idx])

    run = optimise(probe, loss_at, steps, 2e-3, "cosine", progress=progress, desc="face probe")
    probe.info.metrics = {"history": run.history, "train_seconds": round(run.seconds, 1)}
    probe.info.extra = {"trained_on": domains.describe_faces(Path(root), default), "steps": steps}
    return probe.eval()


def _identity(read: torch.Tensor, truth: np.ndarray, probe) -> dict:
    """identity_error and identity_match of features read (K, F) vs true source features."""
    std = probe.std.numpy()
    r, t = read.numpy() / std, truth / std                             # standardised (K, F)
    nearest = ((r[:, None, :] - t[None, :, :]) ** 2).sum(2).argmin(1)   # (K,)
    return {"identity_error": float(np.abs(r - t).mean()),
            "identity_match": float((nearest == np.arange(len(r))).mean())}


def _direction(moved, source, truth, target: bool, features, probe) -> dict:
    out = {"cost": float(((moved - source) ** 2).sum(1).mean())}
    if truth is not None:
        out["mse"] = float(((moved - truth) ** 2).mean())
        out["psnr"] = float(metrics.psnr(moved, truth).clamp(max=99.0).mean())
    if probe is not None:
        attribute, read = probe.read(moved)
        out["flip_rate"] = float((attribute == target).float().mean())
        if features is not None:
            out.update(_identity(read, features, probe))
    return out


@torch.no_grad()
def scores(model, pair, probe=None) -> dict:
    """{"xy", "yx"} x {"model", "identity", "exact_ot"} -> the metrics of the module
    docstring; "exact_cost" (per face) and, paired, "exact_ot_true_pairs" (share of the
    exact assignment that is the true counterpart). probe: default the shipped one."""
    probe = probe if probe is not None else (models.load(PROBE) if PROBE.exists() else None)
    x, y, feats = pair.x_test, pair.y_test, pair.features_test
    j = metrics.exact_ot_pairs(x, y)                                   # x_i <-> y_j(i)
    inv = torch.empty_like(j)
    inv[j] = torch.arange(len(j))
    out = {"paired": pair.paired, "exact_cost": float(((x - y[j]) ** 2).sum(1).mean())}
    if pair.paired:
        out["exact_ot_true_pairs"] = float((j == torch.arange(len(j))).float().mean())
    for name, src, dst, moved, ot, target in (("xy", x, y, model.transport_xy(x), y[j], True),
                                             ("yx", y, x, model.transport_yx(y), x[inv], False)):
        truth = dst if pair.paired else None
        out[name] = {k: _direction(m, src, truth, target, feats, probe)
                     for k, m in (("model", moved), ("identity", src), ("exact_ot", ot))}
    return out
