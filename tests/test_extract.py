"""HTML extraction: main text, and an article that sits in markup named like comments."""

from __future__ import annotations

import pytest

from copydesk.comments import reads_as_comments
from copydesk.extract import ExtractError, _comment_markup_chars, extract_html

PARAS = [
    "The old mill on the river was built in 1832 by a family of weavers who had come down from "
    "the hills, and it ran for more than a century before the last loom stopped in 1951.",
    "Its wheel was fed by a race dug by hand over two summers; the stones that lined it came "
    "from the quarry above the town and can still be seen along the footpath today.",
    "After the war the building served as a grain store, then as a depot for the county's "
    "road crews, and for twenty years it stood empty while the town argued over its future.",
    "The trust that bought it last spring plans to open a museum of weaving on the ground "
    "floor and to rent the upper rooms to craftspeople at a price local artists can afford.",
    "Volunteers have already cleared the race, and an engineer who surveyed the wheel said "
    "it could turn again within two years if the trust raises the money to replace the axle.",
]
POSTS = [
    ("Marta Ilves", "March 3, 2026 at 9:14 am", "Lovely to see the mill saved at last!"),
    ("Tobias Renn", "March 3, 2026 at 11:02 am", "My grandmother worked there in the forties."),
    ("J. Okafor", "March 4, 2026 at 6:40 pm", "Will the museum be open on Sundays?"),
    ("Marta Ilves", "March 4, 2026 at 7:05 pm", "I hope so, the trust said weekends."),
]


def page(inner: str) -> str:
    return (
        "<html><head><title>The Mill on the River</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><div id='main'>"
        "<h1>The Mill on the River</h1>"
        "<p>The trust has bought the old mill on the river and plans a museum of weaving.</p>"
        f"{inner}</div><footer>Imprint · Privacy</footer></body></html>"
    )


ARTICLE_IN_COMMENT_MARKUP = page(
    '<div class="comment-content entry">' + "".join(f"<p>{p}</p>" for p in PARAS) + "</div>"
)
READERS_POSTS = page(
    '<div id="comments"><ol class="comment-list">'
    + "".join(
        f'<li class="comment"><div class="comment-author">{name}</div>'
        f'<div class="comment-meta">{when}</div><p>{text}</p>'
        '<a class="comment-reply-link">Reply</a></li>'
        for name, when, text in POSTS
    )
    + "</ol></div>"
)


def test_an_article_in_markup_named_like_comments_is_kept_whole():
    page_text = extract_html(ARTICLE_IN_COMMENT_MARKUP)
    assert page_text.with_comment_markup
    for paragraph in PARAS:
        assert paragraph in page_text.text
    assert page_text.title == "The Mill on the River"


def test_the_article_keeps_the_metadata_of_the_page_when_kept_whole():
    with_meta = ARTICLE_IN_COMMENT_MARKUP.replace(
        "</title>",
        "</title><meta name='author' content='Ada Lovelace'>"
        "<meta property='article:published_time' content='2026-03-02'>",
    )
    page_text = extract_html(with_meta)
    assert page_text.with_comment_markup
    assert (page_text.author, page_text.date) == ("Ada Lovelace", "2026-03-02")


def test_an_article_only_in_comment_markup_is_found_with_its_metadata():
    # with comments off trafilatura finds no text at all here, so no metadata either
    html = (
        "<html><head><title>The Mill</title><meta name='author' content='Ada Lovelace'>"
        "</head><body><div class='comment-content entry'>"
        + "".join(f"<p>{p}</p>" for p in PARAS)
        + "</div></body></html>"
    )
    page_text = extract_html(html)
    assert page_text.with_comment_markup
    assert PARAS[-1] in page_text.text
    assert (page_text.title, page_text.author) == ("The Mill", "Ada Lovelace")


@pytest.mark.parametrize(
    ("body", "chars"),
    [
        ("<p>No markup named like comments.</p>", 0),
        ("<div class='comment-list'><p>Four words of text.</p></div>", 19),
        # nested: counted once, at the outermost element; scripts are no visible text
        (
            "<div id='Comments'><div class='comment'><p>Four words  of\ntext.</p>"
            "<script>var comment = 1;</script></div></div>",
            19,
        ),
        ("<section class='disqus'>ab</section><p>x</p><div class='kommentare'>cd</div>", 4),
    ],
)
def test_comment_markup_chars_counts_the_text_a_second_pass_could_add(body, chars):
    assert _comment_markup_chars(f"<html><body>{body}</body></html>") == chars


def test_readers_posts_are_not_taken_for_the_article():
    page_text = extract_html(READERS_POSTS)
    assert not page_text.with_comment_markup
    assert "Lovely to see the mill saved" not in page_text.text
    assert "museum of weaving" in page_text.text


@pytest.mark.parametrize(
    ("lines", "comments"),
    [
        (PARAS, False),
        ([line for post in POSTS for line in post], True),  # names, time stamps, posts
        ([post[2] for post in POSTS], True),  # short posts without names
        ([], True),
    ],
)
def test_reads_as_comments(lines, comments):
    assert reads_as_comments(lines) is comments


def test_a_page_without_text_raises():
    with pytest.raises(ExtractError):
        extract_html("<html><body></body></html>")
