"""The language a journey is shown in: asked for, else the link's, else the browser's, else English."""

from __future__ import annotations

import pytest

from arbiter.api.collection import journey_language


@pytest.mark.parametrize(
    ("asked", "link", "accept", "shown"),
    [
        ("de", "es", "en-GB", "de"),
        (None, "es", "de-DE,de;q=0.9", "es"),
        (None, None, "fr-FR,fr;q=0.9,de;q=0.8,en;q=0.5", "de"),
        (None, None, "ES-mx", "es"),
        (None, None, "fr, it", "en"),
        (None, None, None, "en"),
    ],
)
def test_the_journeys_language(asked, link, accept, shown):
    assert journey_language(asked, link, accept) == shown
