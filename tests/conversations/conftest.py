"""One StoryDatabases for the run, on the database the suite's conftest migrated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conversations.world import StoryDatabases


@pytest.fixture(scope="session")
def story_databases(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoryDatabases]:
    databases = StoryDatabases(database_url, tmp_path_factory.mktemp("stories"))
    yield databases
    databases.close()
