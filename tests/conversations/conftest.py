"""One StoryDatabases for the run, on the database the suite's conftest migrated."""

from __future__ import annotations

import pytest

from tests.conversations.world import StoryDatabases


@pytest.fixture(scope="session")
def story_databases(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> StoryDatabases:
    return StoryDatabases(database_url, tmp_path_factory.mktemp("stories"))
