"""Boilerplate rule packs: data files of patterns grouped by reason, and matching them."""

from __future__ import annotations

import logging
import re
import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from re import _constants, _parser  # the pattern parser re itself uses
from urllib.parse import urlsplit

from copydesk.records import check_reason

log = logging.getLogger(__name__)

SHIPPED_RULES_DIR = Path(__file__).parent / "rules"
DEFAULT_MAX_CHARS = 300  # a longer paragraph is body text even if it quotes a boilerplate phrase
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

    def matches(self, text: str, index: int) -> bool:
        """Whether this rule marks the paragraph `text` (bullet already stripped) at `index`."""
        if len(text) > self.max_chars:
            return False
        if self.max_position is not None and index > self.max_position:
            return False
        found = self.regex.fullmatch(text) if self.whole else self.regex.search(text)
        return found is not None


class Matcher:
    """The first of some rules that marks a paragraph. Most paragraphs match none, so two
    cheap tests come first: whether the paragraph holds any of the literal words the rules'
    patterns require, then two regexes made of all the patterns (whole-paragraph ones, and
    the rest), and only then each rule."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.max_chars = max((r.max_chars for r in self.rules), default=-1)
        required = [required_literals(r.regex) for r in self.rules]
        self.literals = None if None in required else frozenset().union(*required)
        self.any_whole = _alternation([r for r in self.rules if r.whole])
        self.any_part = _alternation([r for r in self.rules if not r.whole])

    def first(self, text: str, index: int) -> Rule | None:
        if len(text) > self.max_chars:
            return None
        text = _BULLET.sub("", text)
        if self.literals is not None:
            lower = text.lower()
            if not any(literal in lower for literal in self.literals):
                return None
        if not (
            (self.any_whole and self.any_whole.fullmatch(text))
            or (self.any_part and self.any_part.search(text))
        ):
            return None
        return next((r for r in self.rules if r.matches(text, index)), None)

    def candidates(self, texts: Sequence[str]) -> set[int] | None:
        """Indexes of the texts that hold one of the literal words the rules require: the
        only ones `first` can match (None when the rules require none). One search per
        literal over the whole article instead of one per literal and paragraph."""
        if self.literals is None:
            return None
        joined = "\n".join(texts).lower()
        starts = list(accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        found: set[int] = set()
        for literal in self.literals:
            at = joined.find(literal)
            while at >= 0:
                line = bisect_right(starts, at) - 1
                found.add(line)
                at = joined.find(literal, starts[line + 1]) if line + 1 < len(starts) else -1
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
            found = None if None in branches else frozenset().union(*branches)
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT) and arg[0] >= 1:
            found = _required(list(arg[2]))
        if found:
            options.append(found)
    options = [o for o in options if min(map(len, o)) >= MIN_LITERAL]
    return max(options, key=lambda o: min(map(len, o)), default=None)


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


def parse_pack(data: dict, origin: str) -> RulePack:
    """A RulePack from the parsed TOML of a rule file; `origin` names it in errors."""
    try:
        head = data["pack"]
        pack_id = head["id"]
        rules = []
        for raw in data.get("rules", []):
            flags = 0 if raw.get("case_sensitive") else re.IGNORECASE
            if not isinstance(raw["pattern"], str) or not raw["pattern"]:
                raise ValueError(f"rule {raw.get('id')!r}: pattern must be a non-empty string")
            rules.append(
                Rule(
                    id=f"{pack_id}/{raw['id']}",
                    reason=check_reason(raw["reason"]),
                    regex=re.compile(raw["pattern"], flags),
                    whole=raw.get("whole", False),
                    max_chars=raw.get("max_chars", DEFAULT_MAX_CHARS),
                    max_position=raw.get("max_position"),
                    also_next=raw.get("also_next", 0),
                    then_headlines=raw.get("then_headlines", False),
                    truncates=raw.get("truncates", False),
                )
            )
    except (KeyError, ValueError, re.error) as exc:
        raise ValueError(f"bad rule pack {origin}: {type(exc).__name__}: {exc}") from exc
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"bad rule pack {origin}: duplicate rule ids")
    for key in ("domains", "markers"):
        value = head.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"bad rule pack {origin}: {key} must be a list of strings")
    return RulePack(
        id=pack_id,
        rules=tuple(rules),
        site_name=head.get("site_name"),
        domains=tuple(head.get("domains", ())),
        markers=tuple(head.get("markers", ())),
    )


def load_rule_packs(extra_dirs: Iterable[Path] = ()) -> tuple[RulePack, ...]:
    """The shipped rule packs, then every *.toml pack in `extra_dirs`."""
    files = sorted(SHIPPED_RULES_DIR.glob("*.toml"))
    for folder in extra_dirs:
        if not folder.is_dir():
            raise FileNotFoundError(f"rules folder not found: {folder}")
        files.extend(sorted(folder.glob("*.toml")))
    packs = []
    for path in files:
        with path.open("rb") as f:
            packs.append(parse_pack(tomllib.load(f), str(path)))
    pack_ids = [p.id for p in packs]
    if len(pack_ids) != len(set(pack_ids)):
        raise ValueError(f"two rule packs share an id: {pack_ids}")
    log.debug("loaded %s rule packs", len(packs))
    return tuple(packs)


def rules_for(
    packs: Sequence[RulePack], url: str | None, text: str
) -> tuple[tuple[Rule, ...], str | None]:
    """The rules that apply to one article, site packs first, and the site name they give."""
    site_packs = [p for p in packs if not p.is_generic and p.applies_to(url, text)]
    generic = [p for p in packs if p.is_generic]
    site_name = next((p.site_name for p in site_packs if p.site_name), None)
    rules = tuple(r for p in site_packs + generic for r in p.rules)
    return rules, site_name
