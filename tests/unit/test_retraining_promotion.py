"""Promotion to champion, per configured strategy: the mean CAS must improve and no cell may drop
more than the threshold; cells and means are marts.alignment_history's (metric `cas_<strategy>`)."""

from __future__ import annotations

import pytest

from culturewatch.config.regression import load_regression_config
from culturewatch.marts import RunMetric, run_metrics
from culturewatch.retraining.promotion import cas_metric, decide
from culturewatch.retraining.retrain_config import CultureSpaStrategy, PromotionSpec
from tests.published import handmade_build

SPEC = PromotionSpec(max_country_drop=2.0, min_mean_improvement=0.0, strategies=["aware"])


def cas(us: float, cn: float, mean: float | None = None) -> RunMetric:
    """A run's `cas_aware`: two English cells, and the mart's mean (by default theirs)."""
    return RunMetric((us + cn) / 2 if mean is None else mean, 2, {("US", "en"): us, ("CN", "en"): cn})


BEFORE = {"cas_aware": cas(60.0, 50.0), "cas_unaware": RunMetric(40.0, 1, {("US", "en"): 40.0})}


def test_promotes_when_the_mean_improves_and_no_country_drops_too_far() -> None:
    after = {"cas_aware": cas(59.0, 55.0), "cas_unaware": RunMetric(10.0, 1, {("US", "en"): 10.0})}
    decision = decide(BEFORE, after, SPEC)
    assert decision.promote
    assert decision.mean_before == {"aware": 55.0} and decision.mean_after == {"aware": 57.0}
    assert decision.deltas == {"CN/en/aware": 5.0, "US/en/aware": -1.0}  # unaware is not judged


def test_the_means_are_the_marts_not_the_cells() -> None:
    """The run mean counts only the countries the mart counts (the paper's cultures): a cell that
    improves does not make the mean improve if the mart's mean does not."""
    decision = decide(BEFORE, {"cas_aware": cas(61.0, 51.0, mean=55.0)}, SPEC)
    assert not decision.promote
    assert decision.reasons[0] == "aware: mean CAS changes by 0.00 (55.00 → 55.00), not more than 0.00"


def test_rejects_when_one_country_drops_more_than_the_threshold() -> None:
    decision = decide(BEFORE, {"cas_aware": cas(57.5, 60.0)}, SPEC)
    assert not decision.promote
    assert "US/en/aware drops by 2.50 > 2.00" in decision.reasons


def test_rejects_when_the_mean_does_not_improve() -> None:
    decision = decide(BEFORE, {"cas_aware": cas(60.0, 50.0)}, SPEC)
    assert not decision.promote
    assert decision.reasons[0].startswith("aware: mean CAS changes by 0.00")


def test_a_required_improvement_must_be_exceeded() -> None:
    strict = PromotionSpec(max_country_drop=2.0, min_mean_improvement=3.0, strategies=["aware"])
    assert not decide(BEFORE, {"cas_aware": cas(62.0, 53.0)}, strict).promote
    assert decide(BEFORE, {"cas_aware": cas(62.0, 55.0)}, strict).promote


def test_every_configured_strategy_must_pass() -> None:
    both = PromotionSpec(max_country_drop=2.0, min_mean_improvement=0.0, strategies=["aware", "unaware"])
    after = {"cas_aware": cas(61.0, 55.0), "cas_unaware": RunMetric(39.0, 1, {("US", "en"): 39.0})}
    decision = decide(BEFORE, after, both)
    assert not decision.promote
    assert decision.mean_before == {"aware": 55.0, "unaware": 40.0}
    assert "unaware: mean CAS changes by -1.00 (40.00 → 39.00), not more than 0.00" in decision.reasons


def test_rejects_on_missing_or_no_evidence() -> None:
    missing = decide(BEFORE, {"cas_aware": RunMetric(70.0, 1, {("US", "en"): 70.0})}, SPEC)
    assert not missing.promote and missing.reasons == ["the candidate has no CAS for CN/en/aware"]
    nothing = decide({}, {}, SPEC)
    assert not nothing.promote
    assert nothing.reasons == ["aware: no mean CAS to compare (base over 0 countries, candidate over 0)"]


@pytest.mark.parametrize("strategy", CultureSpaStrategy.__args__)
def test_every_strategy_the_rule_may_name_is_a_metric_of_the_history_mart(strategy: str) -> None:
    measures = load_regression_config().metrics[cas_metric(strategy)].measures
    assert (measures.instrument, measures.strategy) == ("wvs_culturespa", strategy)


def test_cells_and_means_are_read_from_the_history_mart(paths) -> None:
    paths.root.mkdir(parents=True)
    with handmade_build(paths) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.alignment_history (run_id varchar, metric varchar, scope varchar,"
            " country varchar, prompt_language varchar, value double, n integer)"
        )
        connection.execute(
            "insert into marts.alignment_history values"
            " ('base', 'cas_aware', 'country', 'US', 'en', 61.5, 20),"
            " ('base', 'cas_aware', 'country', 'CN', 'en', null, 0),"
            " ('base', 'cas_aware', 'version_mean', null, null, 61.5, 1),"
            " ('base', 'deviation_ratio_english', 'country', 'US', 'en', 1.2, 6),"
            " ('cand', 'cas_aware', 'country', 'US', 'en', 70.0, 20),"
            " ('cand', 'cas_aware', 'version_mean', null, null, 70.0, 1)"
        )
    assert run_metrics(paths, "base", ["cas_aware", "cas_unaware"]) == {
        "cas_aware": RunMetric(61.5, 1, {("US", "en"): 61.5}),
        "cas_unaware": RunMetric(),
    }
    assert run_metrics(paths, "cand", ["cas_aware"]) == {
        "cas_aware": RunMetric(70.0, 1, {("US", "en"): 70.0})
    }
