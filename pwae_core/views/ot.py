"""The optimal-transport views behind the app: sphere maps and the GMM posterior (plotly).

    views = load_ot_models()                      # shipped seed-0 models of Tables 1 and 2
    fig, scores = sphere_view(views["sphere"]["10,10"], n=200, show_exact=True)
    fig, scores = posterior_view(views["posterior"], y=0.3)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch

from .. import checks, gmm, metrics, models
from ..checkpoint import SHIPPED

SPHERE_SETTINGS = {"10,10": "lambda_joint 10, lambda_wae 10", "10,0": "lambda_joint 10, lambda_wae 0",
                   "0,0": "lambda_joint 0, lambda_wae 0 (collapse)"}


def load_ot_models(folder=SHIPPED) -> dict:
    """{"sphere": {setting: model}, "posterior": {"PWAE", "cVAE", "prior", "F", "sigma"}};
    FileNotFoundError names the missing file and the command that writes it."""
    folder, out = Path(folder), {"sphere": {}}
    for key in SPHERE_SETTINGS:
        out["sphere"][key] = _load(folder / f"sphere-{key.replace(',', '-')}.safetensors", "sphere")
    pwae = _load(folder / "posterior-pwae.safetensors", "posterior")
    cvae = _load(folder / "posterior-cvae-beta1.safetensors", "posterior")
    extra = pwae.info.extra
    out["posterior"] = {"PWAE": pwae, "cVAE": cvae, "prior": gmm.GMM.from_dict(extra["prior"]),
                        "F": torch.tensor(extra["F"]), "sigma": float(extra["sigma"])}
    return out


def sphere_model(views: dict, setting: str):
    """The shipped sphere model of a lambda setting ("10,10", "10,0", "0,0")."""
    if not isinstance(setting, str) or setting not in views.get("sphere", {}):   # a list is unhashable
        raise ValueError(f"the setting must be one of {list(SPHERE_SETTINGS)}, got {checks.short(setting)}")
    return views["sphere"][setting]


def flag(value, name: str) -> bool:
    """A yes/no input: True or False (1 and 0 too)."""
    if value not in (True, False):
        raise ValueError(f"{name} must be true or false, got {checks.short(value)}")
    return bool(value)


def _load(path: Path, experiment: str):
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; recreate it with: python -m pwae_core "
                                f"experiment {experiment} --checkpoints {path.parent}")
    return models.load(path)


def _sphere_mesh() -> go.Surface:
    u, v = np.mgrid[0:2 * np.pi:40j, 0:np.pi:20j]
    return go.Surface(x=np.cos(u) * np.sin(v), y=np.sin(u) * np.sin(v), z=np.cos(v), opacity=0.15,
                      showscale=False, colorscale=[[0, "#bbbbbb"], [1, "#bbbbbb"]], hoverinfo="skip")


def _segments(a: torch.Tensor, b: torch.Tensor, name: str, color: str) -> go.Scatter3d:
    pts = torch.stack([a, b, torch.full_like(a, float("nan"))], 1).reshape(-1, 3).numpy()
    return go.Scatter3d(x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="lines", name=name,
                        line=dict(color=color, width=2), connectgaps=False)


def _points(p: torch.Tensor, name: str, color: str, size: int = 3) -> go.Scatter3d:
    p = p.numpy()
    return go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", name=name,
                        marker=dict(size=size, color=color))


def sphere_view(model, n: int = 200, show_exact: bool = True, seed: int = 0):
    """Plotly figure of mu, nu samples, x -> M(x) segments (and the exact minibatch OT map),
    plus its scores (MG, cost, ED, ED_map: ``CouplingPWAE.scores``) on one fresh batch of 512."""
    n = checks.whole(n, "the number of points", 10, 1000)
    mu, nu = gmm.GMM.from_dict(model.info.extra["mu"]), gmm.GMM.from_dict(model.info.extra["nu"])
    gen = torch.Generator().manual_seed(seed)
    x, y = gmm.sphere_sample(mu, n, gen), gmm.sphere_sample(nu, n, gen)
    mx = model.transport_xy(x)
    traces = [_sphere_mesh(), _points(x, "x ~ mu", "#1f77b4"), _points(y, "y ~ nu", "#d62728", 2),
              _segments(x, mx, "learned map x -> M(x)", "#ff7f0e")]
    if show_exact:
        traces.append(_segments(x, metrics.exact_ot_map(x, y), "exact minibatch OT", "#2ca02c"))
    fig = go.Figure(traces)
    fig.update_layout(height=620, margin=dict(l=0, r=0, t=0, b=0), autosize=True,
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=0.02),
                      scene=dict(aspectmode="cube", domain=dict(x=[0, 1], y=[0.08, 1]),
                                 xaxis_title="x1", yaxis_title="x2", zaxis_title="x3",
                                 camera=dict(eye=dict(x=1.35, y=1.35, z=0.9))))
    gen = torch.Generator().manual_seed(10_000 + seed)                      # one fresh batch
    return fig, model.scores(gmm.sphere_sample(mu, 512, gen), gmm.sphere_sample(nu, 512, gen), gen)


def posterior_view(post: dict, y: float, n: int = 512, seed: int = 0, lim: float = 2.5):
    """Closed-form p(x | y) contours, the line {F x = y}, PWAE and cVAE samples; plus the
    conditional ED of each against closed-form samples of the same size."""
    y = checks.number(y, "y", -5, 5)
    prior, F, sigma = post["prior"], post["F"], post["sigma"]
    exact = gmm.closed_form_posterior(prior, F, sigma, [y])
    g, dens = gmm.density_grid(exact, lim)
    gen = torch.Generator().manual_seed(seed)
    truth = exact.sample(n, gen)
    fig = go.Figure(go.Contour(x=g, y=g, z=dens, showscale=False, contours_coloring="lines",
                               line_width=1.5, colorscale="Greys", name="closed-form p(x | y)",
                               showlegend=True))
    lx, ly = gmm.observation_line(F, y, 2 * lim)
    fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines",
                             name="F x = y", line=dict(dash="dash", color="#555")))
    scores = {}
    for name, color in (("PWAE", "#ff7f0e"), ("cVAE", "#1f77b4")):
        s = post[name].sample_x_given_y(torch.tensor([[float(y)]]), n, gen)[0]
        scores[name] = float(metrics.energy_distance(s, truth))
        fig.add_trace(go.Scatter(x=s[:, 0].numpy(), y=s[:, 1].numpy(), mode="markers", name=name,
                                 marker=dict(size=3, color=color, opacity=0.5)))
    fig.update_layout(height=560, margin=dict(l=50, r=10, t=10, b=50),
                      legend=dict(x=1.02, y=1, xanchor="left"),
                      xaxis=dict(range=[-lim, lim], constrain="domain", title="x1"),
                      yaxis=dict(range=[-lim, lim], scaleanchor="x", constrain="domain", title="x2"))
    return fig, scores
