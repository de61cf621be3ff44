"""The text cleaner: removals by reason code, headlines, Unicode repair, wrapping and batches."""

from __future__ import annotations

import re
import textwrap
import tomllib
import unicodedata
from pathlib import Path

import pytest

from copydesk.boilerplate import SHIPPED_RULES_DIR, RulePack, matcher, rules_for
from copydesk.clean import (
    CREDIT_LINE_RULE,
    SHARE_BAR_RULE,
    clean_batch,
    clean_text,
    fix_unicode,
    is_hard_wrapped,
    split_glued_sentences,
    split_paragraphs,
)
from copydesk.records import QUARANTINE_REASONS, REASONS, RawArticle
from copydesk.text_keys import WITHIN_ARTICLE_RULE

HEADLINE = "Council Approves Two New Bus Lines"
B1 = "The council met on Tuesday evening to debate the new budget for public transport in the city."
B2 = "Members agreed to fund two more bus lines serving the northern districts from next spring."
B3 = "The mayor said the first of the new lines would open in April if the tender went to plan."

SEED_NAMES = [
    "000_91d1c0d8471748c2.txt",
    "001_32bfd051c8bb22e6.txt",
    "002_dffa5a7ebd0ae50b.txt",
    "003_1b5144d79fe8ae6d.txt",
    "004_4b70ab8e8b8c5215.txt",
]
BODY_LABELS = {"body", "subheading", "title"}
GOLD_TO_REASON = {"duplicate": "duplicate_exact"}


def shipped_rule_ids() -> set[str]:
    """Every "<pack>/<rule>" id written in the shipped TOML rule files."""
    ids = set()
    for path in SHIPPED_RULES_DIR.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        ids.update(f"{data['pack']['id']}/{rule['id']}" for rule in data["rules"])
    return ids


SHIPPED_RULE_IDS = shipped_rule_ids()


def generic_rules(packs: tuple[RulePack, ...]):
    rules, site = rules_for(packs, None, "")
    assert site is None
    return rules


def article(*paragraphs: str) -> str:
    """Paragraphs separated by a blank line, as in most scraped dumps."""
    return "\n\n".join(paragraphs)


def squash(text: str) -> str:
    """NFKC with every white space removed: the cleaner may restore lost spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# --- removals, one table row per pattern; the ids are checked against the TOML files

REMOVED = [
    # paywall
    ("You've reached your free article limit.", "paywall", "generic-en/paywall.article-limit"),
    (
        "You’ve read all of your free stories this month",
        "paywall",
        "generic-en/paywall.article-limit",
    ),
    ("Subscribe to continue reading.", "paywall", "generic-en/paywall.subscribe-to-continue"),
    ("To continue reading, please log in.", "paywall", "generic-en/paywall.subscribe-to-continue"),
    ("Already a subscriber? Log in", "paywall", "generic-en/paywall.already-subscriber"),
    ("Get unlimited digital access for $1 a week.", "paywall", "generic-en/paywall.access-offer"),
    ("Please log in to read this article.", "paywall", "generic-en/paywall.login-to-read"),
    ("Subscribe now and save 50%.", "paywall", "generic-en/paywall.subscribe-now"),
    # cta
    ("Read More", "cta", "generic-en/cta.read-more"),
    ("See the full story »", "cta", "generic-en/cta.read-more"),
    ("Click here for the full story.", "cta", "generic-en/cta.full-version"),
    ("Continue reading at The Daily Planet", "cta", "generic-en/cta.continue-reading-at"),
    ("Share this article on Facebook", "cta", "generic-en/cta.share"),
    ("Tweet", "cta", "generic-en/cta.share"),
    ("Follow us on Twitter and Instagram", "cta", "generic-en/cta.follow-us"),
    ("Click here to sign up.", "cta", "generic-en/cta.click-here"),
    ("Facebook Twitter Pinterest E-Mail WhatsApp", "cta", SHARE_BAR_RULE),
    ("Share | Tweet | Email", "cta", SHARE_BAR_RULE),
    # comments
    ("Leave a Reply", "comments", "generic-en/comments.leave-reply"),
    ("Join the conversation", "comments", "generic-en/comments.leave-reply"),
    ("12 Comments", "comments", "generic-en/comments.heading"),
    ("Comments (4)", "comments", "generic-en/comments.heading"),
    (
        "You must be logged in to post a comment.",
        "comments",
        "generic-en/comments.login-to-comment",
    ),
    ("Comments are closed.", "comments", "generic-en/comments.closed"),
    # author_bio
    ("View all posts by Jane Doe", "author_bio", "generic-en/author_bio.view-all-posts"),
    # byline (near the top only)
    ("By Jane Doe | March 3, 2026", "byline", "generic-en/byline.by-name"),
    # promo
    ("More from The Daily Planet", "promo", "generic-en/promo.more-from"),
    ("Try 30 days free", "promo", "generic-en/promo.free-trial"),
    (
        "Sign up for our daily newsletter to get the headlines.",
        "promo",
        "generic-en/promo.newsletter",
    ),
    ("Advertisement", "promo", "generic-en/promo.advertisement"),
    ("Story continues below advertisement", "promo", "generic-en/promo.advertisement"),
    ("Related: Council approves budget for schools", "promo", "generic-en/promo.related"),
    ("Read more: Harbour ferry returns after winter repairs", "promo", "generic-en/promo.related"),
    (
        "Lesen Sie auch: Stadtrat beschließt neuen Haushalt",
        "promo",
        "generic-de/promo.inline-teaser",
    ),
    # section_label (only above the headline)
    ("News", "section_label", "generic-en/section_label.common"),
    ("Politics", "section_label", "generic-en/section_label.common"),
    # caption
    (
        "The mayor at the new tram depot on Monday. (Photo: J. Park)",
        "caption",
        "generic-en/caption.credit",
    ),
    ("Crowds outside the station. (Reuters/Jane Doe)", "caption", "generic-en/caption.credit"),
    ("Workers lay tracks near the bridge. (Kremlin)", "caption", "generic-en/caption.name-credit"),
    ("Photo: workers lay tracks near the bridge", "caption", "generic-en/caption.photo-prefix"),
    (
        "Oil pumps at dusk near the harbour. Image: J. Park/Shutterstock.com",
        "caption",
        CREDIT_LINE_RULE,
    ),
    ("The new tram depot. © Lindenau Transit", "caption", CREDIT_LINE_RULE),
]


@pytest.mark.parametrize(("paragraph", "reason", "rule_id"), REMOVED)
def test_boilerplate_paragraph_is_removed_with_its_reason_and_rule(
    packs, paragraph, reason, rule_id
):
    if reason == "section_label":
        paras, at = [paragraph, HEADLINE, B1, B2], 0
    else:
        paras, at = [HEADLINE, B1, paragraph, B2], 2
    cleaned = clean_text(article(*paras), generic_rules(packs))

    assert [(r.position, r.text, r.reason, r.rule_id) for r in cleaned.removals] == [
        (at, paragraph, reason, rule_id)
    ]
    assert cleaned.title == HEADLINE
    assert cleaned.paragraphs == (B1, B2)
    assert rule_id in SHIPPED_RULE_IDS | {WITHIN_ARTICLE_RULE, CREDIT_LINE_RULE, SHARE_BAR_RULE}


# A repeat across articles is the warehouse's job, not clean_text's; navigation needs a whole
# page dump around it (tests/test_mainblock.py); site boilerplate is learned from the warehouse
# (tests/test_site_boilerplate.py).
NOT_CLEAN_TEXT_REASONS = QUARANTINE_REASONS | {"duplicate_near", "navigation", "site_boilerplate"}


def test_every_paragraph_reason_code_has_an_example():
    examples = {reason for _, reason, _ in REMOVED} | {"duplicate_exact"}  # REPEATED below
    assert examples == REASONS - NOT_CLEAN_TEXT_REASONS
    assert {
        "paywall",
        "cta",
        "comments",
        "author_bio",
        "promo",
        "section_label",
        "caption",
        "duplicate_exact",
    } <= REASONS - NOT_CLEAN_TEXT_REASONS


# Repeats within one article: a repeated block or a repeated label goes; a single sentence
# said twice stays (tests/test_dedup.py has the rule itself).
REPEATED = [
    # B1 and B2 again, in case, spacing and punctuation of their own: a block printed twice
    (
        [
            HEADLINE,
            B1,
            B2,
            "THE council met on Tuesday evening -- to debate the new budget for public transport "
            "in the city!",
            "Members agreed to fund two more bus lines serving the northern districts from next "
            "spring",
            B3,
        ],
        [3, 4],
    ),
    ([HEADLINE, B1, "Watch the video", B2, "Watch the video", B3], [4]),
    ([HEADLINE, B1, B2, B1, B3], []),  # one sentence the article repeats
]


@pytest.mark.parametrize(("paragraphs", "removed"), REPEATED)
def test_repeats_within_the_article(packs, paragraphs, removed):
    cleaned = clean_text(article(*paragraphs), generic_rules(packs))
    assert [(r.position, r.reason, r.rule_id) for r in cleaned.removals] == [
        (i, "duplicate_exact", WITHIN_ARTICLE_RULE) for i in removed
    ]
    assert cleaned.positions == tuple(i for i in range(1, len(paragraphs)) if i not in removed)


def test_captions_are_kept_apart_from_the_body(packs):
    caption = "Workers lay tracks near the bridge. (Kremlin)"
    cleaned = clean_text(article(HEADLINE, caption, B1, B2), generic_rules(packs))
    assert cleaned.captions == (caption,)
    assert cleaned.paragraphs == (B1, B2)
    assert cleaned.positions == (2, 3)


def test_author_box_takes_the_bio_under_it(packs):
    bio = "Jane Doe covers transport and city politics for the Planet."
    text = article(HEADLINE, B1, B2, "About Jane Doe View All Posts", bio, B3)
    cleaned = clean_text(text, generic_rules(packs))
    assert [(r.position, r.reason, r.rule_id) for r in cleaned.removals] == [
        (3, "author_bio", "generic-en/author_bio.about-view-all"),
        (4, "author_bio", "generic-en/author_bio.about-view-all"),
    ]
    assert cleaned.paragraphs == (B1, B2, B3)


def test_teaser_headlines_under_more_from_go_with_it(packs):
    text = article(
        HEADLINE,
        B1,
        B2,
        "More from The Daily Planet",
        "Mayor Opens New Depot",
        "Schools Get a Bigger Budget",
        B3,
    )
    cleaned = clean_text(text, generic_rules(packs))
    assert [(r.position, r.reason, r.rule_id) for r in cleaned.removals] == [
        (3, "promo", "generic-en/promo.more-from"),
        (4, "promo", "generic-en/promo.more-from"),
        (5, "promo", "generic-en/promo.more-from"),
    ]
    assert cleaned.paragraphs == (B1, B2, B3)


@pytest.mark.parametrize(
    ("footer", "truncated"),
    [
        ("CLICK HERE FOR FULL VERSION OF THIS STORY", True),
        ("Continue reading at The Daily Planet", True),
        ("Read More", False),
        ("Leave a Reply", False),
    ],
)
def test_teaser_footer_marks_article_truncated(packs, footer, truncated):
    cleaned = clean_text(article(HEADLINE, B1, B2, footer), generic_rules(packs))
    assert cleaned.truncated is truncated
    assert [r.position for r in cleaned.removals] == [3]


@pytest.mark.parametrize(
    ("paragraph", "site_rule", "generic_rule"),
    [
        (
            "Get Full Ad-Free Access For Just $0.50/Week",
            "sofrep/paywall.ad-free-access",
            "generic-en/paywall.access-offer",
        ),
        ("REAL NEWS.", "sofrep/promo.real-experts", None),
    ],
)
def test_site_rules_win_over_generic_ones(packs, paragraph, site_rule, generic_rule):
    text = article(HEADLINE, B1, paragraph, B2)
    site_rules, site = rules_for(packs, "https://www.sofrep.com/news/x", text)
    assert site == "SOFREP"
    on_site = clean_text(text, site_rules)
    off_site = clean_text(text, generic_rules(packs))
    assert [r.rule_id for r in on_site.removals] == [site_rule]
    assert [r.rule_id for r in off_site.removals] == ([generic_rule] if generic_rule else [])


LONG_QUOTE_OF_PAYWALL = (
    "The newspaper, which put its website behind a paywall in 2019, now greets readers with a "
    'banner that says "subscribe to continue reading", and its editor told the committee on '
    "Thursday that the change had doubled digital revenue while cutting the number of casual "
    "visitors by almost a third over two years."
)

BODY_LOOKALIKES = [
    "Die Regierungen haben sich auf einen gemeinsamen Text geeinigt (Israel/Frankreich).",
    "The minister said the talks would resume next week. (NM)",  # a reporter's sign-off
    "The council will read more than 400 public submissions before it votes, and the chair said "
    'residents who want the full detail can "read more" in the published minutes, which run to '
    "some eighty pages and cover every objection raised since the consultation opened.",
    LONG_QUOTE_OF_PAYWALL,
    "Officials said the minister had visited the site before (twice).",
    "More on that later.",
    "The reporter asked for comments from the mayor, who declined to speak.",
    "Comments from the mayor were not immediately available.",
    "He told the court he had read more than a hundred letters from victims.",
    "The company said it would share the results with regulators next month.",
    "The bill would give unlimited access to public records for journalists.",
    "Residents were asked to subscribe to the council's newsletter for updates on the roadworks.",
    "About two dozen people attended the meeting, where the mayor presented the plan.",
    "Print editions will cost more from January, the publisher said.",
    "The deal was signed in Paris. (It was the third attempt.)",
    "Voters in Georgia (U.S.) went to the polls.",
    "The World Health Organization said the outbreak in the region was under control.",
    "She said the team had worked through the night (and through the weekend) to fix it.",
    "Business",  # a section name as a subheading inside the article
    pytest.param("The minister answered questions from reporters in Brussels (via video link)."),
    pytest.param("Ticket prices rose by 12 percent this year (from 40 to 45 euros/month)."),
]


# Paragraphs of body prose that a caption or call-to-action pattern matches in part: the
# pattern speaks for a line, not for two sentences and more of running text around it.
PROSE_WITH_A_RULE_FRAGMENT = [
    "The ferry operator said on Monday that crossings would resume at the weekend. Engineers "
    "had worked through the night to repair the damaged ramp at the northern pier. (Reuters)",
    "Photo: the council published a picture of the old depot on Friday, and residents were "
    "quick to point out that the building in it was torn down years ago. The press office "
    "apologised for the mistake.",
    "Das Rathaus bleibt bis Ende Mai geschlossen, teilte die Stadt mit. Die Bürgerinnen und "
    "Bürger werden gebeten, ihre Anliegen in dieser Zeit online oder telefonisch zu erledigen "
    "(Foto: Stadt Lindenau, via Pressestelle).",
]


@pytest.mark.parametrize("paragraph", PROSE_WITH_A_RULE_FRAGMENT)
def test_caption_or_cta_pattern_does_not_take_body_prose(packs, paragraph):
    cleaned = clean_text(article(HEADLINE, B1, paragraph, B2), generic_rules(packs))
    assert cleaned.removals == ()
    assert cleaned.paragraphs == (B1, paragraph, B2)


@pytest.mark.parametrize(
    "caption",
    [
        # one sentence and its credit, however long the sentence: a caption
        "The mayor and the harbour master cut the ribbon at the reopened ferry terminal on the "
        "northern pier on Monday morning, watched by a crowd of residents. (Photo: J. Park)",
        "Workers lay tracks near the bridge. (Kremlin)",
    ],
)
def test_a_one_sentence_caption_with_its_credit_is_still_a_caption(packs, caption):
    cleaned = clean_text(article(HEADLINE, B1, caption, B2), generic_rules(packs))
    assert cleaned.captions == (caption,)


def test_long_quote_of_a_paywall_is_longer_than_the_rules_reach(packs):
    [rule] = [r for r in generic_rules(packs) if r.id == "generic-en/paywall.subscribe-to-continue"]
    assert len(LONG_QUOTE_OF_PAYWALL) > rule.max_chars
    assert rule.regex.search(LONG_QUOTE_OF_PAYWALL)  # only max_chars keeps it in the body


@pytest.mark.parametrize("paragraph", BODY_LOOKALIKES)
def test_body_paragraph_that_looks_like_boilerplate_is_kept(packs, paragraph):
    cleaned = clean_text(article(HEADLINE, B1, paragraph, B2), generic_rules(packs))
    assert cleaned.removals == ()
    assert cleaned.paragraphs == (B1, paragraph, B2)
    assert cleaned.positions == (1, 2, 3)


# --- the seed articles against their gold labels


@pytest.fixture(params=SEED_NAMES)
def seed(request, seeds_dir: Path, gold, packs):
    name = request.param
    text = (seeds_dir / name).read_text(encoding="utf-8")
    rules, _ = rules_for(packs, None, text)
    return gold[name], clean_text(text, rules)


def test_seed_body_matches_gold(seed):
    expected, cleaned = seed
    assert [squash(p) for p in cleaned.paragraphs] == [squash(p) for p in expected["body"]]


def test_seed_body_positions_are_the_gold_body_paragraphs(seed):
    expected, cleaned = seed
    body_at = [p["i"] for p in expected["paragraphs"] if p["label"] in ("body", "subheading")]
    assert list(cleaned.positions) == body_at


def test_seed_title_matches_gold(seed):
    expected, cleaned = seed
    # The gold keeps the scraped NBSP in 001's title; the cleaner turns it into a space.
    want = expected["title"] and unicodedata.normalize("NFKC", expected["title"])
    assert cleaned.title == want


def test_seed_captions_and_truncation_match_gold(seed):
    expected, cleaned = seed
    assert list(cleaned.captions) == expected["captions"]
    assert cleaned.truncated is expected["truncated"]


def test_seed_removals_match_gold_labels(seed):
    expected, cleaned = seed
    removed = {r.position: r for r in cleaned.removals}
    want = {
        p["i"]: (GOLD_TO_REASON.get(p["label"], p["label"]), squash(p["text"]))
        for p in expected["paragraphs"]
        if p["label"] not in BODY_LABELS
    }
    got = {i: (r.reason, squash(r.text)) for i, r in removed.items()}
    assert got == want
    assert all(p["i"] not in removed for p in expected["paragraphs"] if p["label"] in BODY_LABELS)


def test_seed_003_uses_sofrep_rules(seeds_dir, packs):
    text = (seeds_dir / "003_1b5144d79fe8ae6d.txt").read_text(encoding="utf-8")
    rules, site = rules_for(packs, None, text)
    cleaned = clean_text(text, rules)
    assert site == "SOFREP"
    by_position = {r.position: r.rule_id for r in cleaned.removals}
    assert by_position[8] == "sofrep/paywall.veteran-staff"
    assert by_position[20] == "generic-en/author_bio.about-view-all"  # the bio under the box
    assert by_position[26] == "sofrep/promo.join"
    assert by_position[11] == WITHIN_ARTICLE_RULE


# --- the top of an article: section label and headline


def test_no_title_is_invented_for_text_that_starts_with_a_sentence(packs):
    cleaned = clean_text(article(B1, B2, B3), generic_rules(packs))
    assert cleaned.title is None
    assert cleaned.paragraphs == (B1, B2, B3)
    assert cleaned.positions == (0, 1, 2)


@pytest.mark.parametrize(
    "first",
    [
        "By Tuesday afternoon the vote was over",  # "By ..." but no byline
        "He said: “We will win.”",  # a quoted sentence
        "Short. Two sentences here",
    ],
)
def test_first_paragraph_that_is_no_headline_stays_in_body(packs, first):
    cleaned = clean_text(article(first, B1, B2), generic_rules(packs))
    assert cleaned.title is None
    assert cleaned.paragraphs == (first, B1, B2)


def test_byline_under_the_headline_is_removed_and_gives_the_authors(packs):
    cleaned = clean_text(
        article(HEADLINE, "By Jane Doe | March 3, 2026", B1, B2), generic_rules(packs)
    )
    assert cleaned.title == HEADLINE
    assert [(r.position, r.reason, r.rule_id) for r in cleaned.removals] == [
        (1, "byline", "generic-en/byline.by-name")
    ]
    assert cleaned.byline_authors == "Jane Doe"
    assert cleaned.paragraphs == (B1, B2)


@pytest.mark.parametrize(
    "paragraphs",
    [
        (HEADLINE, "By Tuesday afternoon, the council had agreed.", B1),  # prose, not a name
        (HEADLINE, B1, B2, B3, "By Jane Doe"),  # too far down for a byline
    ],
)
def test_by_phrase_that_is_no_byline_stays_in_body(packs, paragraphs):
    cleaned = clean_text(article(*paragraphs), generic_rules(packs))
    assert cleaned.removals == ()
    assert cleaned.byline_authors is None
    assert cleaned.paragraphs == paragraphs[1:]


def test_single_newlines_separate_paragraphs(packs):
    cleaned = clean_text("\n".join([HEADLINE, B1, B2, "Read More"]), generic_rules(packs))
    assert cleaned.title == HEADLINE
    assert cleaned.paragraphs == (B1, B2)
    assert [(r.position, r.reason) for r in cleaned.removals] == [(3, "cta")]


def test_headline_line_becomes_the_title(packs):
    cleaned = clean_text(article(HEADLINE, B1, B2), generic_rules(packs))
    assert cleaned.title == HEADLINE
    assert cleaned.paragraphs == (B1, B2)
    assert cleaned.positions == (1, 2)
    assert cleaned.removals == ()  # the title is not a removal


def test_single_paragraph_is_body_not_title(packs):
    cleaned = clean_text(HEADLINE, generic_rules(packs))
    assert cleaned.title is None
    assert cleaned.paragraphs == (HEADLINE,)


def test_section_label_is_removed_only_at_the_top(packs):
    cleaned = clean_text(article("News", HEADLINE, B1, "News", B2), generic_rules(packs))
    assert [(r.position, r.reason) for r in cleaned.removals] == [(0, "section_label")]
    assert cleaned.title == HEADLINE
    assert cleaned.paragraphs == (B1, "News", B2)


def test_section_label_below_a_sentence_stays(packs):
    cleaned = clean_text(article(B1, "Politics", B2), generic_rules(packs))
    assert cleaned.removals == ()
    assert cleaned.paragraphs == (B1, "Politics", B2)


def test_markdown_heading_becomes_the_title(packs):
    # A full stop would rule the line out as a headline in plain text; "#" decides in Markdown.
    text = article(
        "# Council approves new bus lines.",
        "The **council** met, see [the minutes](http://x.org/m).",
        B2,
    )
    cleaned = clean_text(text, generic_rules(packs), markdown=True)
    assert cleaned.title == "Council approves new bus lines."
    assert cleaned.paragraphs == ("The council met, see the minutes.", B2)


def test_known_title_equal_to_first_paragraph_is_not_repeated(packs):
    cleaned = clean_text(
        article(HEADLINE, B1, B2),
        generic_rules(packs),
        known_title="Council approves two new bus lines!",
    )
    assert cleaned.title == "Council approves two new bus lines!"
    assert cleaned.paragraphs == (B1, B2)
    assert cleaned.positions == (1, 2)
    assert cleaned.removals == ()


def test_known_title_different_from_first_paragraph_keeps_it(packs):
    cleaned = clean_text(article(B1, B2), generic_rules(packs), known_title=HEADLINE)
    assert cleaned.title == HEADLINE
    assert cleaned.paragraphs == (B1, B2)


# --- Unicode


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("Itâ€™s a deal", "It’s a deal"),
        ("the cafÃ© is open", "the café is open"),
        ("price\u00a0rise", "price rise"),
        ("zero\u200bwidth\u200c join\u200der", "zerowidth joiner"),
        ("\ufeffbyte order mark", "byte order mark"),
        ("soft\u00adhyphen", "softhyphen"),
        ("tab\there and  two spaces", "tab here and two spaces"),
        ("narrow\u202fno-break\u2007figure", "narrow no-break figure"),
        ("cafe\u0301", "café"),  # NFC
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_fix_unicode(raw, fixed):
    assert fix_unicode(raw) == fixed


def test_mojibake_is_repaired_in_the_body(packs):
    text = article(HEADLINE, "Itâ€™s the first new line since 1990, the mayor said.", B2)
    cleaned = clean_text(text, generic_rules(packs))
    assert cleaned.paragraphs[0] == "It’s the first new line since 1990, the mayor said."


@pytest.mark.parametrize(
    ("glued", "split"),
    [
        ("attitude to Ukraine.In a video call", "attitude to Ukraine. In a video call"),
        ("Really?No one knew", "Really? No one knew"),
        ("he said.“We will win”", "he said. “We will win”"),
        ("it was over!The crowd left", "it was over! The crowd left"),
    ],
)
def test_glued_sentences_are_split(glued, split):
    assert split_glued_sentences(glued) == split


@pytest.mark.parametrize(
    "text",
    [
        "the U.S.A team won",
        "cities, e.g.the capital",
        "see example.com for details",
        "the Kremlin.ru website",
        "Ph.D students",
        "St.Petersburg",
        "in 2024.Then",  # digits before the stop: could be a version or a decimal
    ],
)
def test_abbreviations_and_domains_are_not_split(text):
    assert split_glued_sentences(text) == text


def test_glued_sentences_are_split_in_the_body(packs):
    text = article(B1, "Moscow’s attitude to Ukraine.In a video call, Xi said so.", B2)
    cleaned = clean_text(text, generic_rules(packs))
    assert cleaned.paragraphs[1] == "Moscow’s attitude to Ukraine. In a video call, Xi said so."


# --- hard-wrapped text

WRAPPED_PARAGRAPHS = [
    "The city council met on Tuesday evening to debate the new budget for public transport, "
    "and after three hours of discussion the members agreed to fund two more bus lines.",
    "The first of the new lines will serve the northern districts from next spring, the mayor "
    "said, and the second will follow once the depot by the river has been rebuilt.",
    "Opposition members said the plan did not go far enough and asked for a tram line to the "
    "airport, which the council will study over the coming year before any vote.",
]


def wrapped_text(paragraphs: list[str], width: int = 70) -> str:
    return "\n\n".join(textwrap.fill(p, width=width) for p in paragraphs)


def test_hard_wrapped_text_is_rejoined_into_paragraphs(packs):
    text = HEADLINE + "\n\n" + wrapped_text(WRAPPED_PARAGRAPHS) + "\n\nRead More\n"
    assert all(len(line) <= 70 for line in text.splitlines())
    assert split_paragraphs(text) == [HEADLINE, *WRAPPED_PARAGRAPHS, "Read More"]
    cleaned = clean_text(text, generic_rules(packs))
    assert cleaned.title == HEADLINE
    assert cleaned.paragraphs == tuple(WRAPPED_PARAGRAPHS)
    assert [(r.position, r.reason) for r in cleaned.removals] == [(4, "cta")]


def test_one_paragraph_per_line_with_long_lines_is_not_rejoined():
    lines = [p + " It was the longest debate of the year." for p in WRAPPED_PARAGRAPHS * 2]
    assert min(len(line) for line in lines) > 100
    assert split_paragraphs("\n".join(lines)) == lines


def test_few_lines_are_never_taken_for_wrapped_text():
    lines = [p[:60] for p in WRAPPED_PARAGRAPHS]
    assert not is_hard_wrapped(lines)
    assert split_paragraphs("\n".join(lines)) == lines


def test_one_paragraph_per_line_with_short_lines_is_not_rejoined(packs):
    lines = [
        "The council met on Tuesday evening to debate the new budget for bus lines.",
        "Members agreed to fund two more bus lines serving the northern districts.",
        "The mayor said the first of the new lines would open next spring.",
        "Opposition members said the plan did not go far enough for the suburbs.",
        "A vote on the wider transport strategy is expected before the summer.",
        "Residents can comment on the plans at the town hall until March.",
        "Read More",
        "Leave a Reply",
    ]
    cleaned = clean_text("\n".join(lines), generic_rules(packs))
    assert cleaned.paragraphs == tuple(lines[:6])
    assert [r.reason for r in cleaned.removals] == ["cta", "comments"]


# --- clean_batch


def raw_article(n: int, content: str, fmt: str = "text", **meta: str) -> RawArticle:
    suffix = "html" if fmt == "html" else "txt"
    return RawArticle(
        article_id=f"id{n}",
        source_file=f"in/{n}.{suffix}",
        item=0,
        version=1,
        format=fmt,
        content=content,
        **meta,
    )


def test_clean_batch_keeps_articles_and_rejects_empty_and_unextractable(packs):
    good = raw_article(1, article(HEADLINE, B1, B2, "Read More"))
    boiler = raw_article(2, "Read More\nLeave a Reply\nAdvertisement")
    no_text = raw_article(3, "<html><body></body></html>", fmt="html")
    result = clean_batch([good, boiler, no_text], packs)

    assert result.counts() == {
        "received": 3,
        "kept": 1,
        "rejected": 2,
        "rejected.empty": 1,
        "rejected.extract_failed": 1,
    }
    result.check_balance()
    [kept] = result.kept
    assert kept.raw is good
    assert kept.title == HEADLINE
    assert kept.paragraphs == (B1, B2)
    assert kept.language == "en"
    by_id = {r.article_id: r for r in result.rejected}
    assert by_id["id2"].reason == "empty"
    assert by_id["id2"].detail == "nothing left after cleaning (removed: comments, cta, promo)"
    assert by_id["id2"].original_text == boiler.content
    assert by_id["id3"].reason == "extract_failed"
    assert by_id["id3"].step == "clean"
    assert by_id["id3"].source_file == "in/3.html"


def test_clean_batch_extracts_html_and_uses_its_title(packs):
    html = (
        "<html><head><title>Bus Lines Approved</title></head><body><article>"
        f"<h1>Bus Lines Approved</h1><p>{B1}</p><p>{B2}</p><p>Read More</p>"
        "</article></body></html>"
    )
    result = clean_batch([raw_article(1, html, fmt="html", url="https://example.org/a")], packs)
    [kept] = result.kept
    assert kept.title == "Bus Lines Approved"
    assert kept.paragraphs == (B1, B2)
    assert [r.reason for r in kept.removals] == ["cta"]
    assert kept.url == "https://example.org/a"


def test_clean_batch_of_nothing_balances(packs):
    result = clean_batch([], packs)
    assert result.counts() == {"received": 0, "kept": 0, "rejected": 0}


def test_the_literal_prefilter_of_a_whole_article_never_hides_a_match(packs, seeds_dir):
    texts = [p for p, _, _ in REMOVED] + [HEADLINE, B1, B2, B3, *BODY_LOOKALIKES[:5]]
    texts += split_paragraphs((seeds_dir / SEED_NAMES[3]).read_text(encoding="utf-8"))
    rules, _ = rules_for(packs, None, "SOFREP")
    for group in (
        [r for r in rules if r.reason not in ("caption", "section_label")],
        [r for r in generic_rules(packs) if r.reason != "caption"],
    ):
        boilerplate = matcher(tuple(group))
        may_match = boilerplate.candidates(texts)
        assert may_match is not None
        matched = {i for i, text in enumerate(texts) if boilerplate.first(text, 2)}
        assert matched and matched <= may_match
