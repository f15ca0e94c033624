"""TrackerConfig: pydantic types reject bad values at the field; cross-field checks name it."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from hdsim.tracking import MODEL_NAMES, TrackerConfig


@pytest.mark.parametrize(("kw", "field"), [
    (dict(filtr="imm"), "filtr"),  # unknown field
    (dict(confirm_m="three"), "confirm_m"),
    (dict(imm_models=5), "imm_models"),
    (dict(maneuver_tau_s=[]), "maneuver_tau_s"),
    (dict(filter="kalman"), "filter"),
    (dict(imm_models=("ncv",)), "imm_models"),
    (dict(imm_models=("ncv", "bogus")), "imm_models"),
    (dict(confirm_n=9), "confirm_n"),
    (dict(confirm_m=0), "confirm_m"),
    (dict(gate_probability=1.0), "gate_probability"),
    (dict(delete_after_s=0.0), "delete_after_s"),
    (dict(reorder_lag_s=float("nan")), "reorder_lag_s"),
    (dict(imm_sojourn_s=(60.0, -1.0, 3.0)), "imm_sojourn_s"),
])
def test_bad_value_is_located_at_its_field(kw, field):
    with pytest.raises(ValidationError) as info:
        TrackerConfig(**kw)
    assert info.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize(("kw", "field", "other"), [
    (dict(confirm_m=6, confirm_n=5), "confirm_n", "confirm_m"),
    (dict(association="jpda", filter="imm"), "association", "filter"),
    (dict(imm_sojourn_s=(60.0, 3.0)), "imm_sojourn_s", "imm_models"),  # three default models
])
def test_cross_field_checks_locate_the_field_and_name_the_other(kw, field, other):
    with pytest.raises(ValidationError) as info:
        TrackerConfig(**kw)
    err = info.value.errors()[0]
    assert err["loc"] == (field,) and other in err["msg"]


def test_cross_field_checks_pass_on_good_values():
    TrackerConfig(confirm_m=5, confirm_n=5)
    TrackerConfig(association="jpda", filter="ekf")
    TrackerConfig(imm_models=("ncv", "singer"), imm_sojourn_s=(30.0, 5.0))


def test_defaults_and_dataclass_protocol():
    cfg = TrackerConfig()
    names = [f.name for f in dataclasses.fields(cfg)]
    assert names[:3] == ["filter", "motion", "imm_models"] and len(names) == 39
    assert cfg.filter == "imm" and cfg.imm_models == ("singer", "hypersonic", "maneuver")
    assert cfg.confirm_m == 3 and cfg.confirm_n == 5 and cfg.merge_d2 == 12.6
    new = dataclasses.replace(cfg, filter="ekf", imm_models=["ncv", "nca"])
    assert new.filter == "ekf" and new.imm_models == ("ncv", "nca")  # lists become tuples
    with pytest.raises(ValidationError):
        dataclasses.replace(cfg, confirm_m=9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.filter = "ekf"  # type: ignore[misc]
    assert cfg.imm_sojourn(cfg.imm_models) == (60.0, 120.0, 3.0)
    assert set(MODEL_NAMES) == {"ncv", "nca", "singer", "hypersonic", "maneuver"}


def test_every_field_is_documented_with_its_default():
    for f in dataclasses.fields(TrackerConfig):
        text = f.default.description if hasattr(f.default, "description") else None
        assert text and "Default" in text, f.name
