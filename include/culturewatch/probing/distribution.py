"""Answer distributions from one forward pass: option probabilities read from `top_logprobs`.

The answer token is the first generated token that is, once digits are normalised and
brackets and spaces stripped, an option number of the scale ("(3)" → the token "3"). The
probability of option k is the summed probability of the top-logprob candidates at that
position that read as k (" 3" and "3" are both 3). `option_mass` records how much of the
position's probability the options covered; the distribution is renormalised over them.

Options of more than one token are handled explicitly by refusing: on a scale that reaches
10, the token "1" may begin "1" or "10", and one position's logprobs cannot tell them apart,
so such items fall back to the parsed (sampled) answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from culturewatch.probing.parse import normalise_digits

TokenLogprobs = list[tuple[str, list[tuple[str, float]]]]
"""Per generated token: (token, [(candidate, logprob), ...])."""

_STRIP = " \t\n()[]（）*:.-"


@dataclass(frozen=True)
class OptionDistribution:
    probs: list[float]
    option_mass: float
    position: int

    def reversed(self) -> OptionDistribution:
        """The same distribution over the options in reverse order."""
        return OptionDistribution(self.probs[::-1], self.option_mass, self.position)

    def expected_value(self, scale_min: int) -> float:
        return sum((scale_min + index) * p for index, p in enumerate(self.probs))


def _as_option(token: str, scale_min: int, scale_max: int) -> int | None:
    text = normalise_digits(token).strip(_STRIP)
    if text.isdigit() and scale_min <= int(text) <= scale_max:
        return int(text)
    return None


def option_distribution(tokens: TokenLogprobs, scale_min: int, scale_max: int) -> OptionDistribution | None:
    """The option distribution at the answer token, or None (no answer token, or multi-token options)."""
    if scale_max >= 10:
        return None
    for position, (token, candidates) in enumerate(tokens):
        if _as_option(token, scale_min, scale_max) is None:
            continue
        mass = [0.0] * (scale_max - scale_min + 1)
        for candidate, logprob in candidates:
            option = _as_option(candidate, scale_min, scale_max)
            if option is not None:
                mass[option - scale_min] += math.exp(logprob)
        total = sum(mass)
        if total <= 0:
            return None
        return OptionDistribution([m / total for m in mass], min(total, 1.0), position)
    return None
