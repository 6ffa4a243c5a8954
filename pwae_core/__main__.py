"""Command line: ``python -m pwae_core {train,evaluate} ...`` (flags -> config; no logic here).

    python -m pwae_core train mnist-denoise                 # PWAE, preset hyperparameters
    python -m pwae_core train mnist-inpaint --kind cvae     # a baseline
    python -m pwae_core train mnist-denoise --resume        # continue after an interruption
    python -m pwae_core train mnist-denoise --device cuda   # on a GPU
    torchrun --standalone --nproc_per_node 2 -m pwae_core train mnist-denoise   # 2 processes (DDP)
    python -m pwae_core train translate-digits              # digits -> thick digits (unpaired)
    python -m pwae_core train translate-faces --data-dir ~/celeba --attribute Male
    python -m pwae_core train faces-probe                   # the face probe that scores translate-faces
    python -m pwae_core evaluate checkpoints/mnist-denoise.safetensors
    python -m pwae_core evaluate checkpoints/translate-digits.safetensors   # the translation table
    python -m pwae_core experiment sphere --jobs 2         # coupling PWAE paper, Table 1
    python -m pwae_core experiment posterior --jobs 2      # Table 2 (cvae-beta: Table 3)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from . import models
from .config import ModelConfig, TrainConfig, TranslationConfig
from .runs import presets, translation
from .runs.experiments import markdown
from .runs.report import evaluate_checkpoint
from .runs.distributed import DEVICES
from .runs.train import fit

TRAIN_FLAGS = ("steps", "batch_size", "lr", "lr_schedule", "seed", "lambda_wae", "lambda_moments", "lambda_agree", "lambda_es", "lambda_fid",
               "lambda_rec_y", "es_samples", "params_per_batch", "checkpoint_every", "mnist_dir", "threads", "thicken")
MODEL_FLAGS = ("d1", "d2", "d3", "width", "divergence", "decoder_sees_p", "decoder_sees_y", "noise_x", "sigma_min", "sigma_max")
# translate-* tasks (runs.translation): TranslationConfig / CouplingConfig fields
TRANSLATE_FLAGS = ("steps", "batch_size", "lr", "lr_schedule", "seed", "lambda_wae", "checkpoint_every",
                   "threads", "width", "d_latent", "lambda_map", "data_dir", "attribute")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m pwae_core", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train a model (progress bar, atomic checkpoints)")
    tr.add_argument("task", choices=presets.TASKS + tuple(translation.TASKS) + ("faces-probe",))
    tr.add_argument("--kind", default="pwae", choices=presets.KINDS)
    tr.add_argument("--out", help="model file (default: checkpoints/<task>[-<kind>].safetensors)")
    tr.add_argument("--resume", action="store_true", help="continue from <out>.state.safetensors")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument("--device", default="cpu", choices=DEVICES,
                    help="where to train; under torchrun each process takes its own GPU")
    types = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    types.update({f.name: f.type for f in dataclasses.fields(ModelConfig)})
    for name in TRAIN_FLAGS + MODEL_FLAGS:
        kind = _pytype(types[name])
        tr.add_argument("--" + name.replace("_", "-"), type=kind)
    tr.add_argument("--d-latent", type=int, help="translate-*: latent dimension")
    tr.add_argument("--lambda-map", type=float,
                    help="translate-*: weight of the maps' divergence to the data in pixel space")
    tr.add_argument("--data-dir", help="translate-*: MNIST IDX folder / CelebA root (default: offline data)")
    tr.add_argument("--attribute", help="translate-faces: the CelebA attribute splitting the domains")
    ev = sub.add_parser("evaluate", help="evaluate a model against the baselines on test data")
    ev.add_argument("checkpoint")
    ev.add_argument("--baselines", nargs="*", help="baseline model files (default: shipped ones)")
    ev.add_argument("--classifier", default=str(presets.CHECKPOINTS / "mnist-classifier.safetensors"))
    ev.add_argument("--n-samples", type=int, default=64)
    ev.add_argument("--n-inputs", type=int, default=1000)
    ev.add_argument("--mnist-dir", default=None)
    ev.add_argument("--out", default="results", help="folder for the .json, .md and .png")
    ev.add_argument("--draw", type=int, default=0,
                    help="independent draw of the test noise, masks and samples (0: the README's)")
    ev.add_argument("--raw", action="store_true",
                    help="no hard data consistency: score the decoders' own observed pixels")
    ex = sub.add_parser("experiment", help="reproduce a table of the coupling PWAE paper "
                        "(JSON, markdown, figure)")
    ex.add_argument("name", choices=("sphere", "posterior", "cvae-beta"))
    ex.add_argument("--seeds", type=int, default=5, help="number of seeds (0..N-1)")
    ex.add_argument("--gmm-seed", type=int, default=None,
                    help="one fixed mixture for all seeds (default: each seed draws its own)")
    ex.add_argument("--sigma", type=float, default=0.1, help="noise level (posterior, cvae-beta)")
    ex.add_argument("--dim", type=int, default=None, help="ambient dimension (sphere 3, posterior 2)")
    ex.add_argument("--epochs", type=int, default=None, help="default 50 (the paper)")
    ex.add_argument("--quick", action="store_true", help="reduced run for smoke tests")
    ex.add_argument("--jobs", type=int, default=1, help="seeds in parallel processes")
    ex.add_argument("--out", default="results")
    ex.add_argument("--checkpoints", default=None, help="save seed 0's models in this folder")
    ex.add_argument("--no-figures", action="store_true")
    return ap


def _yes(s: str) -> bool:
    if s.lower() not in ("1", "0", "true", "false", "yes", "no"):
        raise argparse.ArgumentTypeError(f"expected yes/no, got {s!r}")
    return s.lower() in ("1", "true", "yes")


def _pytype(t):
    return {"int": int, "float": float, "str": str, "bool": _yes}.get(t if isinstance(t, str) else t.__name__, str)


def _given(a, names) -> dict:
    return {k: getattr(a, k) for k in names if getattr(a, k, None) is not None}


def _translate(a) -> int:
    wrong = sorted(set(_given(a, TRAIN_FLAGS + MODEL_FLAGS)) - set(TRANSLATE_FLAGS))
    if wrong or a.kind != "pwae":
        raise ValueError(f"{a.task} does not take --{(wrong or ['kind'])[0].replace('_', '-')}; its "
                         f"flags: " + " ".join("--" + f.replace("_", "-") for f in TRANSLATE_FLAGS))
    if a.task == "translate-digits" and a.attribute is not None:
        raise ValueError("--attribute picks the face domains (translate-faces); translate-digits "
                         "always maps digits to thickened digits")
    cfg = translation.task_config(a.task, **_given(a, TRANSLATE_FLAGS))
    out = Path(a.out) if a.out else translation.default_path(a.task)
    run = translation.train(cfg, out=out, resume=a.resume, progress=not a.quiet, device=a.device)
    if os.environ.get("RANK", "0") == "0":
        print(json.dumps({"out": str(out), "train_seconds": round(run.seconds, 1),
                          "test": run.checks}, indent=1))
    return 0


def _probe(a) -> int:
    own = ("attribute", "d_latent", "lambda_map")
    wrong = sorted(set(_given(a, TRAIN_FLAGS + MODEL_FLAGS + own)) - {"steps", "seed", "data_dir"})
    if wrong:
        raise ValueError(f"faces-probe takes --steps, --seed and --data-dir, not --{wrong[0].replace('_', '-')}")
    from .runs import faces_eval    # deferred: loads the face modules only for this task
    probe = faces_eval.train_probe(a.data_dir, a.steps or 600, a.seed or 0, progress=not a.quiet)
    out = Path(a.out) if a.out else faces_eval.PROBE
    models.save(probe, out)
    print(json.dumps({"out": str(out), "train_seconds": probe.info.metrics["train_seconds"]}))
    return 0


def _train(a) -> int:
    if a.task in translation.TASKS:
        return _translate(a)
    if a.task == "faces-probe":
        return _probe(a)
    wrong = sorted(_given(a, ("d_latent", "lambda_map", "data_dir", "attribute")))
    if wrong:
        raise ValueError(f"--{wrong[0].replace('_', '-')} is a flag of the translate-* tasks, "
                         f"not of {a.task}")
    cfg = presets.train_config(a.task, a.kind)
    over = {k: getattr(a, k) for k in TRAIN_FLAGS if getattr(a, k) is not None}
    mover = {k: getattr(a, k) for k in MODEL_FLAGS if getattr(a, k) is not None}
    cfg = dataclasses.replace(cfg, **over, model=dataclasses.replace(cfg.model, **mover))
    out = Path(a.out) if a.out else presets.default_path(a.task, a.kind)
    run = fit(cfg, out=out, resume=a.resume, progress=not a.quiet, device=a.device)
    if os.environ.get("RANK", "0") == "0":                       # torchrun: rank 0 reports
        print(json.dumps({"out": str(out), "train_seconds": round(run.seconds, 1),
                          "last": run.history[-1]}))
    return 0


def _evaluate(a) -> int:
    if isinstance(models.load(a.checkpoint).info.train_config, TranslationConfig):
        result = translation.report(a.checkpoint, a.out, a.mnist_dir)
        print(translation.markdown_table(result["test"]))
        print(json.dumps(result["paths"], indent=2))
        return 0
    report = evaluate_checkpoint(a.checkpoint, a.baselines, a.classifier, a.n_samples,
                                 a.n_inputs, a.mnist_dir, a.out, raw=a.raw, draw=a.draw)
    print(json.dumps(report, indent=2))
    return 0


def _experiment(a) -> int:
    from .runs.reproduce import run   # deferred: it imports matplotlib (about 0.5 s)
    opts = dict(seeds=a.seeds, gmm_seed=a.gmm_seed, epochs=a.epochs, quick=a.quick, jobs=a.jobs)
    if a.dim is not None:
        opts["dim"] = a.dim
    if a.name != "sphere":
        opts["sigma"] = a.sigma
    result = run(a.name, a.out, a.checkpoints, not a.no_figures, **opts)
    print(markdown(result))
    print(json.dumps(result["paths"], indent=2))
    return 0


def main(argv=None) -> int:
    a = _parser().parse_args(argv)
    try:
        return {"train": _train, "evaluate": _evaluate, "experiment": _experiment}[a.cmd](a)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
