"""The dataset card says how the strong solver, the verifier and the judge worked (from harness.json)."""

from __future__ import annotations

from experiments.config import RunConfig
from experiments.report.dataset_card import card
from metrics import thresholds_for
from programs import RubricStructure


def harness(cfg: RunConfig, **extra) -> dict:
    return {
        "acceptance": {"preset": "deployed", "thresholds": thresholds_for("deployed").to_dict()},
        "structure": RubricStructure().model_dump(mode="json"),
        "models": {},
        "source": {"command": "test"},
        **extra,
    }


def test_the_card_names_the_strong_mode_the_verifier_gate_and_the_judge_protocol():
    cfg = RunConfig.model_validate(
        {
            "loop": {"strong_sees_document": True, "verifier_gate": ["rubric_well_formed"]},
            "judge": {"protocol": "joint"},
        }
    )
    text = card([], [], harness(cfg, loop=cfg.loop.model_dump(mode="json"), judge=cfg.judge.model_dump()), cfg, "f")
    assert "- strong solver mode: with the source document open\n" in text
    assert "- verifier checks that could reject a question: ['rubric_well_formed']\n" in text
    assert "- judge protocol: joint, calibration: anchored\n" in text
    plain = RunConfig.model_validate({"loop": {"verifier_gate": []}})
    text = card([], [], harness(plain, loop=plain.loop.model_dump(mode="json")), plain, "f")
    assert "- strong solver mode: plain (context and question only)\n" in text
    assert "could reject a question: none (advice only)\n" in text
    old = card([], [], harness(cfg), cfg, "f")  # a harness.json recorded before these fields
    assert "strong solver mode" not in old and "judge protocol" not in old
    likely = RunConfig.model_validate({"judge": {"protocol": "likelihood", "calibration": "fixed"}})
    text = card([], [], harness(likely, judge=likely.judge.model_dump()), likely, "f")
    assert "- judge protocol: likelihood, calibration: anchored\n" in text, "the likelihood judge is always anchored"
