"""Generated questions: parse the model's JSON reply and filter what is unusable (Appendix C).

A reply becomes a `SurveyQuestion` or a rejection with one reason: `malformed` (no JSON object, or
no question text), `no_options` (fewer than `min_options` usable options), `too_many_options`,
`inconsistent_options` (some options numbered, others not: the paper's format error 2),
`wrong_topic` (the reply names another topic) or `duplicate` (the same normalised text as a seed
or an earlier question). `QuestionFilter` keeps the counts, so a run logs what it dropped and why;
nothing here raises on bad model output.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Literal

Rejection = Literal[
    "malformed", "no_options", "too_many_options", "inconsistent_options", "wrong_topic", "duplicate"
]
REJECTIONS: tuple[Rejection, ...] = (
    "malformed",
    "no_options",
    "too_many_options",
    "inconsistent_options",
    "wrong_topic",
    "duplicate",
)
_NUMBERED = re.compile(r"^\s*\(?(?:\d{1,2}\s*[.):\-]|[A-Za-z][.)])\s*(.*)$")


@dataclass(frozen=True)
class SurveyQuestion:
    """A multiple-choice question: option labels in order, shown as codes 1..K (seeds keep theirs)."""

    id: str
    topic: str
    text: str
    options: tuple[str, ...]
    option_code_base: int = 1
    source: Literal["seed", "generated"] = "generated"

    @property
    def codes(self) -> list[int]:
        return [self.option_code_base + index for index in range(len(self.options))]

    def options_text(self) -> str:
        """As the repo shows options in prompts: "1.Very important 2.Rather important"."""
        return " ".join(f"{code}.{label}" for code, label in zip(self.codes, self.options, strict=True))

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "options": list(self.options)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SurveyQuestion:
        return cls(**{**data, "options": tuple(data["options"])})  # type: ignore[arg-type]


@dataclass(frozen=True)
class ParsedReply:
    question: SurveyQuestion | None
    rejection: Rejection | None
    detail: str = ""


def normalise_text(text: str) -> str:
    """Case, punctuation and spacing folded: the duplicate key."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _json_object(reply: str) -> dict | None:
    """The first JSON object in the reply (code fences and chatter around it are ignored)."""
    decoder = json.JSONDecoder()
    for start in [match.start() for match in re.finditer(r"\{", reply)]:
        try:
            value, _ = decoder.raw_decode(reply[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _field(data: dict, name: str) -> object:
    """A key matched case-insensitively, tolerating the template's own typo `"Question:"`."""
    for key, value in data.items():
        if isinstance(key, str) and key.strip().rstrip(":").strip().lower() == name:
            return value
    return None


def _clean_options(raw: object) -> tuple[list[str], bool]:
    """Option labels without their numbering; False when numbering is inconsistent."""
    if isinstance(raw, str):
        raw = [part for part in re.split(r"\s*[,;|\n]\s*", raw) if part]
    if not isinstance(raw, list):
        return [], True
    labels = [str(item).strip() for item in raw if isinstance(item, str | int | float) and str(item).strip()]
    numbered = [_NUMBERED.match(label) for label in labels]
    has_text = [bool(match and match.group(1).strip()) for match in numbered]
    if labels and all(has_text):
        return [match.group(1).strip() for match in numbered if match], True
    if any(has_text):
        return labels, False
    return labels, True


def parse_reply(reply: str | None, topic: str, id_: str, min_options: int, max_options: int) -> ParsedReply:
    """One generation reply → a question for `topic`, or the reason it is unusable."""
    data = _json_object(reply or "")
    if data is None:
        return ParsedReply(None, "malformed", "no JSON object in the reply")
    text = _field(data, "question")
    if not isinstance(text, str) or not text.strip():
        return ParsedReply(None, "malformed", "no question text")
    named_topic = _field(data, "topic")
    if (
        isinstance(named_topic, str)
        and named_topic.strip()
        and normalise_text(named_topic) != normalise_text(topic)
    ):
        return ParsedReply(None, "wrong_topic", f"reply names topic {named_topic!r}")
    options, consistent = _clean_options(_field(data, "options"))
    if not consistent:
        return ParsedReply(None, "inconsistent_options", "some options numbered, others not")
    if len(set(options)) < min_options:
        return ParsedReply(None, "no_options", f"{len(set(options))} distinct option(s)")
    if len(options) > max_options:
        return ParsedReply(None, "too_many_options", f"{len(options)} options")
    if len(set(options)) != len(options):
        return ParsedReply(None, "no_options", "repeated options")
    return ParsedReply(
        SurveyQuestion(id=id_, topic=topic, text=" ".join(text.split()), options=tuple(options)), None
    )


@dataclass
class QuestionFilter:
    """Accepts parsed questions unless rejected or duplicated; counts every outcome."""

    seen: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    rejected: list[dict[str, object]] = field(default_factory=list)

    @classmethod
    def with_seeds(cls, seeds: list[SurveyQuestion]) -> QuestionFilter:
        return cls(seen={normalise_text(seed.text) for seed in seeds})

    def admit(self, parsed: ParsedReply, reply: str | None = None) -> SurveyQuestion | None:
        reason, detail = parsed.rejection, parsed.detail
        if parsed.question is not None and normalise_text(parsed.question.text) in self.seen:
            reason, detail = "duplicate", "same text as a seed or an earlier question"
        if reason is not None or parsed.question is None:
            self.counts[reason or "malformed"] += 1
            self.rejected.append({"reason": reason, "detail": detail, "reply": reply})
            return None
        self.seen.add(normalise_text(parsed.question.text))
        self.counts["accepted"] += 1
        return parsed.question

    def summary(self) -> dict[str, int]:
        return {"accepted": self.counts["accepted"], **{reason: self.counts[reason] for reason in REJECTIONS}}
