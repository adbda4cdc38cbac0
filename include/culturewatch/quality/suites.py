"""The expectation suites and checkpoints, declared in code and exported as versioned JSON.

`python -m culturewatch.quality.suites` writes `expectations/suites/<suite>.json` and
`expectations/checkpoints/<checkpoint>.json`; the gates run those files (what is reviewed is what
runs) and a unit test keeps them equal to this module. Column names come from the storage schema;
values that depend on the run (allowed values from the reference data and the instrument, the
planned grid, thresholds) are `$PARAMETER`s filled by `RunPlan` at validation time, so the JSON
never hard-codes a country, a language or a threshold.

Every expectation carries `meta.check`, a stable name (`cells_missing`, `parse_rate_at_threshold`,
...) that verdicts, notifications and tests use.

Split of work with dbt: dbt tests keys, relationships and accepted values of its models; these
suites check what dbt cannot: the planned grid (every cell exactly once), per-group rates against
per-model thresholds, value ranges of the metrics, and row counts against the plan.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from culturewatch.marts import VSM_DIMENSIONS
from culturewatch.quality.frames import RATE_GROUP, SCALE_MAX, SCALE_MIN
from culturewatch.settings import PROJECT_ROOT
from culturewatch.storage.schema import RAW_RESPONSE_KEY, RAW_RESPONSE_SCHEMA

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SUITES_DIR = EXPECTATIONS_DIR / "suites"
CHECKPOINTS_DIR = EXPECTATIONS_DIR / "checkpoints"
DATA_DOCS_SITE = "culturewatch"

# The default VSM normalisation (docs/metrics.md): scores are 0-100 by construction only for it.
DEFAULT_NORMALISATION = "formula_range_c0"
LARGEST_FINITE = sys.float_info.max
_CELL_INDEX = [column for column in RAW_RESPONSE_KEY if column not in ("run_id", "instrument")]


def _parameter(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def _expect(kind: str, check: str, description: str, **kwargs: object):
    """One expectation of GX class `kind`, named by `check`."""
    import great_expectations.expectations as gxe

    return getattr(gxe, kind)(meta={"check": check}, description=description, **kwargs)


def _in_set(column: str, parameter: str, what: str):
    return _expect(
        "ExpectColumnValuesToBeInSet",
        f"{column}_allowed",
        f"`{column}` is one of the {what}",
        column=column,
        value_set=_parameter(parameter),
    )


def _equal_set(column: str, parameter: str, what: str):
    return _expect(
        "ExpectColumnDistinctValuesToEqualSet",
        f"{column}_complete",
        f"the run has exactly the planned {what}: none missing, none extra",
        column=column,
        value_set=_parameter(parameter),
    )


# --- raw -----------------------------------------------------------------------------------------


def raw_files_suite():
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_files",
        meta={"frame": "one row per (raw Parquet file, column): expected and observed Arrow type"},
        expectations=[
            _expect(
                "ExpectColumnPairValuesToBeEqual",
                "file_schema_matches_contract",
                "every raw file has exactly the contract's columns with its Arrow types "
                "(RAW_RESPONSE_SCHEMA)",
                column_A="observed_type",
                column_B="expected_type",
                ignore_row_if="neither",
            )
        ],
    )


def raw_responses_suite():
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    required = [field.name for field in RAW_RESPONSE_SCHEMA if not field.nullable]
    expectations = [
        _expect(
            "ExpectTableRowCountToEqual",
            "row_count_matches_plan",
            "one row per planned cell",
            value=_parameter("planned_rows"),
        ),
        *[
            _expect(
                "ExpectColumnValuesToNotBeNull",
                f"{column}_not_null",
                f"`{column}` is never null (contract)",
                column=column,
            )
            for column in required
        ],
        _expect(
            "ExpectCompoundColumnsToBeUnique",
            "key_unique",
            "the key (run, instrument, item, country, language, style, strategy, variant, trial) is unique",
            column_list=list(RAW_RESPONSE_KEY),
        ),
        _in_set("run_id", "run_ids", "run ids validated"),
        _in_set("model", "models", "model names of the run"),
        _in_set("model_version", "model_versions", "model versions of the run"),
        _in_set("instrument", "instruments", "run's instrument"),
        _in_set("country", "allowed_countries", "instrument's countries (reference data)"),
        _in_set("prompt_language", "allowed_languages", "instrument's prompt languages"),
        _in_set("item_id", "allowed_items", "instrument's items"),
        _in_set("style", "allowed_styles", "interaction styles"),
        _in_set("strategy", "allowed_strategies", "persona strategies"),
        _in_set("variant", "allowed_variants", "instrument's prompt variants"),
        _in_set("parse_status", "allowed_parse_statuses", "parser's statuses"),
        _expect(
            "ExpectColumnValuesToBeBetween",
            "trial_in_range",
            "`trial` is 0 .. trials - 1",
            column="trial",
            min_value=0,
            max_value=_parameter("max_trial"),
        ),
        _equal_set("prompt_language", "planned_languages", "prompt languages"),
        _equal_set("country", "planned_countries", "persona countries"),
        _equal_set("item_id", "planned_items", "items"),
        _equal_set("style", "planned_styles", "styles"),
        _equal_set("strategy", "planned_strategies", "strategies"),
        _equal_set("variant", "planned_variants", "variants"),
        _expect(
            "ExpectColumnValuesToBeNull",
            "country_null_without_persona",
            "persona-free prompts (strategy `unaware`) have no country",
            column="country",
            row_condition=Column("strategy") == "unaware",
        ),
        _expect(
            "ExpectColumnValuesToNotBeNull",
            "country_set_with_persona",
            "persona prompts (strategy `aware`, `cross_culture`) name their country",
            column="country",
            row_condition=Column("strategy") != "unaware",
        ),
        _expect(
            "ExpectColumnValuesToNotMatchRegex",
            "prompt_not_empty",
            "no prompt is empty or blank",
            column="prompt",
            regex=r"^\s*$",
        ),
        _expect(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "answer_at_or_above_scale_min",
            "answers are on the item's own scale (VSM 1-5, WVS the question's codes; reversed "
            "variants mapped back): at least its lowest option",
            column_A="answer",
            column_B=SCALE_MIN,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _expect(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "answer_at_or_below_scale_max",
            "answers are on the item's own scale: at most its highest option",
            column_A=SCALE_MAX,
            column_B="answer",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _expect(
            "ExpectColumnValuesToNotBeNull",
            "parsed_rows_have_an_answer",
            "a row parsed `ok` on an option instrument carries its answer",
            column="answer",
            row_condition=(Column("parse_status") == "ok") & Column(SCALE_MIN).is_not_null(),
        ),
        _expect(
            "ExpectColumnValuesToBeNull",
            "unparsed_rows_have_no_answer",
            "a row not parsed `ok` (unparseable, refusal, error) carries no answer",
            column="answer",
            row_condition=Column("parse_status") != "ok",
        ),
    ]
    return gx.ExpectationSuite(
        name="raw_responses",
        meta={"frame": "the run's raw rows, plus each row's expected answer scale from the instrument"},
        expectations=expectations,
    )


def raw_cells_suite():
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_cells",
        meta={"frame": "one row per planned or found cell: its key, `planned`, `n_rows` found"},
        expectations=[
            _expect(
                "ExpectColumnValuesToBeBetween",
                "cells_missing",
                "every planned cell has an answer row",
                column="n_rows",
                min_value=1,
            ),
            _expect(
                "ExpectColumnValuesToBeBetween",
                "cells_duplicated",
                "no cell has more than one row (append-only writes never repeat a cell)",
                column="n_rows",
                max_value=1,
            ),
            _expect(
                "ExpectColumnValuesToBeInSet",
                "cells_unplanned",
                "every row belongs to a planned cell",
                column="planned",
                value_set=[True],
            ),
        ],
    )


def raw_rates_suite():
    import great_expectations as gx

    return gx.ExpectationSuite(
        name="raw_rates",
        meta={"frame": "one row per (prompt language, style): parse and reply-language rates, thresholds"},
        expectations=[
            _expect(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "parse_rate_at_threshold",
                "each (prompt language, style) parses at least the model's configured rate",
                column_A="parse_rate",
                column_B="min_parse_rate",
                or_equal=True,
                ignore_row_if="neither",
            ),
            _expect(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                "response_language_rate_at_threshold",
                "replies long enough to identify are in the prompt's language at least the configured "
                "share of the time (only when the model configures it)",
                column_A="language_match_rate",
                column_B="min_language_match_rate",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ],
    )


# --- marts ---------------------------------------------------------------------------------------


def _between(column: str, low: float, high: float, check: str, description: str, **kwargs: object):
    return _expect(
        "ExpectColumnValuesToBeBetween",
        check,
        description,
        column=column,
        min_value=low,
        max_value=high,
        **kwargs,
    )


def marts_suites() -> list:
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    default = Column("normalisation") == DEFAULT_NORMALISATION
    return [
        gx.ExpectationSuite(
            name="marts_vsm_country_scores",
            meta={"mart": "vsm_country_scores"},
            expectations=[
                *[
                    _between(
                        dimension,
                        0,
                        100,
                        f"{dimension}_within_0_100",
                        f"{dimension.upper()} is within 0-100 under the default normalisation",
                        row_condition=default,
                    )
                    for dimension in VSM_DIMENSIONS
                ],
                _expect(
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    "n_valid_at_most_items",
                    "a pass has no more valid answers than items",
                    column_A="n_items_expected",
                    column_B="n_valid",
                    or_equal=True,
                ),
                _expect(
                    "ExpectTableRowCountToEqual",
                    "rows_match_plan",
                    "one row per planned questionnaire pass (country, language, style, strategy, "
                    "variant, trial)",
                    value=_parameter("vsm_passes"),
                ),
            ],
        ),
        gx.ExpectationSuite(
            name="marts_deviation_ratio",
            meta={"mart": "deviation_ratio"},
            expectations=[
                _between(
                    "deviation_ratio",
                    0,
                    LARGEST_FINITE,
                    "deviation_ratio_positive_finite",
                    "the deviation ratio is positive and finite",
                    strict_min=True,
                ),
                _expect(
                    "ExpectColumnValuesToNotBeNull",
                    "deviation_ratio_null_has_reason",
                    "a deviation ratio without a null_reason is a number (not null, not NaN)",
                    column="deviation_ratio",
                    row_condition=Column("null_reason").is_null(),
                ),
                _expect(
                    "ExpectTableRowCountToEqual",
                    "rows_match_plan",
                    "per planned country × style × strategy × variant: 7 dimensions × the settings the "
                    "grid asked (aligned, fixed languages, language_average)",
                    value=_parameter("deviation_ratio_rows"),
                ),
                _expect(
                    "ExpectColumnDistinctValuesToEqualSet",
                    "countries_match_plan",
                    "every planned persona country has deviation ratios, no other",
                    column="country",
                    value_set=_parameter("planned_persona_countries"),
                ),
            ],
        ),
        gx.ExpectationSuite(
            name="marts_self_consistency",
            meta={"mart": "self_consistency"},
            expectations=[
                _between("self_consistency", -1, 1, "self_consistency_within_minus1_1", "a correlation")
            ],
        ),
        gx.ExpectationSuite(
            name="marts_cultural_alignment_score",
            meta={"mart": "cultural_alignment_score"},
            expectations=[_between("cas", 0, 100, "cas_within_0_100", "CAS is within 0-100")],
        ),
        gx.ExpectationSuite(
            name="marts_cultural_alignment_matrix_correlation",
            meta={"mart": "cultural_alignment_matrix_correlation"},
            expectations=[_between("pearson", -1, 1, "pearson_within_minus1_1", "a correlation")],
        ),
        gx.ExpectationSuite(
            name="marts_value_polarity_alignment",
            meta={"mart": "value_polarity_alignment"},
            expectations=[
                _between("spearman", -1, 1, "spearman_within_minus1_1", "a rank correlation"),
                _between("spearman_us", -1, 1, "spearman_us_within_minus1_1", "a rank correlation"),
            ],
        ),
        gx.ExpectationSuite(
            name="marts_distribution_similarity",
            meta={"mart": "distribution_similarity"},
            expectations=[_between("similarity", 0, 1, "similarity_within_0_1", "1 - Wasserstein on [0, 1]")],
        ),
        gx.ExpectationSuite(
            name="marts_runs",
            meta={"mart": "runs"},
            expectations=[
                _expect("ExpectTableRowCountToEqual", "one_row_per_run", "the run has one row", value=1),
                _between(
                    "cells_planned",
                    _parameter("planned_rows"),
                    _parameter("planned_rows"),
                    "cells_planned_match_plan",
                    "the run's planned cells are the grid's",
                ),
                _between(
                    "rows_on_disk",
                    _parameter("planned_rows"),
                    _parameter("planned_rows"),
                    "rows_on_disk_match_plan",
                    "the run has one raw row per planned cell",
                ),
            ],
        ),
    ]


# --- checkpoints -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointSpec:
    """A GX checkpoint: one validation definition (the suite on one frame) plus its actions.

    Kept as our own JSON (GX's checkpoint JSON carries store-generated ids); `checkpoints.py`
    turns it into `gx.Checkpoint(validation_definitions=[...], actions=[...], result_format=...)`."""

    name: str
    stage: str  # raw | marts
    frame: str  # files | rows | cells | rates | mart:<name>
    suite: str
    index_columns: list[str]
    actions: list[dict[str, object]] = field(
        default_factory=lambda: [{"type": "update_data_docs", "site_names": [DATA_DOCS_SITE]}]
    )
    partial_unexpected_count: int = 20

    def result_format(self) -> dict[str, object]:
        return {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": list(self.index_columns),
            "partial_unexpected_count": self.partial_unexpected_count,
        }

    def to_json_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "stage": self.stage,
            "frame": self.frame,
            "suite": self.suite,
            "validation_definitions": [{"name": self.name, "data": self.frame, "suite": self.suite}],
            "actions": self.actions,
            "result_format": self.result_format(),
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, object]) -> CheckpointSpec:
        result_format = data["result_format"]
        assert isinstance(result_format, dict)
        return cls(
            name=str(data["name"]),
            stage=str(data["stage"]),
            frame=str(data["frame"]),
            suite=str(data["suite"]),
            index_columns=list(result_format["unexpected_index_column_names"]),
            actions=list(data["actions"]),  # type: ignore[arg-type]
            partial_unexpected_count=int(result_format["partial_unexpected_count"]),
        )


_MART_INDEX = {
    "vsm_country_scores": ["country", "prompt_language", "style", "strategy", "variant", "trial"],
    "deviation_ratio": ["country", "setting", "style", "strategy", "variant", "dimension"],
    "self_consistency": ["instrument", "country", "prompt_language", "style", "strategy", "variant"],
    "cultural_alignment_score": ["country", "strategy", "prompt_language", "style", "variant"],
    "cultural_alignment_matrix_correlation": [
        "strategy",
        "prompt_language",
        "style",
        "variant",
        "comparison",
    ],
    "value_polarity_alignment": ["prompt_language", "style", "reference_level", "reference_code"],
    "distribution_similarity": ["country", "prompt_language", "style", "strategy", "variant", "item_id"],
    "runs": ["run_id"],
}


def checkpoint_specs() -> list[CheckpointSpec]:
    return [
        CheckpointSpec("raw_files", "raw", "files", "raw_files", ["file", "column"]),
        CheckpointSpec("raw_responses", "raw", "rows", "raw_responses", _CELL_INDEX),
        CheckpointSpec("raw_cells", "raw", "cells", "raw_cells", _CELL_INDEX),
        CheckpointSpec("raw_rates", "raw", "rates", "raw_rates", list(RATE_GROUP)),
        *[
            CheckpointSpec(f"marts_{mart}", "marts", f"mart:{mart}", f"marts_{mart}", index)
            for mart, index in _MART_INDEX.items()
        ],
    ]


def all_suites() -> list:
    return [raw_files_suite(), raw_responses_suite(), raw_cells_suite(), raw_rates_suite(), *marts_suites()]


# --- versioned JSON ----------------------------------------------------------------------------------


def suite_json(suite) -> str:
    data = suite.to_json_dict()
    data.pop("id", None)
    data["meta"].pop("great_expectations_version", None)  # not a property of the suite
    for expectation in data["expectations"]:
        expectation.pop("id", None)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def checkpoint_json(spec: CheckpointSpec) -> str:
    return json.dumps(spec.to_json_dict(), indent=2, sort_keys=True) + "\n"


def exported_files() -> dict[Path, str]:
    """Every file of expectations/suites and expectations/checkpoints, as this module declares it."""
    files = {SUITES_DIR / f"{suite.name}.json": suite_json(suite) for suite in all_suites()}
    files.update(
        {CHECKPOINTS_DIR / f"{spec.name}.json": checkpoint_json(spec) for spec in checkpoint_specs()}
    )
    return files


def write_expectations() -> list[Path]:
    written = []
    for path, text in exported_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def load_suite(name: str, directory: Path = SUITES_DIR):
    """A suite as committed in expectations/suites/<name>.json."""
    import great_expectations as gx

    return gx.ExpectationSuite(**json.loads((directory / f"{name}.json").read_text()))


def load_checkpoint_specs(stage: str, directory: Path = CHECKPOINTS_DIR) -> list[CheckpointSpec]:
    """The committed checkpoints of one stage, in file-name order."""
    specs = [
        CheckpointSpec.from_json_dict(json.loads(path.read_text()))
        for path in sorted(directory.glob("*.json"))
    ]
    return [spec for spec in specs if spec.stage == stage]


if __name__ == "__main__":
    for path in write_expectations():
        print(path.relative_to(PROJECT_ROOT))
