"""Why two deviation-ratio settings of a country show the same number: they read the same prompts.

`aligned` asks a country in its own language, `english` and `chinese` in one fixed language (dbt var
`dr_language_settings`, read from dbt_project.yml: one definition), `language_average` pools every
language asked. In an English-only run the United States' `aligned`, `english` and
`language_average` rows are therefore one and the same measurement; readers (the CLI and demo
summary, the Alignment view, the report) say so beside the number instead of leaving it a puzzle.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import yaml

from culturewatch.settings import DBT_PROJECT_DIR

ALIGNED, LANGUAGE_AVERAGE = "aligned", "language_average"


@cache
def fixed_language_settings() -> dict[str, str]:
    """Settings fixed to one prompt language, e.g. {'english': 'en', 'chinese': 'zh'}."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project["vars"]["dr_language_settings"])


def setting_languages(own_language: str | None, asked: Iterable[str]) -> dict[str, frozenset[str]]:
    """The prompt languages each setting reads for a country asked in `asked`."""
    asked_set = frozenset(asked)
    languages = {ALIGNED: frozenset({own_language}) & asked_set if own_language else frozenset()}
    for setting, language in fixed_language_settings().items():
        languages[setting] = frozenset({language}) & asked_set
    languages[LANGUAGE_AVERAGE] = asked_set
    return languages


def same_prompts_note(setting: str, own_language: str | None, asked: Iterable[str]) -> str | None:
    """`same prompts as english, language_average (en only)` when other settings of the country read
    exactly the prompts this one reads; None otherwise."""
    languages = setting_languages(own_language, asked)
    mine = languages.get(setting)
    if not mine:
        return None
    twins = [other for other, theirs in languages.items() if other != setting and theirs == mine]
    if not twins:
        return None
    return f"same prompts as {', '.join(twins)} ({', '.join(sorted(mine))} only)"
