"""The content pack: modules of Markdown lessons and TOML question sets, read from files.

Layout (the default pack ships in `greenroom/content/pack/`; `GREENROOM_CONTENT_DIR` overrides):

    modules/NN-<module-slug>/module.toml          slug, title, summary
    modules/NN-<module-slug>/NN-<lesson-slug>.md   first line "# Title", then Markdown
    question_sets/<set-slug>.toml                  slug, title, category, interviewer_name,
                                                   description, order, answer_seconds (the time
                                                   limit of a spoken answer, default 120),
                                                   [[questions]] prompt, tips

The pack is read once per process and kept in memory: it is the same for every org, so it never
goes into the database (only org-specific question sets do). Progress stores the slugs of the
lessons a user completed and counts them against the pack in memory, so totals stay exact when
the pack changes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PACKAGE_PACK = Path(__file__).resolve().parent / "pack"
CATEGORIES = ("behavioural", "situational", "general", "tell-me-about-yourself")
# A spoken answer's time limit (seconds): 2 minutes unless the set says otherwise.
DEFAULT_ANSWER_SECONDS = 120
MIN_ANSWER_SECONDS, MAX_ANSWER_SECONDS = 15, 15 * 60
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_ORDERED_NAME = re.compile(r"^(\d+)-([a-z0-9-]+)$")


class ContentError(ValueError):
    """The pack on disk is malformed; the message names the file."""


@dataclass(frozen=True, slots=True)
class Lesson:
    module_slug: str
    slug: str
    title: str
    markdown: str

    @property
    def key(self) -> str:
        return f"{self.module_slug}/{self.slug}"

    @property
    def link(self) -> str:
        return f"/members/modules/{self.module_slug}/lessons/{self.slug}"


@dataclass(frozen=True, slots=True)
class Module:
    slug: str
    title: str
    summary: str
    lessons: tuple[Lesson, ...]
    # Its lessons' keys, made once: every progress read counts the completed ones.
    lesson_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lesson_keys", frozenset(lesson.key for lesson in self.lessons))

    @property
    def link(self) -> str:
        return f"/members/modules/{self.slug}"


@dataclass(frozen=True, slots=True)
class Question:
    prompt: str
    tips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionSet:
    slug: str
    title: str
    category: str
    interviewer_name: str
    description: str
    order: int
    questions: tuple[Question, ...]
    answer_seconds: int = DEFAULT_ANSWER_SECONDS


@dataclass(frozen=True, slots=True)
class Pack:
    modules: tuple[Module, ...] = ()
    question_sets: tuple[QuestionSet, ...] = ()
    lessons_by_key: dict[str, Lesson] = field(default_factory=dict)

    def module(self, slug: str) -> Module | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def lesson(self, module_slug: str, lesson_slug: str) -> Lesson | None:
        return self.lessons_by_key.get(f"{module_slug}/{lesson_slug}")

    def question_set(self, slug: str) -> QuestionSet | None:
        return next((s for s in self.question_sets if s.slug == slug), None)

    @property
    def lessons_total(self) -> int:
        return len(self.lessons_by_key)


def _toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: {exc}") from exc


def _text(data: dict[str, object], name: str, path: Path) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{path}: '{name}' must be a non-empty string")
    return value.strip()


def _slug(data: dict[str, object], path: Path) -> str:
    slug = _text(data, "slug", path)
    if not SLUG_RE.fullmatch(slug):
        raise ContentError(f"{path}: slug {slug!r} is not lowercase letters, digits and hyphens")
    return slug


def load_module(folder: Path) -> Module:
    meta_path = folder / "module.toml"
    meta = _toml(meta_path)
    slug = _slug(meta, meta_path)
    folder_name = _ORDERED_NAME.fullmatch(folder.name)
    if not folder_name or folder_name.group(2) != slug:
        raise ContentError(f"{meta_path}: the folder must be named NN-{slug}")
    lessons: list[Lesson] = []
    for md in sorted(folder.glob("*.md")):
        match = _ORDERED_NAME.fullmatch(md.stem)
        if not match:
            raise ContentError(f"{md}: lesson files are named NN-<lesson-slug>.md")
        first, _, body = md.read_text(encoding="utf-8").partition("\n")
        if not first.startswith("# ") or not first[2:].strip():
            raise ContentError(f"{md}: the first line must be '# Title'")
        lessons.append(Lesson(slug, match.group(2), first[2:].strip(), body.strip() + "\n"))
    if not lessons:
        raise ContentError(f"{folder}: a module needs at least one lesson")
    if len({lesson.slug for lesson in lessons}) != len(lessons):
        raise ContentError(f"{folder}: two lessons share a slug")
    return Module(
        slug, _text(meta, "title", meta_path), _text(meta, "summary", meta_path), tuple(lessons)
    )


def load_question_set(path: Path) -> QuestionSet:
    data = _toml(path)
    category = _text(data, "category", path)
    if category not in CATEGORIES:
        raise ContentError(f"{path}: category must be one of {', '.join(CATEGORIES)}")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise ContentError(f"{path}: a question set needs [[questions]]")
    questions = []
    for item in raw_questions:
        if not isinstance(item, dict):
            raise ContentError(f"{path}: each [[questions]] entry is a table")
        tips = item.get("tips", [])
        if not isinstance(tips, list) or not all(isinstance(t, str) for t in tips):
            raise ContentError(f"{path}: tips must be a list of strings")
        questions.append(Question(_text(item, "prompt", path), tuple(tips)))
    order = data.get("order", 0)
    if not isinstance(order, int):
        raise ContentError(f"{path}: order must be an integer")
    answer_seconds = data.get("answer_seconds", DEFAULT_ANSWER_SECONDS)
    if (
        not isinstance(answer_seconds, int)
        or isinstance(answer_seconds, bool)
        or not MIN_ANSWER_SECONDS <= answer_seconds <= MAX_ANSWER_SECONDS
    ):
        raise ContentError(
            f"{path}: answer_seconds must be an integer from {MIN_ANSWER_SECONDS} to "
            f"{MAX_ANSWER_SECONDS}"
        )
    slug = _slug(data, path)
    if slug != path.stem:
        raise ContentError(f"{path}: slug {slug!r} must equal the file name")
    return QuestionSet(
        slug=slug,
        title=_text(data, "title", path),
        category=category,
        interviewer_name=_text(data, "interviewer_name", path),
        description=str(data.get("description", "")).strip(),
        order=order,
        questions=tuple(questions),
        answer_seconds=answer_seconds,
    )


def load_pack(root: Path) -> Pack:
    """Read and validate a whole pack; a missing folder is an empty pack."""
    modules = tuple(
        load_module(folder)
        for folder in sorted((root / "modules").glob("*"))
        if folder.is_dir() and (folder / "module.toml").exists()
    )
    sets = sorted(
        (load_question_set(p) for p in sorted((root / "question_sets").glob("*.toml"))),
        key=lambda s: (s.order, s.slug),
    )
    if len({m.slug for m in modules}) != len(modules):
        raise ContentError(f"{root}: two modules share a slug")
    if len({s.slug for s in sets}) != len(sets):
        raise ContentError(f"{root}: two question sets share a slug")
    by_key = {lesson.key: lesson for m in modules for lesson in m.lessons}
    return Pack(modules, tuple(sets), by_key)


@lru_cache(maxsize=8)
def get_pack(root: Path | None = None) -> Pack:
    """The pack at `root` (the package's own when None), read once per process."""
    return load_pack(root or PACKAGE_PACK)
