"""Presets (runs.presets): the shipped checkpoints' training settings and file names."""
import pytest

from pwae_core.checkpoint import SHIPPED
from pwae_core.runs import presets

VALID = [(t, k) for t in ("mnist-denoise", "mnist-inpaint") for k in ("pwae", "cvae", "mse")] + \
    [("mnist-classifier", "classifier"), ("mnist-classifier-strokes", "classifier")]


@pytest.mark.parametrize("task, kind", VALID)
def test_every_valid_pair_has_a_preset_and_a_shipped_path(task, kind):
    cfg = presets.train_config(task, kind)
    assert cfg.task == task and cfg.model.kind == kind and cfg.steps == {"classifier": 2000}.get(kind, 1700 if (task, kind) == ("mnist-denoise", "pwae") else 2800)
    assert cfg.model.task == (task if kind != "classifier" else "mnist-denoise")
    path = presets.default_path(task, kind)
    assert path.parent == SHIPPED and path.name == {
        "pwae": f"{task}.safetensors", "classifier": f"{task}.safetensors"}.get(
        kind, f"{task}-{kind}.safetensors")


def test_the_denoising_pwae_preset():
    cfg = presets.train_config("mnist-denoise", "pwae")
    assert (cfg.lr, cfg.lambda_fid, cfg.lambda_wae) == (1e-3, 0.0, 20.0)
    assert (cfg.model.d1, cfg.model.d2, cfg.model.d3, cfg.model.decoder_sees_p) == (16, 48, 8, True)
    inpaint = presets.train_config("mnist-inpaint", "pwae")
    assert inpaint.model.d2 == 32 and not inpaint.model.decoder_sees_p
    # issue 12: the denoiser's D_x reads y's features, one noise level per batch; the
    # inpainter keeps its setting (the same change made it worse on every mask)
    assert cfg.model.decoder_sees_y and cfg.params_per_batch and cfg.model.noise_x == 0
    assert not (inpaint.model.decoder_sees_y or inpaint.params_per_batch)


def test_only_the_strokes_classifier_sees_thickened_digits():
    assert presets.train_config("mnist-classifier-strokes", "classifier").thicken == 0.5
    assert presets.train_config("mnist-classifier", "classifier").thicken == 0.0


@pytest.mark.parametrize("task, kind, match", [("mnist-deblur", "pwae", "unknown task/kind"),
                                               ("mnist-denoise", "gan", "unknown task/kind"),
                                               ("mnist-denoise", "classifier", "mnist-classifier --kind classifier"),
                                               ("mnist-classifier", "pwae", "mnist-classifier --kind classifier")])
def test_invalid_pairs_are_value_errors(task, kind, match):
    with pytest.raises(ValueError, match=match):
        presets.train_config(task, kind)
