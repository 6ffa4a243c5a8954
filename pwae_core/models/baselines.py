"""Baselines on the same tasks and data: conditional VAE, MSE network, digit classifier.

All conditional image models share the front end of ``base.ConditionalImageModel`` so they
are evaluated through the very same calls as the image PWAE.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as Fn

from .. import checks, operators
from .base import ConditionalImageModel, Model
from .coupling import MAX_SAMPLES
from .networks import MLP, ConvDecoder, ConvEncoder, clamp01_st


def _sq(a, b):
    """Per-image squared L2 error, averaged over the batch."""
    return ((a - b) ** 2).flatten(1).sum(1).mean()


def _training_obs(model, x, generator):
    p = model.op.sample_params(x, generator)
    return operators.pack(model.op.observe(x, p, generator), p)      # (B, 2, H, W)


class MSENet(ConditionalImageModel):
    """Deterministic point estimate x_hat = D(E(obs)) trained with ||x_hat - x||^2.

    Same conv encoder/decoder as the PWAE's E_y and D_x (bottleneck d1 + d2). Its
    'posterior' is a point mass: n identical samples, std 0, energy score = |x_hat - x|.
    """

    kind = "mse"

    def __init__(self, config):
        super().__init__(config)
        d = config.d1 + config.d2
        self.enc = ConvEncoder(2, d, config.width)
        self.dec = ConvDecoder(d, 1, config.width)

    def forward(self, obs):
        return clamp01_st(self.dec(self.enc(obs)))

    def loss(self, x, labels, cfg, generator=None) -> dict:
        rec = _sq(self(_training_obs(self, x, generator)), x)
        return {"rec_x": rec, "total": rec}

    def _encode(self, obs):
        """The code of an observation is the point estimate itself."""
        return (self(obs),)

    def _decode_samples(self, code, obs, n, generator=None):
        x = code[0]
        return x[:, None].expand(x.shape[0], n, *x.shape[1:])

    def _decode_map(self, code, obs):
        return code[0]


class CVAE(ConditionalImageModel):
    """Conditional VAE (Sohn et al. 2015) with a conditional prior network.

    Recognition q(z | x, y) = N(mu_q, diag s_q^2) from E_q(x, obs); prior p(z | y) =
    N(mu_p, diag s_p^2) and features h from E_p(obs); generator x = D(z, h). Gaussian
    likelihood with a learned global variance s^2 (so the KL weight is the ELBO's own):

        L = ||D(z, h) - x||^2 / (2 s^2) + (P / 2) log s^2 + KL(q || p),  z ~ q,

    P = number of pixels. Samples: z ~ p(z | y), x = D(z, h).
    """

    kind = "cvae"

    def __init__(self, config):
        super().__init__(config)
        self.dz, self.dh, w = config.d1, config.d2, config.width
        self.enc_q = ConvEncoder(3, 2 * self.dz, w)
        self.enc_p = ConvEncoder(2, 2 * self.dz + self.dh, w)
        self.dec = ConvDecoder(self.dz + self.dh, 1, w)
        self.log_s2 = nn.Parameter(torch.tensor(math.log(0.02)))

    def _prior(self, obs):
        o = self.enc_p(obs)
        return o[:, :self.dz], o[:, self.dz:2 * self.dz].clamp(-10, 5), o[:, 2 * self.dz:]

    def decode(self, z, h):
        return clamp01_st(self.dec(torch.cat([z, h], 1)))

    def loss(self, x, labels, cfg, generator=None) -> dict:
        obs = _training_obs(self, x, generator)
        mu_p, lv_p, h = self._prior(obs)
        q = self.enc_q(torch.cat([x, obs], 1))
        mu_q, lv_q = q[:, :self.dz], q[:, self.dz:].clamp(-10, 5)
        eps = torch.randn(mu_q.shape, generator=generator, dtype=x.dtype, device=x.device)
        z = mu_q + (0.5 * lv_q).exp() * eps
        rec = _sq(self.decode(z, h), x)
        kl = 0.5 * (lv_p - lv_q + ((lv_q.exp() + (mu_q - mu_p) ** 2) / lv_p.exp()) - 1).sum(1).mean()
        P = x[0].numel()
        nll = rec / (2 * self.log_s2.exp()) + 0.5 * P * self.log_s2
        return {"rec_x": rec, "kl": kl, "total": nll + kl}

    def _encode(self, obs):
        """The conditional prior p(z | y) and features h: (mu_p, log var_p, h)."""
        return self._prior(obs)

    def _decode_samples(self, code, obs, n, generator=None):
        mu_p, lv_p, h = code
        B = mu_p.shape[0]
        eps = torch.randn(B, n, self.dz, generator=generator).to(mu_p)
        z = (mu_p[:, None] + (0.5 * lv_p).exp()[:, None] * eps).reshape(B * n, self.dz)
        x = self.decode(z, h.repeat_interleave(n, 0))                 # (B * n, 1, H, W)
        return x.view(B, n, *x.shape[1:])

    def _decode_map(self, code, obs):
        """Decoder at the prior mean: D(mu_p(y), h(y))."""
        mu_p, _, h = code
        return self.decode(mu_p, h)


class VectorCVAE(Model):
    """cVAE for vector data (Sohn et al. 2015), coupling PWAE paper Sec. 4.2 and eq. (5).

    q(z | x, y) = N(mu, diag exp(lv)) from E([x, y]); prior N(0, I); x = D([z, y]).

        L = |D(z, y) - x|^2 / (2 sigma^2) + beta KL(q(z | x, y) || N(0, I)),  z ~ q,

    beta = 1 is the ELBO of a Gaussian likelihood with the known variance sigma^2.
    x: (B, dim_x), y: (B, dim_y), z: (B, d_latent).
    """

    kind = "cvae-vec"

    def __init__(self, config):
        super().__init__(config)
        c = config
        self.enc = MLP(c.dim_x + c.dim_y, 2 * c.d_latent, c.hidden)
        self.dec = MLP(c.d_latent + c.dim_y, c.dim_x, c.hidden[::-1])

    def decode(self, z, y):
        return self.dec(torch.cat([z, y], 1))

    def loss(self, x, y, generator=None, frac: float = 1.0) -> dict:
        c = self.config
        q = self.enc(torch.cat([x, y], 1))
        mu, lv = q[:, :c.d_latent], q[:, c.d_latent:].clamp(-12, 6)
        eps = torch.randn(mu.shape, generator=generator).to(mu)
        rec = ((self.decode(mu + (0.5 * lv).exp() * eps, y) - x) ** 2).sum(1).mean()
        kl = 0.5 * (mu ** 2 + lv.exp() - 1 - lv).sum(1).mean()
        return {"rec_x": rec, "kl": kl, "total": rec / (2 * c.sigma ** 2) + c.beta * kl}

    @torch.no_grad()
    def sample_x_given_y(self, y, n: int, generator=None):
        """x = D(z, y), z ~ N(0, I): y (B, dim_y) -> (B, n, dim_x)."""
        y = checks.samples(y, "y", self.config.dim_y).to(self._ref())
        n = checks.sample_count(n, MAX_SAMPLES)
        z = torch.randn(y.shape[0] * n, self.config.d_latent, generator=generator).to(y)
        return self.decode(z, y.repeat_interleave(n, 0)).view(y.shape[0], n, -1)

    @torch.no_grad()
    def map_x_given_y(self, y):
        """D(0, y): (B, dim_y) -> (B, dim_x)."""
        y = checks.samples(y, "y", self.config.dim_y).to(self._ref())
        return self.decode(torch.zeros(y.shape[0], self.config.d_latent).to(y), y)


class Classifier(Model):
    """Small CNN digit classifier for evaluation: (B, 1, 28, 28) -> logits (B, 10)."""

    kind = "classifier"

    def __init__(self, config):
        super().__init__(config)
        self.net = ConvEncoder(1, 10, config.width)

    def forward(self, x):
        return self.net(x)

    def loss(self, x, labels, cfg, generator=None) -> dict:
        ce = Fn.cross_entropy(self(x), labels)
        return {"ce": ce, "total": ce}

    @torch.no_grad()
    def predict(self, x, batch: int = 1024) -> torch.Tensor:
        """Class labels (N,) for images (N, 1, 28, 28)."""
        return torch.cat([self(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
