"""Comment sections end the article: headings, threads without one, and what they leave."""

from __future__ import annotations

import pytest

from copydesk.boilerplate import rules_for
from copydesk.clean import clean_text
from copydesk.comments import BELOW_HEADING_RULE, THREAD_RULE, find_comment_section, signal

HEADLINE = "Lighthouse Keeper Retires After Forty Years"
B1 = (
    "The keeper of the Gull Point lighthouse climbed its spiral stairs for the last time on "
    "Saturday, forty years after she first lit the lamp as a trainee from the village."
)
B2 = (
    "She said the light had been automated long ago, but that someone still had to polish the "
    "lens, mend the shutters after storms and answer the letters of visiting schoolchildren."
)
B3 = "The harbour trust will open the tower to visitors from next spring, its chair said."
C1 = "What a lovely story, my grandfather worked on the supply boat to the point for years."
C2 = "I visited the tower as a child and still remember the view from the gallery."


def rules(packs):
    return rules_for(packs, None, "")[0]


def body_and_removals(packs, lines, page_dump=False):
    cleaned = clean_text("\n\n".join(lines), rules(packs), page_dump=page_dump)
    return cleaned.paragraphs, [(r.position, r.reason, r.rule_id) for r in cleaned.removals]


@pytest.mark.parametrize(
    ("heading", "heading_rule"),
    [
        ("23 Comments", "generic-en/comments.heading"),
        ("Leave a Reply", "generic-en/comments.leave-reply"),
        ("Join the discussion", "generic-en/comments.leave-reply"),
        ("2 thoughts on “Lighthouse Keeper Retires”", "generic-en/comments.count-on"),
        ("5 Kommentare", "generic-de/comments.heading"),
    ],
)
def test_comment_heading_ends_the_article(packs, heading, heading_rule):
    body, removals = body_and_removals(packs, [HEADLINE, B1, B2, B3, heading, C1, C2])
    assert body == (B1, B2, B3)
    assert removals == [
        (4, "comments", heading_rule),
        (5, "comments", BELOW_HEADING_RULE),
        (6, "comments", BELOW_HEADING_RULE),
    ]


def test_comment_heading_ends_the_body_of_a_page_dump(packs):
    menu = ["Home", "News", "Sport", "Weather"]
    footer = ["Imprint", "Privacy", "Contact us"]
    c1, c2 = C1 + " " + B3, C2 + " " + B2  # readers write as much as the article here
    lines = [*menu, HEADLINE, B1, B2, B3, "12 Comments", c1, "Reply", c2, "Reply", *footer]
    body, removals = body_and_removals(packs, lines, page_dump=True)
    assert body == (B1, B2, B3)
    below = {i: rule for i, reason, rule in removals if reason == "comments"}
    assert below[8] == "generic-en/comments.heading"
    assert below[9] == below[11] == BELOW_HEADING_RULE


def test_a_thread_without_a_heading_ends_the_article(packs):
    lines = [
        HEADLINE,
        B1,
        B2,
        B3,
        "Marta Ilves",
        "March 3, 2026 at 9:14 am",
        C1,
        "Reply",
        "Tobias Renn says:",
        "March 4, 2026 at 6:02 pm",
        C2,
    ]
    body, removals = body_and_removals(packs, lines)
    assert body == (B1, B2, B3)
    assert {rule for _, reason, rule in removals if reason == "comments"} == {THREAD_RULE}
    assert [i for i, _, _ in removals] == list(range(4, 11))


@pytest.mark.parametrize(
    "lines",
    [
        # a comment count under the headline is a link, not the section: no body above it
        [HEADLINE, "4 Comments", B1, B2, B3],
        # a prompt under every answer of a Q&A page is a button of each post
        [HEADLINE, B1, "Add a comment", B2, "Add a comment", B3],
        # a date line under the article is no thread
        [HEADLINE, B1, B2, "March 3, 2026 at 9:14 am", B3],
        # a menu entry "* Comments" in a link list is no heading
        [HEADLINE, B1, B2, "* Comments", B3],
    ],
)
def test_what_is_no_comment_section_ends_nothing(packs, lines):
    body, _ = body_and_removals(packs, lines)
    assert B3 in body and B2 in body


def test_rules_below_a_comment_heading_keep_their_own_reason(packs):
    lines = [HEADLINE, B1, B2, "Comments", C1, "More from The Gull Point Gazette", "Advertisement"]
    _, removals = body_and_removals(packs, lines)
    assert removals[-1] == (6, "promo", "generic-en/promo.advertisement")


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Reply", "buttons"),
        ("Antworten ↓", "buttons"),
        ("Like · Reply · Report", "buttons"),
        ("Dana Whitlock says:", "says"),
        ("Jens schreibt:", "says"),
        ("March 3, 2026 at 9:14 am", "time"),
        ("3. März 2026 um 09:14 Uhr", "time"),
        ("17.10.2019, 14:14 Zitieren #", "time"),
        ("2 hours ago", "time"),
        ("vor 3 Stunden", "time"),
        ("42", None),
        ("She said the harbour trust would reply to every letter by March 3, 2026.", None),
        (B1, None),
    ],
)
def test_signal(line, kind):
    assert signal(line) == kind


def test_no_comment_section_in_an_article_without_one():
    paras = [HEADLINE, B1, B2, B3]
    assert find_comment_section(paras, [None] * 4) is None
