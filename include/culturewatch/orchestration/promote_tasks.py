"""Decide whether a CultureSPA candidate becomes `champion`, from the marts analysts read.

Scheduled on the marts Asset (after every transform), like the alerts DAG. For every retraining
under `$CULTUREWATCH_DATA_DIR/retrain/` with a registered candidate and no decision yet, `decide`
looks in `marts.runs` for the candidate's complete probe run (version `mlflow:<name>/v<N>`, the
identity the watch records, probed as the configured model) and the base version's complete run
with the same grid. When both are there it compares their `marts.cultural_alignment_score` (read
only; CAS is defined once, in dbt): `champion` only if the mean CAS of the configured strategies
improves and no country drops by more than `promotion.max_country_drop`. CAS before/after, the
rule, the decision and its reasons are logged to the retraining's MLflow run (params, metrics, tags
`culturewatch.promotion*`, artifact `evaluation/promotion_decision.json`). A candidate whose run is
not in the marts yet is listed as waiting and decided after a later transform; a decided one is
never decided again.

Why a DAG on the marts Asset rather than a task at the end of `culturewatch_retrain` waiting for
the candidate's probe run: the candidate is probed by the watch (hourly, or whenever vLLM loads the
adapter) and then transformed; waiting would hold a slot (or a deferred trigger) for hours across
two other DAGs, while the marts Asset fires exactly when the numbers analysts see have changed.
"""

from __future__ import annotations


def decide() -> dict:
    import json

    from culturewatch.retraining.promote_step import promote_pending
    from culturewatch.settings import data_paths

    outcome = promote_pending(data_paths())
    print(json.dumps(outcome, indent=2, default=str))
    return outcome
