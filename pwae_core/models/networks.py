"""Building blocks: conv encoders/decoders for 28x28 grey and 64x64 colour images (also on
flattened images), MLPs, output heads."""
from __future__ import annotations

import torch
from torch import nn


def clamp01_st(x: torch.Tensor) -> torch.Tensor:
    """Straight-through clamp to the pixel range [0, 1].

    Forward: clamp(x, 0, 1), so background pixels are exactly 0 (a sharp prior that a
    sigmoid never reaches); backward: identity, so a wrong saturated pixel still learns.
    """
    return x + (x.clamp(0, 1) - x).detach()


class ConvEncoder(nn.Module):
    """(B, c_in, 28, 28) -> (B, d_out): two stride-2 convs (28 -> 14 -> 7), one 3x3, linear."""

    def __init__(self, c_in: int, d_out: int, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(c_in, w, 4, 2, 1), nn.SiLU(),          # (B, w, 14, 14)
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.SiLU(),         # (B, 2w, 7, 7)
            nn.Conv2d(2 * w, 2 * w, 3, 1, 1), nn.SiLU(),
            nn.Flatten(),                                     # (B, 2w * 49)
            nn.Linear(2 * w * 49, 4 * w), nn.SiLU(),
            nn.Linear(4 * w, d_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConvDecoder(nn.Module):
    """(B, d_in) -> (B, c_out, 28, 28) raw values (apply an output head afterwards)."""

    def __init__(self, d_in: int, c_out: int = 1, width: int = 32):
        super().__init__()
        w = width
        self.fc = nn.Sequential(nn.Linear(d_in, 4 * w), nn.SiLU(),
                                nn.Linear(4 * w, 2 * w * 49), nn.SiLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.SiLU(),  # (B, w, 14, 14)
            nn.ConvTranspose2d(w, w // 2, 4, 2, 1), nn.SiLU(), # (B, w/2, 28, 28)
            nn.Conv2d(w // 2, c_out, 3, 1, 1),
        )
        self.w = w

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], 2 * self.w, 7, 7)      # (B, 2w, 7, 7)
        return self.net(h)


GROUPS = 4      # GroupNorm groups in the 64 x 64 nets: a plain conv autoencoder of faces
                # reached 16.8 dB after 300 steps, 18.5 dB with it (per image, so no batch
                # statistics: the coupling loss decodes prior and encoded latents separately)


class Conv64Encoder(nn.Module):
    """(B, c_in, 64, 64) -> (B, d_out): four stride-2 convs (64 -> 32 -> 16 -> 8 -> 4) with
    GroupNorm, linear (the image PWAE paper's face nets, one down layer fewer for the CPU)."""

    def __init__(self, c_in: int, d_out: int, width: int = 32, norm: bool = True):
        super().__init__()
        w, layers, c = width, [], c_in
        for k in range(4):
            layers += [nn.Conv2d(c, w * 2 ** k, 4, 2, 1)]
            layers += [nn.GroupNorm(GROUPS, w * 2 ** k)] if norm else []
            layers += [nn.SiLU()]
            c = w * 2 ** k
        self.net = nn.Sequential(*layers, nn.Flatten(),                # (B, 8w * 16)
                                 nn.Linear(c * 16, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Conv64Decoder(nn.Module):
    """(B, d_in) -> (B, c_out, 64, 64) raw values: linear to (8w, 4, 4), four stride-2
    transposed convs (4 -> 8 -> 16 -> 32 -> 64) with GroupNorm, a 3x3 conv."""

    def __init__(self, d_in: int, c_out: int = 3, width: int = 32, norm: bool = True):
        super().__init__()
        w, layers = width, []
        for k in (3, 2, 1, 0):
            c_next = w * 2 ** (k - 1) if k else w // 2
            layers += [nn.ConvTranspose2d(w * 2 ** k, c_next, 4, 2, 1)]
            layers += [nn.GroupNorm(min(GROUPS, c_next), c_next)] if norm else []
            layers += [nn.SiLU()]
        self.fc = nn.Sequential(nn.Linear(d_in, 8 * w * 16), nn.SiLU())
        self.net = nn.Sequential(*layers, nn.Conv2d(w // 2, c_out, 3, 1, 1))
        self.w = w

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], 8 * self.w, 4, 4)             # (B, 8w, 4, 4)
        return self.net(h)


# Image shapes the flattened-image nets take: (channels, height, width) -> conv stacks.
IMAGE_NETS = {(1, 28, 28): (ConvEncoder, ConvDecoder), (3, 64, 64): (Conv64Encoder, Conv64Decoder)}


class ImageEncoder(nn.Module):
    """Flattened images (B, C * H * W) -> (B, d_out): the conv encoder of ``shape`` (C, H, W)
    (``IMAGE_NETS``: 28x28 grey, 64x64 colour) on (B, C, H, W)."""

    def __init__(self, d_out: int, width: int = 32, shape=(1, 28, 28)):
        super().__init__()
        self.shape = tuple(shape)
        self.conv = IMAGE_NETS[self.shape][0](self.shape[0], d_out, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.view(x.shape[0], *self.shape))              # (B, d_out)


class ImageDecoder(nn.Module):
    """(B, d_in) -> flattened images (B, C * H * W) in [0, 1] (``clamp01_st`` head)."""

    def __init__(self, d_in: int, width: int = 32, shape=(1, 28, 28)):
        super().__init__()
        self.shape = tuple(shape)
        self.conv = IMAGE_NETS[self.shape][1](d_in, self.shape[0], width)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return clamp01_st(self.conv(z)).flatten(1)                      # (B, C * H * W)


class MLP(nn.Module):
    """d_in -> hidden... -> d_out with SiLU between layers (the coupling PWAE paper uses 256 -> 128)."""

    def __init__(self, d_in: int, d_out: int, hidden=(256, 128), act=nn.SiLU):
        super().__init__()
        dims, layers = (d_in, *hidden), []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), act()]
        self.net = nn.Sequential(*layers, nn.Linear(dims[-1], d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
