"""Read the rows of `marts.alignment_regressions` (contract: see REGRESSION_COLUMNS). The rows are
grouped into regression events (one per version pair and metric) by `alerts.events`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from culturewatch.errors import CulturewatchError
from culturewatch.settings import DataPaths
from culturewatch.storage.warehouse import connect_warehouse

REGRESSIONS_TABLE = "marts.alignment_regressions"


@dataclass(frozen=True)
class RegressionRow:
    """One row of marts.alignment_regressions: one metric of one version pair, per country and
    prompt language (both null: the version mean over the countries). `difference` < 0 is worse."""

    regression_id: str
    model: str
    previous_version: str
    version: str
    previous_run_id: str | None
    run_id: str | None
    metric: str
    country: str | None
    prompt_language: str | None
    value_before: float | None
    value_after: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    threshold: float | None
    alpha: float | None
    direction: str
    is_comparable: bool
    not_comparable_reason: str | None
    detected_at: datetime

    @property
    def is_version_mean(self) -> bool:
        """The version-level row (all countries, all languages)."""
        return self.country is None and self.prompt_language is None


REGRESSION_COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(RegressionRow))


def read_regressions(paths: DataPaths) -> list[RegressionRow] | None:
    """Every comparable regression or improvement, oldest first; None when the warehouse or the
    mart does not exist yet. A mart missing a contract column is an error naming it."""
    if not paths.warehouse.exists():
        return None
    with connect_warehouse(paths) as con:
        present = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'alignment_regressions'"
            ).fetchall()
        }
        if not present:
            return None
        missing = [column for column in REGRESSION_COLUMNS if column not in present]
        if missing:
            raise CulturewatchError(
                f"{paths.warehouse}: {REGRESSIONS_TABLE} lacks contract column(s) {missing}"
            )
        rows = con.execute(
            f"select {', '.join(REGRESSION_COLUMNS)} from {REGRESSIONS_TABLE} "
            "where is_comparable and direction in ('regression', 'improvement') "
            "order by detected_at, regression_id"
        ).fetchall()
    return [RegressionRow(*row) for row in rows]
