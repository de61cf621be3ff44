"""bench.clean_identity: two cleaners' outputs compared field by field."""

from __future__ import annotations

from bench.clean_identity import differences

SAME = ("Title", ("Body.",), (1,), (), ((0, "Menu", "navigation", "main-text"),), False, "en")
SAME += (None, None, None, "site")


def test_equal_outputs_have_no_differences():
    assert differences([SAME], [SAME], ["a"]) == []


def test_each_differing_field_is_named_with_both_values():
    other = list(SAME)
    other[4] = ((0, "Menu", "promo", "generic-en/promo.x"),)
    other[6] = "de"
    lines = differences([SAME], [tuple(other)], ["doc-1"])
    assert [line.split(":")[1].strip() for line in lines] == ["removals", "language"]
    assert lines[1] == "doc-1: language: 'en' -> 'de'"


def test_an_extraction_error_on_one_side_is_a_difference():
    lines = differences([SAME], [("ExtractError", "trafilatura found no main text")], ["page"])
    assert lines == [
        "page: ('Title', ('Body.',)) -> ('ExtractError', 'trafilatura found no main text')"
    ]
