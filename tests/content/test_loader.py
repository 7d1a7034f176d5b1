from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from greenroom.content.loader import PACKAGE_PACK, ContentError, load_pack
from greenroom.content.render import markdown_to_html
from greenroom.core.redirects import safe_path
from greenroom.progress.models import UserProgress
from greenroom.progress.service import to_public, tracks
from greenroom.users.models import User

TEST_PACK = Path(__file__).resolve().parents[1] / "practice" / "pack"


def test_the_test_pack_loads_in_file_order() -> None:
    pack = load_pack(TEST_PACK)
    assert [m.slug for m in pack.modules] == ["first-steps", "stories"]
    assert [lesson.slug for lesson in pack.modules[0].lessons] == [
        "why-practise",
        "research",
        "dress",
    ]
    assert pack.modules[0].lessons[0].title == "Why practise"
    assert [s.slug for s in pack.question_sets] == ["basics", "teamwork"]
    basics = pack.question_sets[0]
    assert (basics.category, basics.interviewer_name) == ("general", "Alex")
    assert basics.questions[0].tips == ("Keep it to two minutes.", "End with why this role.")
    assert pack.lessons_total == 5
    # The answer time limit: 2 minutes unless the set says otherwise.
    assert [s.answer_seconds for s in pack.question_sets] == [120, 90]


def test_the_shipped_pack_meets_the_minimums() -> None:
    pack = load_pack(PACKAGE_PACK)
    assert len(pack.modules) >= 4 and all(len(m.lessons) >= 3 for m in pack.modules)
    assert len(pack.question_sets) >= 4
    assert all(len(s.questions) >= 5 for s in pack.question_sets)


def test_markdown_is_rendered_and_sanitised() -> None:
    html = markdown_to_html(
        "**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>"
    )
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        ("question_sets/basics.toml", 'slug = "basics"\ncategory = "nonsense"', "category"),
        ("question_sets/basics.toml", "not = [toml", "basics.toml"),
        ("modules/01-first-steps/01-why-practise.md", "No title line\n", "# Title"),
        ("modules/01-first-steps/module.toml", 'slug = "Bad Slug"', "slug"),
        (
            "modules/01-first-steps/module.toml",
            'slug = "other"\ntitle = "T"\nsummary = "S"',
            "NN-other",
        ),
        (
            "question_sets/basics.toml",
            'slug = "renamed"\ntitle = "T"\ncategory = "general"\ninterviewer_name = "A"\n'
            '[[questions]]\nprompt = "Q"',
            "file name",
        ),
        (
            "question_sets/basics.toml",
            'slug = "basics"\ntitle = "T"\ncategory = "general"\ninterviewer_name = "A"\n'
            'answer_seconds = 5\n[[questions]]\nprompt = "Q"',
            "answer_seconds must be an integer from 15 to 900",
        ),
        (
            "question_sets/basics.toml",
            'slug = "basics"\ntitle = "T"\ncategory = "general"\ninterviewer_name = "A"\n'
            'answer_seconds = "2 minutes"\n[[questions]]\nprompt = "Q"',
            "answer_seconds",
        ),
    ],
)
def test_a_malformed_pack_is_refused_naming_the_file(
    tmp_path: Path, path: str, content: str, message: str
) -> None:
    root = tmp_path / "pack"
    shutil.copytree(TEST_PACK, root)
    (root / path).write_text(content)
    with pytest.raises(ContentError, match=message):
        load_pack(root)


def test_progress_stays_exact_when_the_pack_changes(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(TEST_PACK, root)
    user = User(partner_id="abc123def")
    row = UserProgress(
        lessons_completed=["first-steps/why-practise", "stories/star"],
        interviews_started=0,
        interviews_completed=0,
        answers_recorded=0,
        rating_sum=0,
        rating_count=0,
    )
    before = to_public(user, row, load_pack(root))
    assert before["lessons"] == {"completed": 2, "total": 5} and before["percent_complete"] == 40
    # The pack drops a completed lesson and gains a new one.
    (root / "modules/02-stories/01-star.md").unlink()
    (root / "modules/02-stories/03-closing.md").write_text("# Closing\n\nThank them.\n")
    changed = load_pack(root)
    after = to_public(user, row, changed)
    assert after["lessons"] == {"completed": 1, "total": 5}
    stories = after["modules"][1]
    assert (stories["lessons_completed"], stories["lessons_total"]) == (0, 2)
    assert tracks(row, changed)[1]["progress"] == 0.0


def test_every_shipped_lesson_renders_and_links_as_a_safe_redirect() -> None:
    pack = load_pack(PACKAGE_PACK)
    for module in pack.modules:
        assert safe_path(module.link) == module.link
        for lesson in module.lessons:
            assert safe_path(lesson.link) == lesson.link
            html = markdown_to_html(lesson.markdown)
            assert html.strip() and "<script" not in html
