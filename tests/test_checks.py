"""labsupport.checks: what passes (as a plain int) and the message for each kind of mistake."""
import numpy as np
import pytest

from labsupport.checks import check_int, check_non_negative, check_seed


@pytest.mark.parametrize("value, minimum", [(1, 1), (7, 1), (np.int64(3), 2), (0, 0), (-2, -5)])
def test_check_int_returns_a_plain_int(value, minimum):
    checked = check_int("units", value, minimum)
    assert checked == int(value) and type(checked) is int


@pytest.mark.parametrize(
    "value, minimum, message",
    [
        (0, 1, r"^units must be an integer >= 1, got 0$"),
        (1, 2, r"^units must be an integer >= 2, got 1$"),
        (np.int32(-1), 0, r"^units must be an integer >= 0, got "),
        (3.0, 1, r"^units must be an integer >= 1, got 3\.0 \(float\)$"),
        ("8", 1, r"^units must be an integer >= 1, got '8' \(str\)$"),
        (True, 1, r"^units must be an integer >= 1, got True \(bool\)$"),
        (None, 1, r"\(NoneType\)$"),
    ],
)
def test_check_int_rejects_with_the_argument_name(value, minimum, message):
    with pytest.raises(ValueError, match=message):
        check_int("units", value, minimum)


def test_check_seed_accepts_non_negative_integers_and_none_only_when_allowed():
    assert check_seed(0) == 0 and type(check_seed(np.uint8(5))) is int
    assert check_seed(None, allow_none=True) is None
    with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got None$"):
        check_seed(None)
    for bad in (-1, 1.5, False, "0"):
        with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got "):
            check_seed(bad)
        with pytest.raises(ValueError, match=r"^seed must be a non-negative integer or None, got "):
            check_seed(bad, allow_none=True)


def test_check_non_negative_names_the_argument_and_the_noun():
    assert check_non_negative("start_token", np.int16(0)) == 0 and type(check_non_negative("k", 4)) is int
    assert check_non_negative("end_token", None, allow_none=True) is None
    for bad in (-1, 2.0, True, None):
        with pytest.raises(ValueError, match=r"^end_token must be a non-negative integer token id, got "):
            check_non_negative("end_token", bad, noun="integer token id")
    with pytest.raises(ValueError, match=r"^index must be a non-negative integer or None, got -3$"):
        check_non_negative("index", -3, allow_none=True)
