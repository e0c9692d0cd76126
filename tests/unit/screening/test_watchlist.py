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


def test_a_prebuilt_file_of_an_older_format_is_refused_with_a_rebuild_hint(watchlist: Watchlist) -> None:
    import json

    import numpy as np

    from arbiter.screening.watchlist import INDEX_FORMAT

    buffer = io.BytesIO()
    watchlist.save(buffer)
    stored = np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False)
    arrays = {name: stored[name] for name in stored.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    meta["format"] = INDEX_FORMAT - 1  # written before the normalisation last changed
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    older = io.BytesIO()
    np.savez(older, **arrays)
    with pytest.raises(InvalidInput) as error:
        Watchlist.load(older.getvalue())
    assert error.value.path == "index"
    assert "rebuild it" in error.value.message
