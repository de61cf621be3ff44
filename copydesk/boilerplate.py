"""Boilerplate rule packs: data files of patterns grouped by reason, and matching them."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from re import _constants, _parser  # type: ignore[attr-defined]  # the parser re itself uses
from typing import Any
from urllib.parse import urlsplit

from copydesk.records import check_reason

log = logging.getLogger(__name__)

SHIPPED_RULES_DIR = Path(__file__).parent / "rules"
DEFAULT_MAX_CHARS = 300  # a longer paragraph is body text even if it quotes a boilerplate phrase
SEEN_LINES = 20_000  # lines whose match a Matcher keeps (each at most its max_chars long)
# A list bullet as a page dump renders it ("* Share this", "+ Lesen Sie auch"): rules match
# the line's text after it.
_BULLET = re.compile(r"^[*+•·▪►»›-]\s+")


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern that marks a paragraph as boilerplate of a given reason."""

    id: str  # "<pack>/<rule>", the rule id a removal records
    reason: str
    regex: re.Pattern[str]
    whole: bool = False
    max_chars: int = DEFAULT_MAX_CHARS
    max_position: int | None = None
    also_next: int = 0
    then_headlines: bool = False
    truncates: bool = False

    def __hash__(self) -> int:
        # The id names the rule (equal rules have equal ids): hashing it alone keeps the
        # per-article lookups of matchers cheap, where hashing every field of every rule was not.
        return hash(self.id)

    def matches(self, text: str, index: int) -> bool:
        """Whether this rule marks the paragraph `text` (bullet already stripped) at `index`."""
        if len(text) > self.max_chars:
            return False
        if self.max_position is not None and index > self.max_position:
            return False
        found = self.regex.fullmatch(text) if self.whole else self.regex.search(text)
        return found is not None


_UNSEEN = object()  # a line the Matcher has not matched yet (None means: no rule)


class Matcher:
    """The first of some rules that marks a paragraph. Most paragraphs match none, so two
    cheap tests come first: whether the paragraph holds any of the literal words the rules'
    patterns require (one regex finds any of them), then two regexes made of all the patterns
    (whole-paragraph ones, and the rest), and only then each rule."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.max_chars = max((r.max_chars for r in self.rules), default=-1)
        required = [required_literals(r.regex) for r in self.rules]
        self.literals = _union(required)
        self.any_literal = _literal_regex(self.literals) if self.literals is not None else None
        self.any_whole = _alternation([r for r in self.rules if r.whole])
        self.any_part = _alternation([r for r in self.rules if not r.whole])
        # Below every rule's max_position, a paragraph's index no longer changes its match.
        self.past_positions = 1 + max(
            (r.max_position for r in self.rules if r.max_position is not None), default=-1
        )
        self.seen: dict[tuple[str, int], Rule | None] = {}

    def first(self, text: str, index: int, literal_found: bool = False) -> Rule | None:
        """The first rule that marks the paragraph at `index`, or None. `literal_found`: the
        caller knows the paragraph holds a required literal (it is one of `candidates`)."""
        if len(text) > self.max_chars:
            return None
        # Pages of a site repeat their menus, prompts and footers (a third of the lines of
        # the dev pages' dumps repeat one seen before): each is matched once.
        key = (text, min(index, self.past_positions))
        # One lookup, not `in` then `[]`: a batch cleaning on another thread may clear the dict
        # between the two.
        rule = self.seen.get(key, _UNSEEN)
        if rule is not _UNSEEN:
            return rule  # type: ignore[return-value]
        if len(self.seen) >= SEEN_LINES:
            self.seen.clear()
        rule = self.seen[key] = self._first(text, index, literal_found)
        return rule

    def _first(self, text: str, index: int, literal_found: bool) -> Rule | None:
        text = _BULLET.sub("", text)
        if not literal_found and self.any_literal is not None:
            if not self.any_literal.search(text.lower()):
                return None
        if not (
            (self.any_whole and self.any_whole.fullmatch(text))
            or (self.any_part and self.any_part.search(text))
        ):
            return None
        return next((r for r in self.rules if r.matches(text, index)), None)

    def candidates(self, texts: Sequence[str]) -> set[int] | None:
        """Indexes of the texts that hold one of the literal words the rules require: the
        only ones `first` can match (None when the rules require none). One search of all the
        literals over the whole article, from line to line, instead of one per paragraph."""
        if self.any_literal is None:
            return None
        joined = "\n".join(texts).lower()
        starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        found: set[int] = set()
        at = self.any_literal.search(joined)
        while at is not None:
            line = bisect_right(starts, at.start()) - 1
            found.add(line)
            # The line holds a literal: go on from the next one.
            at = (
                self.any_literal.search(joined, starts[line + 1])
                if line + 1 < len(starts)
                else None
            )
        return found


MIN_LITERAL = 3  # shorter literals ("by", "of") are in too many paragraphs to rule any out


def required_literals(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case strings one of which is in every text the regex matches (a run of literal
    characters every match passes through, or one such run per branch of an alternation),
    or None when the pattern has none of MIN_LITERAL characters or more."""
    return _required(list(_parser.parse(regex.pattern, regex.flags)))


def _required(items: list) -> frozenset[str] | None:
    options, run = [], []  # options: sets of strings, each set required (one of its strings)
    for op, arg in [*items, (None, None)]:
        if op is _constants.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            options.append(frozenset(["".join(run).lower()]))
            run = []
        found = None
        if op is _constants.SUBPATTERN:
            found = _required(list(arg[-1]))
        elif op is _constants.BRANCH:
            branches = [_required(list(b)) for b in arg[1]]
            found = _union(branches)
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT) and arg[0] >= 1:
            found = _required(list(arg[2]))
        if found:
            options.append(found)
    options = [o for o in options if min(map(len, o)) >= MIN_LITERAL]
    return max(options, key=lambda o: min(map(len, o)), default=None)


def _union(sets: Sequence[frozenset[str] | None]) -> frozenset[str] | None:
    """All the literals of the sets, or None when any of them is unknown."""
    known = [found for found in sets if found is not None]
    return frozenset().union(*known) if len(known) == len(sets) else None


def _literal_regex(literals: Iterable[str]) -> re.Pattern[str]:
    """One regex that finds where any of the literals is: their trie as a pattern, so the
    engine follows one branch per character instead of trying every literal at every place
    (a literal that another one starts with stands for both: finding it is enough)."""
    trie: dict = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}  # a literal ends here
    return re.compile(_trie_pattern(trie))


def _trie_pattern(node: dict) -> str:
    if "" in node:
        return ""  # a literal ends here; longer ones through this node add nothing
    branches = [re.escape(char) + _trie_pattern(child) for char, child in sorted(node.items())]
    if not branches:
        return "(?!)"  # no literals: nothing to find
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def _alternation(rules: Sequence[Rule]) -> re.Pattern[str] | None:
    """One regex matching wherever one of the rules' patterns does, each with its own case
    flag; an empty pattern (matching everything) when the patterns cannot be joined."""
    if not rules:
        return None
    joined = "|".join(
        f"(?{'i' if r.regex.flags & re.IGNORECASE else '-i'}:{r.regex.pattern})" for r in rules
    )
    try:
        return re.compile(joined)
    except re.error:  # a pattern that only compiles on its own (e.g. a global flag)
        return re.compile(".*", re.DOTALL)


@lru_cache(maxsize=256)
def matcher(rules: tuple[Rule, ...]) -> Matcher:
    """The Matcher of these rules, built once per combination of packs."""
    return Matcher(rules)


@dataclass(frozen=True, slots=True)
class RulePack:
    """Rules for all sites (no domains, no markers) or for one site."""

    id: str
    rules: tuple[Rule, ...]
    site_name: str | None = None
    domains: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()

    @property
    def is_generic(self) -> bool:
        return not self.domains and not self.markers

    def applies_to(self, url: str | None, text: str) -> bool:
        """Whether the pack is for the site of this url, or its marker is in the text."""
        if self.is_generic:
            return True
        host = (urlsplit(url).hostname or "") if url else ""
        if any(host == d or host.endswith("." + d) for d in self.domains):
            return True
        return any(m in text for m in self.markers)


class RulePackError(ValueError):
    """A rule pack that cannot be used; its text is one line naming the file and the rule."""


# The fields a pack and a rule may have, with their types; anything else is a typo.
PACK_FIELDS: dict[str, type] = {
    "id": str,
    "site_name": str,
    "description": str,
    "domains": list,
    "markers": list,
}
RULE_FIELDS: dict[str, type] = {
    "id": str,
    "reason": str,
    "pattern": str,
    "whole": bool,
    "case_sensitive": bool,
    "max_chars": int,
    "max_position": int,
    "also_next": int,
    "then_headlines": bool,
    "truncates": bool,
}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", list: "a list"}


def _check_fields(table: object, fields: dict[str, type], where: str) -> dict:
    """`table` itself after checking it is a TOML table of known fields of the right types."""
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, not {table!r}")
    for key, value in table.items():
        if key not in fields:
            raise ValueError(f"{where}: unknown field {key!r} (known: {', '.join(fields)})")
        kind = fields[key]
        # TOML true is a Python int too: a bool is no number here.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{where}: {key} must be {_TYPE_NAMES[kind]}, not {value!r}")
        if isinstance(value, int) and kind is int and value < (1 if key == "max_chars" else 0):
            raise ValueError(f"{where}: {key} must not be {value}")
    return table


def parse_pack(data: dict, origin: str) -> RulePack:
    """A RulePack from the parsed TOML of a rule file; `origin` names it in errors. Every
    field's type is checked and every pattern compiled and checked for exponential
    backtracking; raises RulePackError naming the file and the rule."""
    where = "pack"
    try:
        if "pack" not in data:
            raise ValueError("no [pack] table")
        head = _check_fields(data["pack"], PACK_FIELDS, "[pack]")
        if not head.get("id"):
            raise ValueError("[pack] has no id")
        pack_id = head["id"]
        unknown = set(data) - {"pack", "rules"}
        if unknown:
            raise ValueError(f"unknown table {sorted(unknown)[0]!r} (known: pack, rules)")
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise ValueError("rules must be an array of tables ([[rules]])")
        rules = []
        for number, raw in enumerate(raw_rules, start=1):
            where = f"rule {raw.get('id', f'#{number}') if isinstance(raw, dict) else number!r}"
            _check_fields(raw, RULE_FIELDS, where)
            for key in ("id", "reason", "pattern"):
                if not raw.get(key):
                    raise ValueError(f"{where}: {key} is missing or empty")
            flags = 0 if raw.get("case_sensitive") else re.IGNORECASE
            try:
                regex = re.compile(raw["pattern"], flags)
            except re.error as exc:
                raise ValueError(f"{where}: pattern is not a valid regex ({exc})") from None
            if risk := backtracking_risk(regex):
                raise ValueError(
                    f"{where}: pattern {raw['pattern']!r} can take exponential time on some "
                    f"paragraphs ({risk}); rewrite it so that no repeated part can match the "
                    "same text in two ways"
                )
            rules.append(
                Rule(
                    id=f"{pack_id}/{raw['id']}",
                    reason=check_reason(raw["reason"]),
                    regex=regex,
                    whole=raw.get("whole", False),
                    max_chars=raw.get("max_chars", DEFAULT_MAX_CHARS),
                    max_position=raw.get("max_position"),
                    also_next=raw.get("also_next", 0),
                    then_headlines=raw.get("then_headlines", False),
                    truncates=raw.get("truncates", False),
                )
            )
        where = "pack"
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate rule ids")
        for key in ("domains", "markers"):
            if not all(isinstance(v, str) and v for v in head.get(key, [])):
                raise ValueError(f"[pack]: {key} must be a list of strings")
    except ValueError as exc:
        where_text = "" if where == "pack" or str(exc).startswith(where) else f"{where}: "
        raise RulePackError(f"bad rule pack {origin}: {where_text}{exc}") from None
    return RulePack(
        id=pack_id,
        rules=tuple(rules),
        site_name=head.get("site_name"),
        domains=tuple(head.get("domains", ())),
        markers=tuple(head.get("markers", ())),
    )


# --- patterns that can backtrack for ever

_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT)
_ZERO_WIDTH = (_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT)


def backtracking_risk(regex: re.Pattern[str]) -> str | None:
    """Why Python's backtracking engine can take exponential time on this pattern, or None:
    a repeated part whose only required piece is itself repeated ("(a+)+", "(\\w+\\s?)+"), or
    a repeated choice between alternatives that can start with the same character
    ("(a|aa)+"). A check of the two shapes that cause it in practice, not a proof."""
    return _risk(list(_parser.parse(regex.pattern, regex.flags)))


def _risk(items: list) -> str | None:
    for op, arg in items:
        inner: list[list] = []
        if op in _REPEATS:
            _, high, body = arg
            body = _core(list(body))
            if high > 1 and (why := _ambiguous(body, many=high > MANY)):
                return why
            inner = [body]
        elif op is _constants.SUBPATTERN:
            inner = [list(arg[-1])]
        elif op is _constants.BRANCH:
            inner = [list(b) for b in arg[1]]
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
            inner = [list(arg[1])]
        for part in inner:
            if found := _risk(part):
                return found
    return None


# A choice repeated at most this often costs at most 2**MANY tries per start: the shipped
# byline rule repeats "(?: (?:Name|de|van|...))" up to 5 times, and "de" is also a Name.
MANY = 10


def _ambiguous(body: list, many: bool) -> str | None:
    """Why one text can be split into repetitions of `body` in many ways, or None."""
    required = [i for i, item in enumerate(body) if not _nullable(item)]
    nested = [i for i, item in enumerate(body) if _is_loop(item)]
    if nested and set(required) <= set(nested):
        # "(a+)+", "(\\s*\\w+)+", "([a-z]+|[0-9]+)+": an inner repeat does the work of the
        # outer one in many ways; "(x+x+)+": two repeats trade characters. "(\\s+\\w+)+"
        # splits a text one way only.
        runs = [_first([body[i]]) for i in required]
        pairs = zip(runs, runs[1:] + runs[:1], strict=True)
        if len(runs) <= 1 or any(a.overlaps(b) for a, b in pairs):
            return "a repeat directly inside a repeat"
    if _ends(body).overlaps(_first(body)):  # "(?:[a-z]\\w*)+": where does a word split?
        return "a repeated part ending in a repeat that can also begin the next repetition"
    if not many:
        return None
    for op, arg in body:
        if op is _constants.BRANCH:
            choices = [list(b) for b in arg[1]]
            firsts = [_first(c) for c in choices]
            empty = [all(_nullable(i) for i in c) for c in choices]
            for i in range(len(choices)):
                for j in range(i + 1, len(choices)):
                    if (empty[i] and empty[j]) or firsts[i].overlaps(firsts[j]):
                        return "a repeated choice whose alternatives overlap"
    tail = body[required[-1] + 1 :] if required else []
    if tail and _first(body).overlaps(_first(tail)):
        return "a repeated part whose optional end can also begin the next repetition"
    return None


def _is_loop(item: tuple) -> bool:
    """Whether `item` repeats something, or is a group or choice whose one required part
    does (as "[a-z]+" in "(?:[a-z]+|[0-9]+)")."""
    op, arg = item
    if op in _REPEATS:
        return arg[1] > 1
    if op is _constants.SUBPATTERN:
        alternatives = [list(arg[-1])]
    elif op is _constants.BRANCH:
        alternatives = [list(b) for b in arg[1]]
    else:
        return False
    for items in alternatives:
        required = [i for i in items if not _nullable(i)]
        if len(required) == 1 and _is_loop(required[0]):
            return True
        if not required and any(_is_loop(i) for i in items):
            return True
    return False


def _ends(items: list) -> _Chars:
    """The characters of the repeats a match of `items` can end with."""
    chars = _Chars()
    for op, arg in reversed(items):
        if op in _REPEATS and arg[1] > 1:
            chars |= _first(list(arg[2]))
        elif op is _constants.SUBPATTERN:
            chars |= _ends(list(arg[-1]))
        elif op is _constants.BRANCH:
            for branch in arg[1]:
                chars |= _ends(list(branch))
        if not _nullable((op, arg)):
            break
    return chars


def _core(items: list) -> list:
    """A group's items with groups of one group unwrapped."""
    while len(items) == 1 and items[0][0] is _constants.SUBPATTERN:
        items = list(items[0][1][-1])
    return items


def _nullable(item: tuple) -> bool:
    op, arg = item
    if op in _ZERO_WIDTH:
        return True
    if op in _REPEATS:
        return arg[0] == 0 or all(_nullable(i) for i in arg[2])
    if op is _constants.SUBPATTERN:
        return all(_nullable(i) for i in arg[-1])
    if op is _constants.BRANCH:
        return any(all(_nullable(i) for i in b) for b in arg[1])
    return False


# Characters on which two character classes are tried against each other, besides the
# literal characters the patterns name: ASCII, Latin-1, and a few spaces, digits and letters
# of other scripts.
_SAMPLE = frozenset(map(chr, range(0x250))) | frozenset(
    "\u2028\u3000\u2019\u20ac\u0663\u0451\u4e2d"
)
_CATEGORIES = {
    _constants.CATEGORY_DIGIT: str.isdigit,
    _constants.CATEGORY_SPACE: str.isspace,
    _constants.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    _constants.CATEGORY_LINEBREAK: lambda c: c == "\n",
}
_CATEGORIES.update(
    {
        _constants.CATEGORY_NOT_DIGIT: lambda c: not c.isdigit(),
        _constants.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
        _constants.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
        _constants.CATEGORY_NOT_LINEBREAK: lambda c: c != "\n",
    }
)


@dataclass(frozen=True, slots=True)
class _Chars:
    """The characters a piece of pattern can start with: tests on one character, and the
    literal characters among them. Case is ignored (a safe guess either way)."""

    tests: tuple = ()
    literals: frozenset[str] = frozenset()

    def __or__(self, other: _Chars) -> _Chars:
        return _Chars(self.tests + other.tests, self.literals | other.literals)

    def overlaps(self, other: _Chars) -> bool:
        """Whether some character can start both."""
        if not self.tests or not other.tests:
            return False
        for char in _SAMPLE | self.literals | other.literals:
            forms = {f for f in (char, char.lower(), char.upper()) if len(f) == 1}
            if any(t(f) for t in self.tests for f in forms) and any(
                t(f) for t in other.tests for f in forms
            ):
                return True
        return False


_ANY = _Chars((lambda c: True,))


def _class(op: object, arg: Any) -> _Chars:
    """The characters one LITERAL, NOT_LITERAL, IN or ANY item matches."""
    if op is _constants.LITERAL:
        char = chr(arg)
        return _Chars((lambda c: c == char,), frozenset(char))
    if op is _constants.NOT_LITERAL:
        char = chr(arg)
        return _Chars((lambda c: c != char,))
    if op is _constants.IN:
        negate = bool(arg) and arg[0][0] is _constants.NEGATE
        parts = _Chars()
        for kind, value in arg[1:] if negate else arg:
            if kind is _constants.RANGE:
                parts |= _Chars((lambda c, lo=value[0], hi=value[1]: lo <= ord(c) <= hi,))
            elif kind is _constants.CATEGORY and value in _CATEGORIES:
                parts |= _Chars((_CATEGORIES[value],))
            else:
                parts |= _class(kind, value)
        if negate:
            return _Chars((lambda c, inside=parts.tests: not any(t(c) for t in inside),))
        return parts
    return _ANY  # any character, a back reference, ...


def _first(items: list) -> _Chars:
    """The characters a match of `items` can start with."""
    chars = _Chars()
    for op, arg in items:
        if op in _ZERO_WIDTH:
            continue
        if op is _constants.SUBPATTERN:
            found = _first(list(arg[-1]))
        elif op is _constants.BRANCH:
            found = _Chars()
            for branch in arg[1]:
                found |= _first(list(branch))
        elif op in _REPEATS:
            found = _first(list(arg[2]))
        else:
            found = _class(op, arg)
        chars |= found
        if not _nullable((op, arg)):
            return chars
    return chars


def load_rule_packs(extra_dirs: Iterable[Path] = ()) -> tuple[RulePack, ...]:
    """The shipped rule packs, then every *.toml pack in `extra_dirs`; raises RulePackError
    (one line naming the file and the rule) for a pack that cannot be used."""
    shipped = sorted(SHIPPED_RULES_DIR.glob("*.toml"))
    files = list(shipped)
    for folder in extra_dirs:
        if not folder.is_dir():
            raise FileNotFoundError(f"rules folder not found: {folder}")
        files.extend(sorted(folder.glob("*.toml")))
    packs, origins = [], {}
    for path in files:
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise RulePackError(f"bad rule pack {path}: not valid TOML ({exc})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RulePackError(f"bad rule pack {path}: cannot be read ({exc})") from None
        packs.append(parse_pack(data, str(path)))
        origins[packs[-1].id] = path
    pack_ids = [p.id for p in packs]
    if len(pack_ids) != len(set(pack_ids)):
        raise RulePackError(f"two rule packs share an id: {pack_ids}")
    # The shipped packs are probed by the tests; a user's are probed each time they load.
    user_rules = [r for p in packs[len(shipped) :] for r in p.rules]
    if slow := probe_rules(user_rules, PROBE_SECONDS):
        rule_id, seconds = slow
        pack_id, _, rule = rule_id.partition("/")
        raise RulePackError(
            f"bad rule pack {origins[pack_id]}: rule {rule!r}: pattern did not finish its "
            f"probe lines (runs of one or two characters) in {seconds:g} s, so some "
            "paragraph could stall a run; rewrite it so that no repeated part can match the "
            "same text in two ways"
        )
    log.debug("loaded %s rule packs", len(packs))
    return tuple(packs)


PROBE_SECONDS = 5.0  # for all the probes of all user rules; a safe pattern takes microseconds
PROBE_LENGTH = 60  # characters: 2**60 steps for an exponential pattern, 60**3 for a cubic one
_PROBE = """
import json, re, sys
for rule_id, pattern, flags, lines in json.load(sys.stdin):
    print(rule_id, flush=True)
    regex = re.compile(pattern, flags)
    for line in lines:
        regex.search(line)
        regex.fullmatch(line)
print("done", flush=True)
"""


def probe_rules(rules: Sequence[Rule], seconds: float = PROBE_SECONDS) -> tuple[str, float] | None:
    """The id of a rule whose pattern does not finish on its probe lines within `seconds`
    (with the seconds), or None. The probes run in a child process that is stopped on time,
    since a regex search in Python cannot be interrupted. They are runs of one character or
    two, of the pattern's own characters and common ones, each after each of the pattern's
    required words, ending in a character that makes the match fail: the lines on which a
    backtracking pattern tries every way to split the run. A check beside
    backtracking_risk, for the shapes it does not know."""
    if not rules:
        return None
    jobs = [(r.id, r.regex.pattern, r.regex.flags, _probe_lines(r)) for r in rules]
    command = [sys.executable, "-c", _PROBE]
    try:
        done = subprocess.run(
            command, input=json.dumps(jobs), capture_output=True, text=True, timeout=seconds
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        started = out.split()
        return (started[-1] if started else rules[0].id), seconds
    if not done.stdout.endswith("done\n"):
        log.warning("rule probes did not run: %s", done.stderr.strip()[-300:])
    return None


def _probe_lines(rule: Rule) -> list[str]:
    length = max(1, min(PROBE_LENGTH, rule.max_chars))
    # The characters the pattern names (a few extra from escapes such as \\w do no harm).
    named = {c for c in rule.regex.pattern if c.isalnum() or c in " ,.:;'’-"}
    chars = sorted(named | set("a A1 ,.-_"))[:40]
    runs = [c * length for c in chars]
    runs += [(a + b) * (length // 2) for a, b in zip(chars, chars[1:], strict=False)]
    prefixes = [""] + sorted(required_literals(rule.regex) or ())[:3]
    starts = {p + gap for p in prefixes for gap in ("", " ")}
    return [start + run + "\x00" for start in sorted(starts) for run in runs]


def rules_for(
    packs: Sequence[RulePack], url: str | None, text: str
) -> tuple[tuple[Rule, ...], str | None]:
    """The rules that apply to one article, site packs first, and the site name they give."""
    site_packs = [p for p in packs if not p.is_generic and p.applies_to(url, text)]
    generic = [p for p in packs if p.is_generic]
    site_name = next((p.site_name for p in site_packs if p.site_name), None)
    rules = tuple(r for p in site_packs + generic for r in p.rules)
    return rules, site_name
