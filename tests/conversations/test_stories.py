"""Every conversation story is a test of its own; known failures are strict xfails.

A story listed in known_failures.txt must fail (so the list is emptied as the engine
gets them right), and one not listed must pass (so nothing that works can regress).
Regenerate the list with `python bench/conversations.py --write-known-failures`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conversations.runner import run_story
from tests.conversations.stories import (
    CATALOGS,
    HERE,
    Story,
    StoryError,
    known_failures,
    load_all,
    load_story,
    split_of,
)
from tests.conversations.world import StoryDatabases

STORIES = load_all()
KNOWN = known_failures()


def _param(story: Story) -> object:
    marks = (
        [pytest.mark.xfail(reason="known failure of today's bot", strict=True)]
        if story.name in KNOWN
        else []
    )
    return pytest.param(story, id=story.name, marks=marks)


@pytest.mark.parametrize("story", [_param(s) for s in STORIES])
def test_story(story: Story, story_databases: StoryDatabases) -> None:
    result = run_story(story, story_databases)
    assert result.passed, f"{result.first_failure()}\n{result.transcript()}"


def test_a_story_in_the_other_splits_folder_is_refused(tmp_path: Path) -> None:
    name = next(n for n in (f"story-{i}" for i in range(100)) if split_of(n) == "holdout")
    path = tmp_path / "tune" / "demo" / f"{name}.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("catalog: demo\nturns: [hello]\n")
    with pytest.raises(StoryError, match="belongs in holdout"):
        load_story(path)


def test_yes_and_no_are_what_the_customer_says(tmp_path: Path) -> None:
    name = next(n for n in (f"story-{i}" for i in range(100)) if split_of(n) == "tune")
    path = tmp_path / "tune" / "demo" / f"{name}.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("catalog: demo\nturns: [yes, no, on, off]\n")
    assert [turn.say for turn in load_story(path).turns] == ["yes", "no", "on", "off"]


def test_known_failures_name_only_existing_stories() -> None:
    assert {story.name for story in STORIES} >= KNOWN


def test_stories_cover_every_catalog_and_both_splits() -> None:
    for catalog in CATALOGS:
        for split in ("tune", "holdout"):
            assert (HERE / split / catalog).is_dir()
            assert any(s.catalog == catalog and s.split == split for s in STORIES)
