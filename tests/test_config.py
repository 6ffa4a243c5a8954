"""pwae_core.config: the dataclasses saved with the weights, their checks and the migration
of files written before 0.2 (sigma range in the training config)."""
import pytest

from pwae_core import config
from pwae_core.config import CouplingConfig, ModelConfig, TrainConfig, VectorCVAEConfig


@pytest.mark.parametrize("cls", [ModelConfig, TrainConfig, CouplingConfig, VectorCVAEConfig])
def test_round_trip_through_a_dict(cls):
    obj = cls()
    assert cls.from_dict(obj.to_dict()) == obj


def test_train_config_holds_its_model_config_and_schedule():
    cfg = TrainConfig.from_dict({"steps": 7, "model": {"d1": 3, "sigma_max": 0.9}})
    assert cfg.steps == 7 and cfg.lr_schedule == "warmup-cosine"
    assert cfg.model == ModelConfig(d1=3, sigma_max=0.9)


def test_a_pre_0_2_train_config_moves_its_sigma_range_to_the_model():
    old = {"task": "mnist-denoise", "steps": 10, "sigma_min": 0.2, "sigma_max": 0.6,
           "model": {"kind": "pwae", "d1": 4}}
    cfg = TrainConfig.from_dict(old)
    assert (cfg.model.sigma_min, cfg.model.sigma_max) == (0.2, 0.6) and cfg.model.d1 == 4
    assert not hasattr(cfg, "sigma_min")


def test_model_config_of_an_old_checkpoint_reads_the_range_from_the_train_config():
    meta = {"kind": "pwae", "model_config": {"kind": "pwae", "d1": 4},
            "train_config": {"sigma_min": 0.3, "sigma_max": 0.5}}
    assert config.model_config(meta) == ModelConfig(d1=4, sigma_min=0.3, sigma_max=0.5)
    meta["model_config"]["sigma_min"] = 0.25                      # the model's own value wins
    assert config.model_config(meta).sigma_min == 0.25


def test_model_config_picks_the_saved_class():
    saved = CouplingConfig(dim_x=3, dim_y=1, cost="c_F", teacher=5.0, restarts=1).to_dict()
    meta = {"config_class": "CouplingConfig", "model_config": saved}
    assert config.model_config(meta) == CouplingConfig(dim_x=3, dim_y=1, cost="c_F", teacher=5.0, restarts=1)


def test_coupling_files_from_before_the_teacher_say_how_they_were_trained():
    meta = {"config_class": "CouplingConfig", "model_config": {"dim_x": 3, "dim_y": 3, "d_latent": 2}}
    got = config.model_config(meta)
    assert (got.teacher, got.joint_anneal, got.restarts, got.d_latent) == (0.0, 1.0, 0, 2)


def test_coupling_files_from_before_the_restarts_were_trained_without_them():
    saved = {k: v for k, v in CouplingConfig(dim_x=2, dim_y=2).to_dict().items() if k != "restarts"}
    got = config.model_config({"config_class": "CouplingConfig", "model_config": saved})
    assert (got.restarts, got.teacher) == (0, 100.0)


@pytest.mark.parametrize("make, match", [
    (lambda: ModelConfig.from_dict({"d1": 4, "colour": "red"}), r"unknown fields \['colour'\]"),
    (lambda: TrainConfig.from_dict({"stepz": 3}), "unknown fields"),
    (lambda: TrainConfig.from_dict({"model": {"depth": 3}}), "ModelConfig: unknown fields"),
    (lambda: config.model_config({"config_class": "GANConfig", "model_config": {}}),
     "unknown config class 'GANConfig'"),
    (lambda: ModelConfig(d2=-1), "d2 must be >= 0"),
    (lambda: CouplingConfig(prior="cauchy"), "prior must be"),
    (lambda: CouplingConfig(d_latent=0), "d_latent must be >= 1"),
    (lambda: CouplingConfig(batch_size=0), "batch_size must be >= 1"),
    (lambda: CouplingConfig(lambda_wae=-1.0), "lambda_joint, lambda_wae and lambda_map must be >= 0"),
    (lambda: CouplingConfig(lr=0.0), "lr > 0"),
    (lambda: VectorCVAEConfig(sigma=0.0), "sigma must be > 0"),
    (lambda: VectorCVAEConfig(beta=-1.0), "beta >= 0"),
])
def test_bad_configs_raise_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_coupling_config_leaves_the_schedule_to_the_training_loop():
    assert CouplingConfig(lr_schedule="anything").lr_schedule == "anything"   # checked at fit time
    assert CouplingConfig(hidden=[8, 4]).hidden == (8, 4)
