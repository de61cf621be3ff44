"""Rule packs: loading shipped and user packs, rejecting bad ones, choosing them per article."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from copydesk import boilerplate
from copydesk.boilerplate import (
    SHIPPED_RULES_DIR,
    Matcher,
    RulePackError,
    backtracking_risk,
    load_rule_packs,
    parse_pack,
    probe_rules,
    required_literals,
    rules_for,
)
from copydesk.records import REASONS

USER_PACK = """
[pack]
id = "planet"
description = "The Daily Planet"
site_name = "The Daily Planet"
domains = ["dailyplanet.example"]
markers = ["© The Daily Planet"]

[[rules]]
id = "promo.kent"
reason = "promo"
pattern = "ask clark kent"
whole = true

[[rules]]
id = "paywall.planet-plus"
reason = "paywall"
pattern = "planet\\\\+ members only"
"""

GENERIC_USER_PACK = """
[pack]
id = "house"

[[rules]]
id = "promo.podcast"
reason = "promo"
pattern = "listen to our podcast"
"""


def write_pack(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_packs_load_with_known_reasons(packs):
    assert [p.id for p in packs] == ["generic-de", "generic-en", "sofrep"]
    rules = [r for p in packs for r in p.rules]
    assert len(rules) > 20
    assert {r.reason for r in rules} <= REASONS
    assert all(r.id.startswith(f"{p.id}/") for p in packs for r in p.rules)


def test_shipped_rule_ids_are_those_of_the_toml_files(packs):
    for pack in packs:
        data = tomllib.loads((SHIPPED_RULES_DIR / f"{pack.id}.toml").read_text(encoding="utf-8"))
        assert [r.id for r in pack.rules] == [f"{pack.id}/{raw['id']}" for raw in data["rules"]]


def test_shipped_generic_packs_are_generic_and_sofrep_is_a_site(packs):
    german, generic, sofrep = packs
    assert german.is_generic and german.site_name is None
    assert generic.is_generic and generic.site_name is None
    assert not sofrep.is_generic
    assert sofrep.site_name == "SOFREP"
    assert sofrep.domains == ("sofrep.com",)


def test_user_pack_loads_after_the_shipped_ones(tmp_path):
    folder = tmp_path / "rules"
    write_pack(folder, "planet.toml", USER_PACK)
    write_pack(folder, "house.toml", GENERIC_USER_PACK)
    write_pack(folder, "notes.txt", "not a pack")
    packs = load_rule_packs([folder])
    assert [p.id for p in packs] == ["generic-de", "generic-en", "sofrep", "house", "planet"]
    planet = packs[-1]
    assert [r.id for r in planet.rules] == ["planet/promo.kent", "planet/paywall.planet-plus"]
    assert [r.reason for r in planet.rules] == ["promo", "paywall"]
    assert planet.site_name == "The Daily Planet"
    assert packs[3].is_generic


def test_user_pack_rules_match_case_insensitively_and_whole(tmp_path):
    write_pack(tmp_path, "planet.toml", USER_PACK)
    planet = load_rule_packs([tmp_path])[-1]
    kent, plus = planet.rules
    assert kent.matches("Ask Clark Kent", 5)
    assert not kent.matches("You could ask Clark Kent about it.", 5)  # whole = true
    assert plus.matches("This story is for PLANET+ MEMBERS ONLY, sorry.", 5)


def test_missing_rules_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="rules folder not found"):
        load_rule_packs([tmp_path / "nowhere"])


BAD_PACKS = {
    "unknown reason": """
[pack]
id = "bad"
[[rules]]
id = "x"
reason = "spam"
pattern = "buy now"
""",
    "bad regex": """
[pack]
id = "bad"
[[rules]]
id = "x"
reason = "promo"
pattern = "buy (now"
""",
    "missing rule id": """
[pack]
id = "bad"
[[rules]]
reason = "promo"
pattern = "buy now"
""",
    "missing pattern": """
[pack]
id = "bad"
[[rules]]
id = "x"
reason = "promo"
""",
    "missing pack id": """
[pack]
description = "no id"
[[rules]]
id = "x"
reason = "promo"
pattern = "buy now"
""",
    "no pack table": """
[[rules]]
id = "x"
reason = "promo"
pattern = "buy now"
""",
    "duplicate rule ids": """
[pack]
id = "bad"
[[rules]]
id = "x"
reason = "promo"
pattern = "buy now"
[[rules]]
id = "x"
reason = "cta"
pattern = "click"
""",
}


@pytest.mark.parametrize("case", sorted(BAD_PACKS))
def test_bad_pack_raises_value_error_naming_the_file(tmp_path, case):
    path = write_pack(tmp_path, "broken-pack.toml", BAD_PACKS[case])
    with pytest.raises(ValueError, match="bad rule pack .*broken-pack.toml") as info:
        load_rule_packs([tmp_path])
    assert str(path) in str(info.value)


def test_unknown_reason_is_named_in_the_error(tmp_path):
    write_pack(tmp_path, "broken-pack.toml", BAD_PACKS["unknown reason"])
    with pytest.raises(ValueError, match="'spam'"):
        load_rule_packs([tmp_path])


def test_two_packs_with_one_id_raise(tmp_path):
    write_pack(tmp_path, "copy.toml", GENERIC_USER_PACK.replace('"house"', '"sofrep"'))
    with pytest.raises(ValueError, match="two rule packs share an id"):
        load_rule_packs([tmp_path])


def test_markers_given_as_a_string_are_rejected(tmp_path):
    write_pack(tmp_path, "site.toml", USER_PACK.replace('["© The Daily Planet"]', '"PLANET"'))
    with pytest.raises(ValueError, match="site.toml"):
        load_rule_packs([tmp_path])


# --- which packs apply to an article


@pytest.mark.parametrize(
    ("url", "text", "applies"),
    [
        ("https://sofrep.com/news/x", "", True),
        ("https://www.sofrep.com/news/x", "", True),
        ("https://news.sofrep.com/x", "", True),
        ("http://SOFREP.COM/x", "", True),  # host names compare lower-cased
        ("https://notsofrep.com/x", "", False),
        ("https://sofrep.com.example.org/x", "", False),
        ("https://example.org/sofrep.com", "", False),
        (None, "The SOFREP News Team is a collective of journalists.", True),
        ("https://example.org/x", "Join SOFREP for insider access.", True),
        (None, "Sofrep in lower case is not the marker.", False),
        (None, "An article from nowhere in particular.", False),
        ("", "", False),
    ],
)
def test_site_pack_applies_by_domain_or_marker(packs, url, text, applies):
    sofrep = next(p for p in packs if p.id == "sofrep")
    assert sofrep.applies_to(url, text) is applies


def test_generic_pack_applies_everywhere(packs):
    generic = next(p for p in packs if p.id == "generic-en")
    assert generic.applies_to(None, "")
    assert generic.applies_to("https://sofrep.com/x", "anything")


def test_rules_for_puts_site_rules_first_and_names_the_site(packs):
    rules, site = rules_for(packs, "https://www.sofrep.com/x", "")
    ids = [r.id for r in rules]
    n_site = sum(1 for i in ids if i.startswith("sofrep/"))
    assert site == "SOFREP"
    assert n_site == len(next(p for p in packs if p.id == "sofrep").rules)
    assert all(i.startswith("sofrep/") for i in ids[:n_site])
    assert all(i.startswith(("generic-de/", "generic-en/")) for i in ids[n_site:])
    assert len(ids) == sum(len(p.rules) for p in packs)


def test_rules_for_other_sites_gives_generic_rules_only(packs):
    rules, site = rules_for(packs, "https://example.org/a", "Plain article text.")
    assert site is None
    assert {r.id.split("/")[0] for r in rules} == {"generic-de", "generic-en"}
    assert len(rules) == len(packs[0].rules) + len(packs[1].rules)


def test_rules_for_a_user_site_pack(tmp_path):
    write_pack(tmp_path, "planet.toml", USER_PACK)
    packs = load_rule_packs([tmp_path])
    by_domain, site = rules_for(packs, "https://www.dailyplanet.example/a", "")
    assert site == "The Daily Planet"
    assert [r.id for r in by_domain[:2]] == ["planet/promo.kent", "planet/paywall.planet-plus"]
    by_marker, site = rules_for(packs, None, "Text.\n© The Daily Planet 2026")
    assert site == "The Daily Planet"
    assert by_marker[0].id == "planet/promo.kent"
    _, site = rules_for(packs, "https://example.org/a", "Text.")
    assert site is None


def test_rule_max_chars_keeps_long_paragraphs_out(packs):
    rule = next(r for p in packs for r in p.rules if r.id == "generic-en/cta.click-here")
    assert rule.matches("Click here to sign up.", 5)
    long = "Click here " + "x" * (rule.max_chars + 1)
    assert not rule.matches(long, 5)


def test_section_label_rule_only_matches_at_the_top(packs):
    rule = next(r for p in packs for r in p.rules if r.id == "generic-en/section_label.common")
    assert rule.matches("News", 0)
    assert rule.matches("Politics", 1)
    assert not rule.matches("News", 5)
    assert not rule.matches("News of the day", 0)  # whole paragraph only


def test_parse_pack_without_rules_is_an_empty_pack():
    pack = parse_pack({"pack": {"id": "empty"}}, "inline")
    assert pack.rules == ()
    assert pack.is_generic


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"(?i)subscribe (now|today)", {"subscribe "}),
        (r"Share (this|on)", {"share "}),  # lower-cased: the text is lowered before the test
        (r"(?:Follow|Like) us on", {" us on"}),
        (r"(?:comment|response)s?", {"comment", "response"}),
        (r"(foo)+bar", {"foo"}),
        (r"x{0,3}yyyy", {"yyyy"}),
        (r"a|bcd", None),  # a branch without a literal of three characters
        (r"(foo)*ba", None),  # an optional literal is not required
        (r"\d+ comments?", {" comment"}),
    ],
)
def test_required_literals(pattern, literals):
    found = required_literals(re.compile(pattern))
    assert found == (frozenset(literals) if literals is not None else None)


LINES = [
    "Subscribe now",
    "SUBSCRIBE NOW",
    "* Share this:",
    "Share on Facebook",
    "Kommentare (3)",
    "Jetzt ABONNIEREN",
    "Das könnte Sie auch interessieren",
    "Mehr zum Thema",
    "Leave a Reply Cancel reply",
    "Your email address will not be published. Required fields are marked *",
    "Photo: Jane Doe/Reuters",
    "Advertisement",
    "By Jane Doe",
    "The council voted on Tuesday to extend the ferry timetable into the winter months.",
    "Weiterlesen",
    "Lesen Sie auch: Die Brücke bleibt gesperrt",
    "",
]


def test_matcher_prefilters_never_change_which_rule_matches(packs):
    every_rule = tuple(r for p in packs for r in p.rules)
    # The cleaner's main group, whose matcher has the literal test (captions have patterns
    # without a required literal, so a matcher over every rule skips it).
    boilerplate = tuple(r for r in every_rule if r.reason not in ("caption", "section_label"))
    for rules in (every_rule, boilerplate):
        fast = Matcher(rules)
        # Each index twice and out of order: the second look at a line comes from the
        # matcher's memory of the lines it has seen.
        for index in (0, 5, 0, 50, 5):
            for line in LINES:
                text = line.removeprefix("* ")
                expected = next((r for r in rules if r.matches(text, index)), None)
                assert fast.first(line, index) == expected, line
                if fast.literals is not None and line.lower() in fast.candidates([line.lower()]):
                    assert fast.first(line, index, literal_found=True) == expected, line
    assert Matcher(every_rule).literals is None
    assert Matcher(boilerplate).literals  # the cleaner's main matcher has the literal test


def test_a_remembered_line_is_matched_again_where_a_rule_has_a_max_position():
    pack = parse_pack(tomllib.loads(RULE + "max_position = 2\n"), "house.toml")
    fast = Matcher(pack.rules)
    found = [fast.first("Buy now", i) is not None for i in (0, 2, 3, 9, 1, 3, 2)]
    assert found == [True, True, False, False, True, False, True]


@pytest.mark.parametrize(
    "literals",
    [
        {"kommentar", "kommentare", "kommentar "},  # one starts another
        {"- anzeige -", "(c)", "a.b", "ab|c", "€ preis"},  # regex characters, taken literally
        {"share", "sh", "hare"},
        set(),
    ],
)
def test_the_literal_regex_finds_a_text_exactly_when_it_holds_a_literal(literals):
    finder = boilerplate._literal_regex(frozenset(literals))
    texts = [
        "",
        "kommentar",
        "komment",
        "x- anzeige -y",
        "- anzeige",
        "(c) 2026",
        "axb",
        "a.b",
        "ab|c",
        "abc",
        "€ preis",
        "sh",
        "hare",
        "s h",
        "kommentare (3)",
        "Share",
    ]
    for text in texts:
        assert (finder.search(text) is not None) == any(lit in text for lit in literals), text


# --- every field checked when a pack loads, and patterns that could stall a run refused

RULE = """
[pack]
id = "house"

[[rules]]
id = "promo.x"
reason = "promo"
pattern = "buy now"
"""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("whole = 1", "rule 'promo.x': whole must be true or false, not 1"),
        ('max_chars = "300"', "rule 'promo.x': max_chars must be a whole number, not '300'"),
        ("max_chars = 0", "rule 'promo.x': max_chars must not be 0"),
        ("also_next = true", "rule 'promo.x': also_next must be a whole number, not True"),
        ("max_position = -1", "rule 'promo.x': max_position must not be -1"),
        ("wholes = true", "rule 'promo.x': unknown field 'wholes'"),
        ("truncates = 'yes'", "rule 'promo.x': truncates must be true or false"),
    ],
)
def test_a_field_of_the_wrong_type_names_the_file_and_the_rule(tmp_path, line, message):
    write_pack(tmp_path, "house.toml", RULE + line + "\n")
    with pytest.raises(RulePackError) as info:
        load_rule_packs([tmp_path])
    text = str(info.value)
    assert text.startswith(f"bad rule pack {tmp_path / 'house.toml'}: ")
    assert message in text and "\n" not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pack\nid = 1", "not valid TOML"),
        ('[pack]\nid = "p"\nsite_name = 3', "[pack]: site_name must be a string, not 3"),
        (RULE.replace('"buy now"', '"buy (now"'), "rule 'promo.x': pattern is not a valid regex"),
        (RULE.replace('"promo"', '"spam"'), "unknown reason code 'spam'"),
    ],
)
def test_broken_packs_are_one_line_errors(tmp_path, text, message):
    write_pack(tmp_path, "house.toml", text)
    with pytest.raises(RulePackError, match="bad rule pack") as info:
        load_rule_packs([tmp_path])
    assert message in str(info.value) and "\n" not in str(info.value)


SLOW = [
    ("^(a|aa)+$", "optional end can also begin the next repetition"),
    ("(a|a?)+b", "alternatives overlap"),
    ("(x+x+)+y", "alternatives overlap|repeat directly inside a repeat"),
    ("(a+)+b", "a repeat directly inside a repeat"),
    ("(\\\\w+\\\\s?)+$", "a repeat directly inside a repeat"),
    ("^(?:\\\\s*\\\\w+)*!$", "a repeat directly inside a repeat"),
    ("(?:[a-z]+|[0-9]+)+!", "a repeat directly inside a repeat"),
    ("(?:[a-z]\\\\w*|de){0,5}!", "ending in a repeat that can also begin the next"),
]


@pytest.mark.parametrize(("pattern", "why"), SLOW, ids=[s[0] for s in SLOW])
def test_a_pattern_that_can_backtrack_for_ever_is_refused_naming_its_rule(tmp_path, pattern, why):
    write_pack(tmp_path, "house.toml", RULE.replace('"buy now"', f'"{pattern}"'))
    with pytest.raises(RulePackError, match=why) as info:
        load_rule_packs([tmp_path])
    assert "rule 'promo.x'" in str(info.value) and "exponential time" in str(info.value)


def test_the_refused_shape_is_really_slow():
    """The check is about time: a refused pattern takes a hundred times longer on a line of
    31 characters than its safe rewrite (each at its fastest of three tries)."""
    import time

    def seconds(pattern: str, line: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert re.fullmatch(pattern, line) is None
            times.append(time.perf_counter() - start)
        return min(times)

    line = "a" * 30 + "!"
    assert seconds("^(a|aa)+$", line) > 100 * seconds("^a+$", line)
    assert backtracking_risk(re.compile("^a+$")) is None


SAFE = [
    "(?:ad-free |digital )+access",
    "(?:\\w+ )*?x",
    "(a|b)+!",
    "(\\d+,)+!",
    "(?: (?:[a-z]\\w*|de)){0,5}!",  # the shape of the shipped byline rule
    "(?:\\s+\\w+)+!",
    "(a+b+)+!",
    "(?:[^,]+,)+x",
    "(?:\\w+\\W+)+end",
    "(\\w|\\d)+!",
]


@pytest.mark.parametrize("pattern", SAFE)
def test_repeats_that_split_a_text_one_way_only_are_accepted_and_fast(pattern):
    import time

    regex = re.compile(pattern, re.IGNORECASE)
    assert backtracking_risk(regex) is None
    for line in ["a" * 40, "a " * 40, "ab" * 40, "a," * 40, "hello " * 20, "1" * 40]:
        start = time.perf_counter()
        regex.search(line + "#")
        assert time.perf_counter() - start < 0.05, line


# --- probing: a pattern the shape check does not know still cannot stall a run


def test_shipped_rules_finish_their_probe_lines(packs):
    assert probe_rules([r for p in packs for r in p.rules]) is None


def test_a_slow_pattern_the_shape_check_misses_is_caught_by_its_probes(tmp_path, monkeypatch):
    """The pattern (?:a\\w*b)+ splits "abab...ab" in 2**n ways, but ends in a literal: no
    shape rule fires. Its probe lines do not finish, and the pack is refused naming the rule."""
    pattern = "(?:a\\w*b)+!"
    assert backtracking_risk(re.compile(pattern, re.IGNORECASE)) is None
    path = write_pack(tmp_path, "house.toml", RULE.replace('"buy now"', f"'{pattern}'"))
    monkeypatch.setattr(boilerplate, "PROBE_SECONDS", 1.0)
    with pytest.raises(RulePackError) as info:
        load_rule_packs([tmp_path])
    assert str(info.value).startswith(
        f"bad rule pack {path}: rule 'promo.x': pattern did not finish its probe lines"
    )
    # The same pack with a safe pattern loads, probes included.
    write_pack(tmp_path, "house.toml", RULE.replace('"buy now"', "'(?:a\\w*?b)!'"))
    assert [p.id for p in load_rule_packs([tmp_path])][-1] == "house"
