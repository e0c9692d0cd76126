"""A prebuilt watchlist saved and loaded answers exactly as the one built from the list."""

from __future__ import annotations

import io

import pytest

from arbiter.domain.errors import InvalidInput
from arbiter.screening import PersonQuery, Watchlist, screen


def test_saved_and_loaded_watchlist_answers_the_same(watchlist: Watchlist) -> None:
    buffer = io.BytesIO()
    watchlist.save(buffer)
    loaded = Watchlist.load(buffer.getvalue())
    assert loaded.version == watchlist.version
    assert len(loaded) == len(watchlist)
    for names in (("Путин Владимир",), ("王小明",), ("John Smith",), ("Anna Berg",)):
        query = PersonQuery(names=names)
        assert [m.to_dict() for m in screen(query, loaded)] == [m.to_dict() for m in screen(query, watchlist)]


def test_a_file_that_is_not_a_prebuilt_watchlist_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        Watchlist.load(b"id,schema,name\n")
    assert error.value.path == "index"
