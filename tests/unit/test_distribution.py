import math

import pytest

from culturewatch.probing.distribution import option_distribution


def lp(p: float) -> float:
    return math.log(p)


def test_reads_the_options_at_the_answer_token() -> None:
    # "(3) of moderate importance": the answer token is "3", at position 1
    tokens = [
        ("(", [("(", lp(0.99))]),
        ("3", [("3", lp(0.6)), ("2", lp(0.3)), (" 4", lp(0.05)), ("foo", lp(0.05))]),
        (")", [(")", lp(0.99))]),
    ]
    found = option_distribution(tokens, 1, 5)
    assert found is not None and found.position == 1
    # 0.6 + 0.3 + 0.05 = 0.95 of the mass fell on options; renormalised over them
    assert found.option_mass == pytest.approx(0.95)
    assert found.probs == pytest.approx([0, 0.3 / 0.95, 0.6 / 0.95, 0.05 / 0.95, 0])
    # expected value: (2*0.3 + 3*0.6 + 4*0.05) / 0.95 = 2.6 / 0.95
    assert found.expected_value(1) == pytest.approx(2.6 / 0.95)


def test_same_option_spelled_twice_is_summed() -> None:
    tokens = [("2", [("2", lp(0.5)), (" 2", lp(0.25)), ("1", lp(0.25))])]
    assert option_distribution(tokens, 1, 5).probs == pytest.approx([0.25, 0.75, 0, 0, 0])


def test_native_digits_are_options_too() -> None:
    tokens = [("٣", [("٣", lp(0.7)), ("3", lp(0.2)), ("٢", lp(0.1))])]
    assert option_distribution(tokens, 1, 5).probs == pytest.approx([0, 0.1, 0.9, 0, 0])


def test_no_answer_token_gives_none() -> None:
    assert option_distribution([("I", [("I", lp(0.9))]), (" agree", [(" agree", lp(0.9))])], 1, 5) is None


def test_out_of_scale_numbers_are_not_answer_tokens() -> None:
    tokens = [("7", [("7", lp(0.9))]), ("4", [("4", lp(0.8)), ("5", lp(0.2))])]
    assert option_distribution(tokens, 1, 5).position == 1


def test_multi_token_options_are_refused_explicitly() -> None:
    # on a 1-10 scale the token "1" may begin "10": one position cannot tell them apart
    assert option_distribution([("1", [("1", lp(0.9))])], 1, 10) is None
