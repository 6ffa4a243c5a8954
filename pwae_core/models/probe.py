"""The face probe: a small CNN that reads, from a 64 x 64 face, the binary attribute the
translation flips (logit) and the generator's identity features (``synthfaces.FEATURES``).

It is trained on the synthetic faces' training split with the generator's own labels
(``runs.faces_eval.train_probe``) and scores translated faces: the flip rate is the share
whose attribute it reads as the target's, identity preservation compares the features it
reads off the translation with the source identity's true ones.
"""
from __future__ import annotations

import torch
from torch.nn import functional as Fn

from .base import Model
from .networks import Conv64Encoder


class FaceProbe(Model):
    """(B, 3 * 64 * 64) or (B, 3, 64, 64) faces in [0, 1] -> (B, 1 + n_features): the
    attribute logit, then the standardised identity features."""

    kind = "face-probe"

    def __init__(self, config):
        super().__init__(config)
        self.net = Conv64Encoder(3, 1 + config.n_features, config.width, norm=False)
        self.register_buffer("mean", torch.tensor(config.feature_mean))
        self.register_buffer("std", torch.tensor(config.feature_std))

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        return self.net(faces.reshape(-1, 3, 64, 64))                  # (B, 1 + F)

    def loss(self, faces, attribute, features) -> dict:
        """BCE on the attribute (bool (B,)) + MSE on the standardised features (B, F)."""
        out = self(faces)
        bce = Fn.binary_cross_entropy_with_logits(out[:, 0], attribute.float())
        mse = Fn.mse_loss(out[:, 1:], (features - self.mean) / self.std)
        return {"bce": bce, "mse": mse, "total": bce + mse}

    @torch.no_grad()
    def read(self, faces: torch.Tensor, batch: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
        """faces (N, 3 * 64 * 64) -> (attribute bool (N,), features (N, F) in the generator's
        units)."""
        out = torch.cat([self(faces[i:i + batch]) for i in range(0, len(faces), batch)])
        return out[:, 0] > 0, out[:, 1:] * self.std + self.mean
