"""Matplotlib figures of the experiments (runs.figures): what each panel draws."""
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from pwae_core import gmm as G
from pwae_core.config import CouplingConfig, VectorCVAEConfig
from pwae_core.models import CouplingPWAE, VectorCVAE
from pwae_core.runs import experiments as E
from pwae_core.runs import figures


def _rgb(name):
    return np.array(mcolors.to_rgb(name))


def test_sphere_maps_show_the_learned_and_the_exact_map():
    torch.manual_seed(0)
    model = CouplingPWAE(CouplingConfig(dim_x=3, dim_y=3, sphere=True, prior="uniform"))
    mu, nu = E.sphere_measures(0)
    fig = figures.sphere_maps(model, mu, nu, n=20, seed=1)
    assert [ax.get_title() for ax in fig.axes] == ["paired WAE map", "exact minibatch OT map"]
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["nu samples", "x ~ mu", "M(x)"]
    gen = torch.Generator().manual_seed(1)
    x = G.sphere_sample(mu, 20, gen)
    for ax, mapped in zip(fig.axes, (model.transport_xy(x), None)):
        nu_pts, x_pts, m_pts = ax.collections[-3:]               # after the sphere's wireframe
        assert np.allclose(np.array(x_pts._offsets3d).T, x.numpy(), atol=1e-6)
        assert len(np.array(m_pts._offsets3d).T) == 20 and len(np.array(nu_pts._offsets3d).T) == 20
        m, nu_xyz = np.array(m_pts._offsets3d).T, np.array(nu_pts._offsets3d).T
        if mapped is not None:
            assert np.allclose(m, mapped.numpy(), atol=1e-6)
        else:                                                    # exact map: the nu batch reordered
            assert np.allclose(np.sort(m, 0), np.sort(nu_xyz, 0))
        segments = [ln for ln in ax.lines if len(ln.get_xdata()) == 2]
        assert len(segments) == 20                               # one x -> M(x) segment each
    plt.close(fig)


def test_posterior_panels_draw_one_panel_per_model_and_observation(tmp_path):
    prior, F = E.posterior_problem(0)
    torch.manual_seed(0)
    models = {"PWAE": CouplingPWAE(CouplingConfig(dim_x=2, dim_y=1, cost="c_F", stochastic=True), F),
              "cVAE": VectorCVAE(VectorCVAEConfig(dim_x=2, dim_y=1))}
    ys = torch.tensor([[0.3], [-0.5]])
    fig = figures.posterior_panels(models, prior, F, 0.1, ys, n=50)
    assert [ax.get_title() for ax in fig.axes] == ["PWAE, y = 0.30", "cVAE, y = 0.30",
                                                   "PWAE, y = -0.50", "cVAE, y = -0.50"]
    for ax, y in zip(fig.axes, (0.3, 0.3, -0.5, -0.5)):
        scatter = [c for c in ax.collections if len(c.get_offsets()) == 50]
        assert len(scatter) == 1 and np.allclose(scatter[0].get_facecolors()[0][:3], _rgb("tab:orange"))
        line = ax.lines[0]                                        # the dashed line F x = y
        pts = np.stack([line.get_xdata(), line.get_ydata()], 1)
        assert line.get_linestyle() == "--" and np.allclose(pts @ F.numpy().T, y, atol=1e-6)
        assert ax.get_xlim() == ax.get_ylim() == (-2.2, 2.2)
    path = figures.save(fig, tmp_path / "p.png")
    assert Image.open(path).size == (726, 682)                    # 2 x 3.3 by 2 x 3.1 inches at 110 dpi
