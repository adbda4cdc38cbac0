"""Promotion to champion: mean CAS must improve and no country may drop more than the threshold;
the scores come from marts.cultural_alignment_score."""

from __future__ import annotations

from culturewatch.marts import run_cas
from culturewatch.retraining.promotion import decide
from culturewatch.retraining.retrain_config import PromotionSpec
from tests.published import handmade_build

SPEC = PromotionSpec(max_country_drop=2.0, min_mean_improvement=0.0, strategies=["aware"])
BEFORE = {("US", "aware"): 60.0, ("CN", "aware"): 50.0, ("US", "unaware"): 40.0}


def test_promotes_when_the_mean_improves_and_no_country_drops_too_far() -> None:
    decision = decide(BEFORE, {("US", "aware"): 59.0, ("CN", "aware"): 55.0, ("US", "unaware"): 10.0}, SPEC)
    assert decision.promote
    assert decision.mean_before == 55.0 and decision.mean_after == 57.0
    assert decision.deltas == {("CN", "aware"): 5.0, ("US", "aware"): -1.0}  # unaware is not judged


def test_rejects_when_one_country_drops_more_than_the_threshold() -> None:
    decision = decide(BEFORE, {("US", "aware"): 57.5, ("CN", "aware"): 60.0}, SPEC)
    assert not decision.promote
    assert any("US/aware drops by 2.50 > 2.00" in reason for reason in decision.reasons)


def test_rejects_when_the_mean_does_not_improve() -> None:
    decision = decide(BEFORE, {("US", "aware"): 60.0, ("CN", "aware"): 50.0}, SPEC)
    assert not decision.promote
    assert decision.reasons[0].startswith("mean CAS changes by 0.00")


def test_a_required_improvement_must_be_exceeded() -> None:
    strict = PromotionSpec(max_country_drop=2.0, min_mean_improvement=3.0, strategies=["aware"])
    assert not decide(BEFORE, {("US", "aware"): 62.0, ("CN", "aware"): 53.0}, strict).promote
    assert decide(BEFORE, {("US", "aware"): 62.0, ("CN", "aware"): 55.0}, strict).promote


def test_rejects_on_missing_or_no_evidence() -> None:
    missing = decide(BEFORE, {("US", "aware"): 70.0}, SPEC)
    assert not missing.promote and "no CAS for CN/aware" in missing.reasons[0]
    assert not decide({}, {}, SPEC).promote


def test_scores_are_read_from_the_cas_mart(paths) -> None:
    paths.root.mkdir(parents=True)
    with handmade_build(paths) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.cultural_alignment_score (run_id varchar, country varchar, strategy varchar,"
            " style varchar, variant varchar, prompt_language varchar, cas double)"
        )
        connection.execute(
            "insert into marts.cultural_alignment_score values"
            " ('base', 'US', 'aware', 'classification', 'base', 'en', 61.5),"
            " ('base', 'CN', 'aware', 'classification', 'base', 'en', null),"
            " ('base', 'US', 'aware', 'cot', 'base', 'en', 10.0),"
            " ('cand', 'US', 'aware', 'classification', 'base', 'en', 70.0)"
        )
    assert run_cas(paths, "base") == {("US", "aware"): 61.5}
    assert run_cas(paths, "cand") == {("US", "aware"): 70.0}
