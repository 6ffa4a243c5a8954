"""Matplotlib figures of the coupling PWAE paper's experiments (PNG, headless).

    sphere_maps(model, mu, nu)        learned map x -> M(x) beside the exact minibatch OT map
    posterior_panels(models, ...)     closed-form posterior density + model samples per y
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from .. import gmm, metrics  # noqa: E402


def _sphere_axes(ax, title: str) -> None:
    u, v = np.mgrid[0:2 * np.pi:30j, 0:np.pi:15j]
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v),
                      color="0.85", linewidth=0.4)
    ax.set_title(title, fontsize=10, y=0.92)
    ax.set_axis_off()
    ax.set_box_aspect((1, 1, 1))


def _map_panel(ax, x, mx, y, title: str) -> None:
    _sphere_axes(ax, title)
    ax.scatter(*y.T, s=3, c="tab:red", alpha=0.25, label="nu samples")
    ax.scatter(*x.T, s=6, c="tab:blue", label="x ~ mu")
    ax.scatter(*mx.T, s=6, c="tab:orange", label="M(x)")
    for a, b in zip(x, mx):
        ax.plot(*np.stack([a, b]).T, color="0.3", linewidth=0.5)


def sphere_maps(model, mu, nu, n: int = 150, seed: int = 0):
    """Figure: learned map D_nu(E_mu(x)) (left) and exact minibatch OT map (right)."""
    gen = torch.Generator().manual_seed(seed)
    x, y = gmm.sphere_sample(mu, n, gen), gmm.sphere_sample(nu, n, gen)
    learned, exact = model.transport_xy(x), metrics.exact_ot_map(x, y)
    fig = plt.figure(figsize=(9, 4.6))
    for i, (mx, title) in enumerate([(learned, "paired WAE map"), (exact, "exact minibatch OT map")]):
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        _map_panel(ax, x.numpy(), mx.numpy(), y.numpy(), title)
    fig.axes[0].legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    return fig


def posterior_panels(models: dict, prior, F, sigma: float, ys, n: int = 512, seed: int = 0,
                     lim: float = 2.2):
    """Rows: observations y; columns: models. Closed-form p(x | y) contours, the line
    {x : F x = y}, and n samples of each model's posterior."""
    gen = torch.Generator().manual_seed(seed)
    ys = torch.as_tensor(ys).reshape(-1, 1)
    fig, axes = plt.subplots(len(ys), len(models), figsize=(3.3 * len(models), 3.1 * len(ys)),
                             squeeze=False)
    for r, y in enumerate(ys):
        g, dens = gmm.density_grid(gmm.closed_form_posterior(prior, F, sigma, y), lim, 160)
        for c, (name, model) in enumerate(models.items()):
            ax = axes[r, c]
            ax.contour(g, g, dens, levels=dens.max() * np.array([0.02, 0.1, 0.3, 0.6, 0.9]),
                       colors="k", linewidths=0.7)
            s = model.sample_x_given_y(y[None], n, gen)[0].numpy()
            ax.scatter(s[:, 0], s[:, 1], s=3, alpha=0.4, c="tab:orange")
            ax.plot(*gmm.observation_line(F, y, lim), "b--", linewidth=0.7)
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.set_title(f"{name}, y = {float(y):.2f}", fontsize=9)
    fig.tight_layout()
    return fig


def save(fig, path) -> str:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
