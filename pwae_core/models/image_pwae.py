r"""The image PWAE: paired Wasserstein autoencoder with a split latent (image PWAE paper,
Piening & Chung 2024).

Latent z = (z1, z2, z3) ~ N(0, I_{d1 + d2 + d3}).

    E_x : (x, p)  -> (z1, z2)        D_x : (z1, z2) -> x
    E_y : obs     -> (z2, z3)        D_y : (z2, z3) -> y

``p`` is the operator's parameter map (noise level or mask, see operators.py): E_x is told
*which* observation x will be paired with, so z1 can hold exactly what that observation
leaves open. With ``config.decoder_sees_p`` D_x reads p as well, D_x(z1, z2, p)
(the shipped denoiser: the decoder knows how far z1 may move a sample at this noise level).
Conditional sampling (image PWAE paper, Prop. 2): (z2, z3) = E_y(obs), z1 ~ N(0, I),
x = D_x(z1, z2). Most likely estimate D_x(0, z2); directional samples D_x(eps v, z2).

Objective per minibatch of pairs (x_i, y_i), with (z1, z2^x) = E_x(x, p) and
(z2, z3) = E_y(obs), all norms squared L2 summed over pixels, means over the batch:

    L = ||D_x(z1, z2) - x||^2                                      (reconstruction via y)
      + lambda_agree ||z2^x - z2||^2                                (shared part agrees)
      + lambda_wae  StatDiv((z1, z2, z3), N(0, I))                   (joint latent law)
      + lambda_moments (||mean z||^2 + ||Cov z - I||_F^2)            (its first two moments)
      + lambda_es   ES(D_x(z1', z2), D_x(z1'', z2); x)               (data consistency of
      + lambda_fid  F(D_x(z1', z2), obs),  z1', z1'' ~ N(0, I)        decoded prior samples)
      + lambda_rec_y ||D_y(z2, z3) - y||^2

The divergence acts on the *joint* code (z1 from x, z2 and z3 from y): that is what makes
z1 independent of (z2, z3), so that drawing z1 from the prior given y is drawing from the
conditional. F is the task's data-fidelity term (observed pixels for inpainting).
"""
from __future__ import annotations

import torch
from torch.nn import functional as Fn

from .. import checks, divergences, metrics, operators
from .base import Condition, ConditionalImageModel
from .networks import MLP, ConvDecoder, ConvEncoder, clamp01_st


P_FEATURES = 49   # operator parameters seen by D_x: 4x4 average pool of the 28 x 28 map


class PairedWAE(ConditionalImageModel):
    """Latent-split paired WAE for image inverse problems; see the module docstring."""

    kind = "pwae"

    def __init__(self, config):
        super().__init__(config)
        c, w = config, config.width
        self.d1, self.d2, self.d3 = c.d1, c.d2, c.d3
        self.enc_x = ConvEncoder(2, c.d1 + c.d2, w)
        self.enc_y = ConvEncoder(2, c.d2 + c.d3, w)
        self.n_p = P_FEATURES if c.decoder_sees_p else 0
        self.n_h = 4 * w if c.decoder_sees_y else 0                 # E_y's last hidden layer
        self.dec_x = ConvDecoder(c.d1 + c.d2 + self.n_p + self.n_h, 1, w)
        self.dec_y = ConvDecoder(c.d2 + c.d3, 1, w)
        self.noise_x = int(c.noise_x)
        if self.noise_x:                                            # z1 = H(E_x(x, p), xi)
            self.head_x = MLP(c.d1 + c.d2 + self.noise_x, c.d1, hidden=(4 * w, 4 * w))
        self.divergence = divergences.get(c.divergence)

    # -- encoders / decoders ------------------------------------------------------
    def encode_x(self, x, p, generator=None):
        """x, p: (B, 1, H, W) -> z1 (B, d1), z2 (B, d2).

        With ``config.noise_x`` E_x is stochastic: z1 = H(h, xi), h = E_x(x, p) (B, d1 + d2),
        xi ~ N(0, I_noise_x). A deterministic z1 = f(x) must be independent of y's code
        (z2, z3) while at low noise y fixes x: only a z1 that is (almost) pure noise meets
        both, and only a stochastic encoder can output one (coupling PWAE paper, Sec. 3)."""
        h = self.enc_x(torch.cat([x, p], 1))                          # (B, d1 + d2)
        z2 = h[:, self.d1:]
        if not self.noise_x:
            return h[:, :self.d1], z2
        xi = torch.randn(h.shape[0], self.noise_x, generator=generator, dtype=h.dtype,
                         device=h.device)
        return self.head_x(torch.cat([h, xi], 1)), z2

    def encode_y(self, obs):
        """obs: (B, 2, H, W) -> z2 (B, d2), z3 (B, d3)."""
        z2, z3, _ = self.encode_y_features(obs)
        return z2, z3

    def encode_y_features(self, obs):
        """obs: (B, 2, H, W) -> z2 (B, d2), z3 (B, d3), h (B, 4 width): E_y's last hidden
        layer, which D_x reads with ``config.decoder_sees_y``."""
        h = self.enc_y.net[:-1](obs)                                  # (B, 4 width)
        z = self.enc_y.net[-1](h)
        return z[:, :self.d2], z[:, self.d2:], h

    def decode_x(self, z1, z2, p=None, h=None):
        """(B, d1), (B, d2)[, p (B, 1, H, W)][, h (B, 4 width)] -> x (B, 1, H, W) in [0, 1].

        With ``config.decoder_sees_p`` D_x also reads the operator parameters (noise level
        or mask), 4x4 average-pooled to 7 x 7 = 49 features: p is part of the observation.
        With ``config.decoder_sees_y`` it reads E_y's features h of the observation as well:
        a sample is still a function of (z1, y) only, but the detail y fixes no longer has to
        pass through the Gaussian code z2, so z1 is left with what y leaves open."""
        parts = [z1, z2]
        if self.n_p:
            parts.append(Fn.avg_pool2d(p, 4).flatten(1))              # (B, 49)
        if self.n_h:
            parts.append(h)
        return clamp01_st(self.dec_x(torch.cat(parts, 1)))

    def decode_y(self, z2, z3):
        """(B, d2), (B, d3) -> y image (B, 1, H, W)."""
        return self.dec_y(torch.cat([z2, z3], 1))

    # -- training -----------------------------------------------------------------
    def loss(self, x, labels, cfg, generator=None) -> dict:
        """Loss terms of the module docstring for clean images x (B, 1, H, W)."""
        p = self._train_params(x, cfg.params_per_batch, generator)
        y = self.op.observe(x, p, generator)
        obs = operators.pack(y, p)                                # (B, 2, H, W)
        z1, z2x = self.encode_x(x, p, generator)
        z2, z3, h = self.encode_y_features(obs)
        sq = lambda a, b: ((a - b) ** 2).flatten(1).sum(1).mean()  # noqa: E731
        z = torch.cat([z1, z2, z3], 1)                            # (B, d1 + d2 + d3)
        prior = torch.randn(z.shape, generator=generator, dtype=z.dtype, device=z.device)
        s = self._prior_samples(z2, p, cfg.es_samples, generator, h)  # (B, n, 1, H, W)
        t = {"rec_x": sq(self.decode_x(z1, z2, p, h), x),
             "agree": sq(z2x, z2),
             "wae": self.divergence(z, prior),
             "moments": divergences.gaussian_moments(z),
             "es": metrics.energy_score(s, x).mean(),
             "fid": self.op.fidelity(s[:, 0], obs).mean(),
             "rec_y": sq(self.decode_y(z2, z3), y)}
        t["total"] = (t["rec_x"] + cfg.lambda_agree * t["agree"] + cfg.lambda_wae * t["wae"]
                      + cfg.lambda_moments * t["moments"] + cfg.lambda_es * t["es"]
                      + cfg.lambda_fid * t["fid"] + cfg.lambda_rec_y * t["rec_y"])
        return t

    def _train_params(self, x, per_batch: bool, generator=None):
        """The operator parameters of a training batch (B, 1, H, W): one draw per image, or
        with ``per_batch`` one draw (noise level or mask) shared by the whole batch, so that
        the batch terms on the joint code (divergence, moments) hold given the parameters and
        not only pooled over them."""
        if not per_batch:
            return self.op.sample_params(x, generator)
        return self.op.sample_params(x[:1], generator).expand(x.shape[0], -1, -1, -1).contiguous()

    def _prior_samples(self, z2, p, n: int = 2, generator=None, h=None):
        """n conditional samples per code: D_x(z1', z2), z1' ~ N(0, I) -> (B, n, 1, H, W)."""
        B = z2.shape[0]
        z1 = torch.randn(n * B, self.d1, generator=generator, dtype=z2.dtype, device=z2.device)
        h = None if h is None else h.repeat(n, 1)
        s = self.decode_x(z1, z2.repeat(n, 1), p.repeat(n, 1, 1, 1), h)  # (n B, 1, H, W), sample-major
        return s.view(n, B, *s.shape[1:]).transpose(0, 1)

    # -- conditional sampling (the code of an observation is (z2, p[, h])) -----------
    def _encode(self, obs):
        """obs (B, 2, H, W) -> (z2 (B, d2), p (B, 1, H, W)[, h (B, 4 width) if D_x reads it])."""
        z2, _, h = self.encode_y_features(obs)
        return (z2, obs[:, 1:]) + ((h,) if self.n_h else ())

    @staticmethod
    def _rep(code, k: int):
        """Each observation's code repeated k times (observation-major)."""
        return [t.repeat_interleave(k, 0) for t in code]

    def _decode_samples(self, code, obs, n, generator=None):
        """z1 ~ N(0, I), x = D_x(z1, z2) -> (B, n, *x_shape)."""
        B = code[0].shape[0]
        z1 = torch.randn(B * n, self.d1, generator=generator, dtype=code[0].dtype,
                         device=code[0].device)
        x = self.decode_x(z1, *self._rep(code, n))                    # (B n, 1, H, W)
        return x.view(B, n, *x.shape[1:])

    def _decode_map(self, code, obs):
        """Most likely estimate D_x(0, z2) -> (B, *x_shape)."""
        return self.decode_x(code[0].new_zeros(code[0].shape[0], self.d1), *code)

    @torch.no_grad()
    def decode_latents(self, cond: Condition, z1) -> torch.Tensor:
        """D_x(z1_k, z2) for each of K latents z1 (K, d1) and each observation
        -> (B, K, *x_shape), in one batched decode."""
        B, K = cond.code[0].shape[0], z1.shape[0]
        x = self.decode_x(z1.to(cond.code[0]).repeat(B, 1), *self._rep(cond.code, K))  # (B K, 1, H, W)
        return self._out(x.view(B, K, *x.shape[1:]), cond.obs)

    def along(self, cond: Condition, eps, v) -> torch.Tensor:
        """D_x(eps v, z2): eps float or (E,), v (d1,) nonzero -> (B, *x_shape) or (B, E, *x_shape)."""
        v = self._as_tensor(v, "v").reshape(-1)
        if v.numel() != self.d1 or not torch.isfinite(v).all() or v.norm() < 1e-8:
            raise ValueError(f"v must be a finite nonzero vector of length d1={self.d1}")
        eps = self._as_tensor(eps, "eps")
        if not torch.isfinite(eps).all() or eps.dim() > 1:
            raise ValueError("eps must be a finite float or a 1-D tensor")
        z1 = eps.reshape(-1)[:, None] * (v / v.norm())[None]              # (E, d1)
        x = self.decode_latents(cond, z1)
        return x[:, 0] if eps.dim() == 0 else x

    def direction_x_given_y(self, y, eps, v, sigma=None):
        """D_x(eps v, z2): eps float or (E,), v (d1,) unit vector.

        Returns (B, *x_shape) for a scalar eps, (B, E, *x_shape) for a vector of eps.
        """
        return self.along(self.condition(y, sigma), eps, v)

    @torch.no_grad()
    def principal_directions(self, cond: Condition, k: int = 4) -> torch.Tensor:
        """The k unit directions v (k, d1) in z1 that move D_x(z1, z2) most at z1 = 0: top
        right singular vectors of the Jacobian, by central differences (+-1 along each axis,
        2 d1 decodes in one batch). Uses the first observation of ``cond``."""
        eye = torch.eye(self.d1)
        x = self.decode_latents(cond, torch.cat([eye, -eye]))[0]          # (2 d1, 1, H, W)
        J = (x[:self.d1] - x[self.d1:]).flatten(1) / 2                    # (d1, P)
        U, _, _ = torch.linalg.svd(J, full_matrices=False)                # columns: directions
        return U[:, :k].T.contiguous()

    @torch.no_grad()
    def sample_y_given_x(self, x, n: int, generator=None, sigma=None, mask=None):
        """Mirror of sample_x_given_y: z2 from E_x(x, p), z3 ~ N(0, I) -> (B, n, 1, H, W)."""
        x = self._as_tensor(x, "x")
        checks.images(x)
        p = self.op.params(x, sigma if self.op.name == "denoise" else mask)
        _, z2 = self.encode_x(x, p)
        z3 = torch.randn(x.shape[0] * n, self.d3, generator=generator).to(z2)
        y = self.decode_y(z2.repeat_interleave(n, 0), z3)
        return y.view(x.shape[0], n, *y.shape[1:])

    @torch.no_grad()
    def sample_joint(self, n: int, generator=None):
        """(x, y_img) from the learned coupling: z ~ N(0, I) -> D_x(z1, z2), D_y(z2, z3)."""
        z = torch.randn(n, self.d1 + self.d2 + self.d3, generator=generator).to(self._ref())
        z1, z2, z3 = z.split([self.d1, self.d2, self.d3], 1)
        p = self.op.sample_params(torch.zeros(n, *self.x_shape).to(z), generator)
        y = self.decode_y(z2, z3)
        h = self.encode_y_features(operators.pack(y, p))[2] if self.n_h else None
        return self.decode_x(z1, z2, p, h), y

    def transport_yx(self, y, sigma=None):
        """Deterministic map y -> x: the most likely estimate."""
        return self.map_x_given_y(y, sigma=sigma)
