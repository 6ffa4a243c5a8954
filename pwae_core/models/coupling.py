r"""The coupling PWAE: a paired WAE as a parametric OT coupling (coupling PWAE paper,
Piening & Chung 2025, loss (4)).

One shared latent z ~ xi (N(0, I) or uniform on [0, 1]^d). Encoders E_x(x, z'),
E_y(y, z') (z' ~ N(0, I) when stochastic, absent when deterministic), decoders D_x(z),
D_y(z). Per minibatch x_i ~ mu, y_j ~ nu (unpaired), z_k ~ xi, the loss is

    L = 1/B sum_k c(D_x(z_k), D_y(z_k))                                   (coupling cost)
      + lambda_joint [ 1/B sum_i |D_x(E_x(x_i, z'_i)) - x_i|^2 + lambda_wae StatDiv(E_x(x, z'), z) ]
      + lambda_joint [ 1/B sum_j |D_y(E_y(y_j, z'_j)) - y_j|^2 + lambda_wae StatDiv(E_y(y, z'), z) ]

with StatDiv the energy distance by default. Optional (``lambda_map`` > 0, off in the paper):
the maps' pushforwards are also held to the data in data space,

      + lambda_joint lambda_map [ StatDiv(D_y(E_x(x)), y) + StatDiv(D_x(E_y(y)), x) ],

the Monge constraint M#mu = nu itself, relaxed; without it a map whose latent codes miss
the other encoder's support decodes to blurred images that move less than an OT map.
Deterministic encoders give Monge-like maps M_xy = D_y o E_x and M_yx = D_x o E_y;
stochastic encoders give conditional samples D_x(E_y(y, z')), z' ~ N(0, I). The cost is any
of ``costs``: "sqeuclidean" |x - y|^2, "c_F" |F x - y|^2 (inverse problems, Sec. 3) or a
callable (x (B, d_x), y (B, d_y)) -> (B,).
"""
from __future__ import annotations

import torch
from torch import nn

from .. import checks, costs, divergences, metrics
from ..config import IMAGE_SHAPES, CouplingConfig
from .base import Model
from .networks import MLP, ImageDecoder, ImageEncoder

MAX_SAMPLES = 1_000_000


def _copy_matching(src: nn.Module, dst: nn.Module) -> None:
    """Copy every parameter of src into dst whose name and shape match (tied start)."""
    with torch.no_grad():
        own = dict(dst.named_parameters())
        for name, p in src.named_parameters():
            if name in own and own[name].shape == p.shape:
                own[name].copy_(p)


def _networks(c: CouplingConfig) -> tuple:
    """E_x, E_y, D_x, D_y: MLPs on vectors, or conv nets on flattened images
    (``IMAGE_SHAPES[c.net]``: 28x28 grey, 64x64 colour)."""
    if c.net in IMAGE_SHAPES:
        enc = [ImageEncoder(c.d_latent, c.width, IMAGE_SHAPES[c.net]) for _ in "xy"]
        dec = [ImageDecoder(c.d_latent, c.width, IMAGE_SHAPES[c.net]) for _ in "xy"]
        return enc[0], enc[1], dec[0], dec[1]
    extra = c.d_noise if c.stochastic else 0
    return (MLP(c.dim_x + extra, c.d_latent, c.hidden), MLP(c.dim_y + extra, c.d_latent, c.hidden),
            MLP(c.d_latent, c.dim_x, c.hidden[::-1]), MLP(c.d_latent, c.dim_y, c.hidden[::-1]))


class CouplingPWAE(Model):
    """The coupling PWAE; see the module docstring.

    x: (B, dim_x), y: (B, dim_y), z: (B, d_latent). ``F`` (dim_y, dim_x) is a buffer
    (saved with the weights) used by the "c_F" cost. ``cost``: the user's callable when
    ``config.cost == "callable"`` (not saved: pass it again after loading, ``use_cost``).
    """

    kind = "coupling"

    def __init__(self, config: CouplingConfig, F=None, cost=None):
        super().__init__(config)
        c = config
        self.enc_x, self.enc_y, self.dec_x, self.dec_y = _networks(c)
        self._set_F(F)
        if c.tie_init:
            _copy_matching(self.enc_x, self.enc_y)
            _copy_matching(self.dec_x, self.dec_y)
        self.divergence = divergences.get(c.divergence)
        if c.cost != "callable":
            costs.get(c.cost, self.F)                                 # unknown names fail here
        self.user_cost = None
        if cost is not None:
            self.use_cost(cost)

    def _set_F(self, F) -> None:
        """F (dim_y, dim_x) is a saved buffer for the c_F cost (zeros until loaded) or when
        given; other costs keep none (a 64 x 64 colour image model's would weigh 600 MB).
        A non-persistent scalar follows the model's device and dtype for the inputs."""
        c = self.config
        self.register_buffer("_anchor", torch.zeros(()), persistent=False)
        if F is None and c.cost != "c_F":
            self.F = None
            return
        F = torch.zeros(c.dim_y, c.dim_x) if F is None else torch.as_tensor(F, dtype=torch.float32)
        if tuple(F.shape) != (c.dim_y, c.dim_x):
            raise ValueError(f"F must have shape (dim_y, dim_x) = ({c.dim_y}, {c.dim_x}), "
                             f"got {tuple(F.shape)}")
        self.register_buffer("F", F.clone())

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        if self.F is None and state_dict.get(prefix + "F") is not None:
            if state_dict[prefix + "F"].abs().sum() != 0:       # a real F: keep it
                self.register_buffer("F", state_dict[prefix + "F"].clone())
            else:                                # files before 0.3 saved zeros for every cost
                state_dict.pop(prefix + "F")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # -- cost -------------------------------------------------------------------------
    def use_cost(self, cost) -> "CouplingPWAE":
        """Set the user's callable cost of a model configured with cost "callable"."""
        if self.config.cost != "callable" or not callable(cost):
            raise ValueError(f"use_cost takes a callable, for a model configured with cost "
                             f"'callable' (this one: {self.config.cost!r})")
        self.user_cost = cost
        return self

    def cost(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """c(x, y) per pair, checked: (B, dim_x), (B, dim_y) -> (B,)."""
        if self.config.cost == "callable" and self.user_cost is None:
            raise ValueError("this model was trained with a user callable cost, which is not "
                             "saved; pass it again with model.use_cost(your_cost)")
        return costs.checked(costs.get(self.user_cost or self.config.cost, self.F), x, y)

    # -- networks -----------------------------------------------------------------
    def _ref(self) -> torch.Tensor:
        return self._anchor

    def prior(self, n: int, generator=None) -> torch.Tensor:
        """z ~ xi: (n, d_latent), N(0, I) or U[0, 1]^d."""
        draw = torch.randn if self.config.prior == "gaussian" else torch.rand
        return draw(n, self.config.d_latent, generator=generator).to(self._ref())

    def _encode(self, net, a, noise, generator):
        if not self.config.stochastic:
            return net(a)
        if noise is None:
            noise = torch.randn(a.shape[0], self.config.d_noise, generator=generator).to(a)
        return net(torch.cat([a, noise], 1))                         # (B, d_latent)

    def encode_x(self, x, noise=None, generator=None):
        """E_x(x, z'): (B, dim_x) -> (B, d_latent); z' ~ N(0, I) unless given."""
        return self._encode(self.enc_x, x, noise, generator)

    def encode_y(self, y, noise=None, generator=None):
        """E_y(y, z'): (B, dim_y) -> (B, d_latent)."""
        return self._encode(self.enc_y, y, noise, generator)

    def _head(self, out):
        return out / out.norm(dim=1, keepdim=True).clamp_min(1e-8) if self.config.sphere else out

    def decode_x(self, z):
        """D_x(z): (B, d_latent) -> (B, dim_x), on the unit sphere if ``sphere``."""
        return self._head(self.dec_x(z))

    def decode_y(self, z):
        """D_y(z): (B, d_latent) -> (B, dim_y)."""
        return self._head(self.dec_y(z))

    # -- loss (4) -------------------------------------------------------------------
    def loss(self, x, y, generator=None, frac: float = 1.0) -> dict:
        """Terms of loss (4) for unpaired batches x (B, dim_x), y (B', dim_y).

        ``frac`` (training progress in [0, 1]) ramps lambda_joint linearly from 0 over the
        first ``joint_warmup`` fraction of training (continuation from the collapsed,
        perfectly aligned coupling; 0 = off, the paper's setting).
        """
        c = self.config
        ramp = min(1.0, frac / c.joint_warmup) if c.joint_warmup > 0 else 1.0
        ramp *= c.joint_anneal ** frac
        weight = c.teacher * max(0.0, 1 - frac / c.teacher_until) if c.teacher_until > 0 else 0.0
        sq = lambda a, b: ((a - b) ** 2).sum(1).mean()               # noqa: E731
        zx, zy = self.encode_x(x, generator=generator), self.encode_y(y, generator=generator)
        z = self.prior(max(x.shape[0], y.shape[0]), generator)
        dx, dy = self._decodings(z, zx, zy, cross=c.lambda_map > 0 or weight > 0)
        t = {"coupling": self.cost(dx[0], dy[0]).mean(), "rec_x": sq(dx[1], x), "rec_y": sq(dy[1], y),
             "wae_x": self.divergence(zx, z), "wae_y": self.divergence(zy, z)}
        marginals = t["rec_x"] + t["rec_y"] + c.lambda_wae * (t["wae_x"] + t["wae_y"])
        if c.lambda_map > 0:
            t["map_x"] = self.divergence(dx[2], x)                    # M_yx(y) against x
            t["map_y"] = self.divergence(dy[2], y)                    # M_xy(x) against y
            marginals = marginals + c.lambda_map * (t["map_x"] + t["map_y"])
        t["total"] = t["coupling"] + ramp * c.lambda_joint * marginals
        if weight > 0:
            t["teacher"] = self._teacher(x, y, dy[2], dx[2])
            t["total"] = t["total"] + weight * t["teacher"]
        return t

    def _decodings(self, z, zx, zy, cross: bool):
        """Every decoding the loss needs, each computed once (the teacher and lambda_map share
        the maps): (D_x(z), D_x(zx)[, D_x(zy)]), (D_y(z), D_y(zy)[, D_y(zx)]), the cross
        terms only when ``cross``. One call per latent batch: stacking them into one call per
        decoder measured 1.1-1.2x slower on CPU (benchmarks/bench_translation_step.py)."""
        dx = [self.decode_x(a) for a in [z, zx] + [zy] * cross]
        dy = [self.decode_y(a) for a in [z, zy] + [zx] * cross]
        return dx, dy

    def _teacher(self, x, y, x_to_y, y_to_x):
        """Exact OT between the minibatches (``metrics.exact_ot_pairs`` for the model's
        cost) as pseudo pairs (x_i, y_sigma(i)), given the maps x_to_y = D_y(E_x(x)) (B, dim_y)
        and y_to_x = D_x(E_y(y)) (B', dim_x):
        |D_y(E_x(x_i)) - y_sigma(i)|^2 + |D_x(E_y(y_sigma(i))) - x_i|^2, batch mean."""
        j = metrics.exact_ot_pairs(x, y, self.user_cost or self.config.cost, self.F)
        sq = lambda a, b: ((a - b) ** 2).sum(1).mean()               # noqa: E731
        return sq(x_to_y, y[j]) + sq(y_to_x[j], x)

    # -- maps and samples (public API) ------------------------------------------------
    @torch.no_grad()
    def transport_xy(self, x):
        """Monge-like map D_y(E_x(x, 0)): (B, dim_x) -> (B, dim_y)."""
        x = self._input(x, "x", self.config.dim_x)
        zero = torch.zeros(x.shape[0], self.config.d_noise).to(x)
        return self.decode_y(self.encode_x(x, zero))

    @torch.no_grad()
    def transport_yx(self, y):
        """Monge-like map D_x(E_y(y, 0)): (B, dim_y) -> (B, dim_x)."""
        y = self._input(y, "y", self.config.dim_y)
        zero = torch.zeros(y.shape[0], self.config.d_noise).to(y)
        return self.decode_x(self.encode_y(y, zero))

    def map_x_given_y(self, y):
        """Most likely estimate: the map at z' = 0 -> (B, dim_x)."""
        return self.transport_yx(y)

    @torch.no_grad()
    def sample_x_given_y(self, y, n: int, generator=None):
        """D_x(E_y(y, z')), z' ~ N(0, I): y (B, dim_y) -> (B, n, dim_x) (n equal copies
        for deterministic encoders)."""
        y = self._input(y, "y", self.config.dim_y)
        n = checks.sample_count(n, MAX_SAMPLES)
        z = self.encode_y(y.repeat_interleave(n, 0), generator=generator)   # (B n, d_latent)
        return self.decode_x(z).view(y.shape[0], n, -1)

    @torch.no_grad()
    def sample_y_given_x(self, x, n: int, generator=None):
        """Mirror: D_y(E_x(x, z')): x (B, dim_x) -> (B, n, dim_y)."""
        x = self._input(x, "x", self.config.dim_x)
        n = checks.sample_count(n, MAX_SAMPLES)
        z = self.encode_x(x.repeat_interleave(n, 0), generator=generator)
        return self.decode_y(z).view(x.shape[0], n, -1)

    @torch.no_grad()
    def sample_joint(self, n: int, generator=None):
        """(D_x(z), D_y(z)), z ~ xi: the learned coupling -> (n, dim_x), (n, dim_y)."""
        z = self.prior(checks.sample_count(n, MAX_SAMPLES), generator)
        return self.decode_x(z), self.decode_y(z)

    @torch.no_grad()
    def scores(self, x, y, generator=None) -> dict:
        """How good a coupling is on fresh samples x ~ mu (B, dim_x), y ~ nu (B, dim_y)
        (means over the two directions):

        MG      Monge gap of the maps x -> M_xy(x), y -> M_yx(y) (``metrics.monge_gap``)
        cost    their transport cost E c(x, M_xy(x)); MG / cost is the share of it that an
                optimal map between the same marginals would save
        ED      energy distance of the generated marginals (``sample_joint``) to the data
        ED_map  energy distance of the pushed samples M_xy(x) to y (and M_yx(y) to x)
        """
        x, y = self._input(x, "x", self.config.dim_x), self._input(y, "y", self.config.dim_y)
        xs, ys = self.sample_joint(len(x), generator)
        tx, ty = self.transport_xy(x), self.transport_yx(y)
        named = self.config.cost in ("sqeuclidean", "euclidean")
        fwd = self.config.cost if named else self.cost
        bwd = self.config.cost if named else (lambda a, b: self.cost(b, a))
        mg = metrics.monge_gap(x, tx, fwd) + metrics.monge_gap(y, ty, bwd)
        cost = self.cost(x, tx).mean() + self.cost(ty, y).mean()
        ed = metrics.energy_distance(x, xs) + metrics.energy_distance(y, ys)
        ed_map = metrics.energy_distance(tx, y) + metrics.energy_distance(ty, x)
        return {"MG": 0.5 * float(mg), "cost": 0.5 * float(cost), "ED": 0.5 * float(ed),
                "ED_map": 0.5 * float(ed_map)}

    def _input(self, a, name, dim):
        return checks.samples(a, name, dim).to(self._ref())
