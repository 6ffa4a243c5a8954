"""One command per table: run an experiment, write JSON + markdown + figures, and
optionally save seed 0's models as checkpoints for the app.

    python -m pwae_core experiment sphere|posterior|cvae-beta [--quick] [--jobs 2] ...
"""
from __future__ import annotations

from pathlib import Path

from .. import models
from . import experiments, figures

RUNNERS = {"sphere": experiments.sphere_table, "posterior": experiments.posterior_table,
           "cvae-beta": experiments.cvae_beta_table}


def run(name: str, out="results", checkpoints=None, make_figures: bool = True, **options) -> dict:
    """Run experiment ``name`` with ``options`` (seeds, gmm_seed, epochs, quick, jobs, ...)."""
    if name not in RUNNERS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {sorted(RUNNERS)}")
    result, kept = RUNNERS[name](keep_models=True, **options)
    paths = experiments.write(result, out, name)
    if make_figures:
        paths.update(_figures(name, kept, Path(out)))
    if checkpoints:
        paths["checkpoints"] = _save_models(name, kept, Path(checkpoints), result)
    result["paths"] = paths
    return result


def _figures(name: str, kept: dict, out: Path) -> dict:
    if name == "sphere":
        run = kept["models"].get("10,10") or next(iter(kept["models"].values()))
        return {"figure": figures.save(figures.sphere_maps(run.model, kept["mu"], kept["nu"]),
                                       out / f"{name}.png")}
    if kept["prior"].dim != 2:
        return {}
    shown = {k: run.model for k, run in kept["models"].items()}
    fig = figures.posterior_panels(shown, kept["prior"], kept["F"], kept["sigma"], kept["y_obs"][:3])
    return {"figure": figures.save(fig, out / f"{name}.png")}


def _save_models(name: str, kept: dict, folder: Path, result: dict) -> list:
    """sphere-<lj>-<lw>.safetensors or posterior-<model>.safetensors, with the measures
    (mixtures, F, sigma) in ``extra`` so the app can draw the truth beside the model."""
    paths = []
    for key, run in kept["models"].items():
        if name == "sphere":
            stem = "sphere-" + key.replace(",", "-").replace(" ", "-")
            extra = {"mu": kept["mu"].to_dict(), "nu": kept["nu"].to_dict()}
        else:
            stem = "posterior-" + key.lower().replace(" ", "-").replace("=", "")
            extra = {"prior": kept["prior"].to_dict(), "F": kept["F"].tolist(),
                     "sigma": kept["sigma"]}
        metrics = {"experiment": name, "protocol": result["protocol"],
                   "seed": result["seeds"][0], "train_seconds": run.seconds}
        run.model.info = models.ModelInfo(None, metrics, extra)
        paths.append(str(models.save(run.model, folder / f"{stem}.safetensors")))
    return paths
