"""Finding the article in a full-page text dump: lines judged alone, then with their neighbours."""

from __future__ import annotations

import pytest

from copydesk import mainblock
from copydesk.boilerplate import load_rule_packs, rules_for
from copydesk.clean import MAIN_TEXT_RULE, NAVIGATION, clean_text
from copydesk.mainblock import (
    BAD,
    GOOD,
    NEAR,
    SHORT,
    Weights,
    function_word_share,
    line_class,
    main_text,
)

MENU = ["* Home", "* News", "+ Local", "+ World", "* Sport", "* Weather", "* Search", "Log in"]
HEADLINE = "Harbour ferry returns to service after a winter of repairs"
BODY = [
    "The blue ferry that links the old harbour with the island villages went back into service "
    "on Monday morning, after four months in a dry dock on the other side of the bay.",
    "Its owners said that the hull had been painted, the engines had been rebuilt and the "
    "passenger deck now has room for twice as many bicycles as it had before the winter.",
    "New timetable",
    "From next week the first crossing leaves at half past six, which is an hour earlier than "
    "last year, and the last one returns from the island shortly before midnight.",
    "Residents of the villages, who had to take the long road around the bay since November, "
    "told the council that they were glad to have their morning crossing back.",
]
FOOTER = [
    "Most read",
    "* Storm closes coastal road for two days",
    "* Bakery on Mill Street wins regional prize",
    "About us",
    "Contact",
    "Imprint",
    "© 2026 The Harbour Gazette",
]


def dump(*parts: list[str] | str) -> str:
    lines: list[str] = []
    for part in parts:
        lines.extend([part] if isinstance(part, str) else part)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def rules():
    return rules_for(load_rule_packs(), None, "")[0]


def test_menus_and_footers_around_the_article_go_as_navigation(rules):
    cleaned = clean_text(dump(MENU, HEADLINE, BODY, FOOTER), rules, page_dump=True)

    assert cleaned.paragraphs == tuple(BODY)  # the subheading "New timetable" stays
    assert cleaned.title == HEADLINE
    removed = {r.text: (r.reason, r.rule_id) for r in cleaned.removals}
    for line in MENU + FOOTER:
        assert removed[line] == (NAVIGATION, MAIN_TEXT_RULE)


def test_a_rule_still_names_its_own_reason_around_the_article(rules):
    text = dump(MENU, HEADLINE, BODY, "Leave a comment", FOOTER)
    cleaned = clean_text(text, rules, page_dump=True)

    assert cleaned.paragraphs == tuple(BODY)
    assert ("comments", "generic-en/comments.leave-reply") in {
        (r.reason, r.rule_id) for r in cleaned.removals if r.text == "Leave a comment"
    }


def test_a_clean_article_loses_nothing(rules):
    cleaned = clean_text(dump(HEADLINE, BODY), rules, page_dump=True)

    assert cleaned.paragraphs == tuple(BODY)
    assert cleaned.removals == ()


def test_text_that_is_not_a_page_dump_is_not_judged(rules):
    cleaned = clean_text(dump(MENU, HEADLINE, BODY, FOOTER), rules)

    assert NAVIGATION not in {r.reason for r in cleaned.removals}


def test_a_stub_with_no_body_line_is_left_whole():
    lines = ["Council meets on Tuesday.", "Agenda to follow."]
    main = main_text(lines, [False, False])

    assert all(main.keeps(i) for i in range(len(lines)))


def test_a_stray_near_good_line_among_menus_goes():
    stray = "Sign up for the weekly digest of stories from the region"
    lines = MENU + [stray] + MENU + [HEADLINE] + BODY + FOOTER
    main = main_text(lines, [False] * len(lines))

    first_body = lines.index(BODY[0])
    assert all(main.keeps(i) for i in range(first_body, first_body + len(BODY)))
    assert not main.keeps(lines.index(stray))


def test_a_line_taken_by_a_rule_counts_against_its_run():
    cookie = (
        "We use cookies on this website to give you the best experience, and by continuing to "
        "browse the site you agree to the use of cookies as it is described in our policy."
    )
    lines = [cookie, *MENU, *BODY]
    assert main_text(lines, [False] * len(lines)).keeps(0)
    assert not main_text(lines, [True] + [False] * (len(lines) - 1)).keeps(0)


@pytest.mark.parametrize(
    ("line", "language", "expected"),
    [
        (BODY[0], "en", GOOD),
        ("The ferry is back, and it is bigger than before.", "en", SHORT),
        ("Ferry timetable for the island villages and the harbour", "en", NEAR),
        ("* Weather", "en", BAD),
        ("Storm Warning Coastal Road Closed Bakery Prize Harbour Gazette Weekly", "en", BAD),
        (
            "Die Fähre fährt wieder, und sie hat jetzt mehr Platz für die Fahrräder der "
            "Pendler, die jeden Morgen aus den Dörfern auf der Insel in die Stadt kommen.",
            "de",
            GOOD,
        ),
    ],
)
def test_line_classes(line, language, expected):
    assert line_class(line, language) == expected


def test_function_words_without_a_stopword_list():
    # Swedish has no list here: short words stand in for function words.
    swedish = "Det var en gång en liten flicka som bodde i en stor skog med sin mor och far."
    assert function_word_share(swedish, None) > 0.5
    assert function_word_share("Kontakt Nyheter Sport Väder", None) == 0.0
    # Japanese is written without spaces: a line with sentence punctuation reads as text.
    assert function_word_share("新しい法律ができて、親が子どもを教育する。", None) > 0.25
    assert function_word_share("ホーム", None) == 0.0


def test_a_wrapped_body_is_judged_in_its_own_language_not_the_cookie_notices(rules):
    # Body lines wrapped at 60 characters: short in characters, long in words. The only line
    # over 80 characters is an English cookie notice.
    cookie = (
        "We use cookies to give you the best experience on our website, and by browsing on "
        "you agree to them."
    )
    body = [
        "Die Fähre zwischen dem alten Hafen und den Dörfern auf der",
        "Insel fährt seit Montag wieder, nachdem sie vier Monate lang",
        "in der Werft auf der anderen Seite der Bucht gelegen hatte.",
        "Nach Angaben der Reederei wurde der Rumpf neu gestrichen, die",
        "Motoren wurden überholt, und auf dem Deck ist jetzt doppelt so",
        "viel Platz für die Fahrräder der Pendler wie vor dem Winter.",
    ]
    cleaned = clean_text(dump(MENU, cookie, body, FOOTER), rules, page_dump=True)

    assert cleaned.paragraphs == tuple(body)


def test_a_plain_article_keeps_its_short_closing_sentence(rules):
    closing = "The new timetable starts on Monday."
    cleaned = clean_text(dump(HEADLINE, BODY, closing), rules, page_dump=True)
    assert cleaned.paragraphs == (*BODY, closing)


AUTHOR_BOX = [
    "Mara Lindqvist has written about the harbour and the people who work on it for the Gazette "
    "since 2011, and before that she was on the crew of one of the fishing boats for ten years.",
    "She lives on the island with her family, and she is the one who takes the first ferry of "
    "the day to the town every morning, whatever the weather is like on the water.",
]


@pytest.mark.parametrize(
    ("closer", "reason"),
    [
        ("Share this article", "cta"),
        ("About the author", None),  # a heading no rule knows: the box stays, nothing closes
        ("More from The Harbour Gazette", "promo"),
    ],
)
def test_text_below_a_closing_line_after_the_article_is_the_page(rules, closer, reason):
    cleaned = clean_text(
        dump(MENU, HEADLINE, BODY, FOOTER[:3], MENU, closer, AUTHOR_BOX, FOOTER[3:]),
        rules,
        page_dump=True,
    )
    if reason is None:
        assert AUTHOR_BOX[0] in cleaned.paragraphs
        return
    assert cleaned.paragraphs == tuple(BODY)
    removed = {r.text: (r.reason, r.rule_id) for r in cleaned.removals}
    assert removed[closer][0] == reason
    for line in AUTHOR_BOX:
        assert removed[line] == (NAVIGATION, MAIN_TEXT_RULE)


def test_a_closing_line_above_the_article_closes_nothing(rules):
    cleaned = clean_text(
        dump(MENU, "Share this article", HEADLINE, BODY, FOOTER), rules, page_dump=True
    )
    assert cleaned.paragraphs == tuple(BODY)


@pytest.mark.parametrize(
    "above",
    [
        ["← Older post: Storm closes coastal road", HEADLINE],  # a link to the previous post
        [HEADLINE, "Video"],  # a one-word label that is in the body too
        [HEADLINE, "Harbour"],
        [HEADLINE, "o Harbour ferry returns to service"],  # a nested list item of a menu
    ],
)
def test_the_headline_is_the_line_sharing_most_words_with_the_body(rules, above):
    body = [*BODY, "The harbour video shows the ferry leaving the dock on Monday."]
    cleaned = clean_text(dump(MENU, above, body, FOOTER), rules, page_dump=True)
    assert cleaned.title == HEADLINE


@pytest.mark.parametrize("tail", [[], ["Read More", "Comments", "Be the first to comment."]])
def test_a_last_short_sentence_stays_above_prompts(rules, tail):
    last = "The new timetable takes effect in May."
    cleaned = clean_text(dump(MENU, HEADLINE, BODY, last, tail), rules, page_dump=True)
    assert cleaned.paragraphs == (*BODY, last)


def test_a_line_seen_before_keeps_the_class_of_its_language_and_weights():
    # main_text remembers line classes per language and weights: a line that is body text in
    # one language and has no function word in another must not carry one class to the other.
    line = "Die Fähre fährt wieder, und die Dörfer sind froh"
    first = main_text([line, *BODY], [False] * (len(BODY) + 1))
    assert line_class(line, "de") == SHORT and line_class(line, "en") == BAD
    for language, expected in (("de", SHORT), ("en", BAD), ("de", SHORT)):
        assert mainblock._seen_classes(language, Weights())[line] == expected
    strict = Weights(near_chars=10, near_share=0.9)
    assert mainblock._seen_classes("de", strict)[line] == line_class(line, "de", strict) == BAD
    # the same lines, the same answer, the second time from memory
    assert main_text([line, *BODY], [False] * (len(BODY) + 1)) == first
