"""The gateway serves two single-page sites: the collection site under /collect/, the back office elsewhere."""

from __future__ import annotations

from pathlib import Path

from werkzeug.test import Client

from arbiter_local.gateway import Gateway


def site(root: Path, name: str) -> Path:
    (root / name / "assets").mkdir(parents=True)
    (root / name / "index.html").write_text(f"<title>{name}</title>")
    (root / name / "assets" / "app.js").write_text(f"// {name}")
    return root / name


def test_each_site_answers_its_own_paths_with_its_files_and_config(tmp_path: Path):
    gateway = Gateway(
        None,  # type: ignore[arg-type]
        [],
        stage="local",
        site_dir=site(tmp_path, "backoffice"),
        collection_dir=site(tmp_path, "collection"),
        health=dict,
        site_config=lambda: {"apiUrl": "http://127.0.0.1:3000"},
    )
    client = Client(gateway)
    assert client.get("/collect/").get_data(as_text=True) == "<title>collection</title>"
    assert client.get("/collect/assets/app.js").get_data(as_text=True) == "// collection"
    assert client.get("/collect/anything").get_data(as_text=True) == "<title>collection</title>"
    assert client.get("/assets/app.js").get_data(as_text=True) == "// backoffice"
    assert client.get("/cases/c1").get_data(as_text=True) == "<title>backoffice</title>"
    # without the slash its relative assets would resolve under / (the back office)
    moved = client.get("/collect")
    assert (moved.status_code, moved.headers["Location"]) == (308, "/collect/")
    assert client.get("/collect/config.json").json == {"apiUrl": "http://127.0.0.1:3000"}
    # nothing outside a site's folder is served from it
    assert client.get("/collect/../assets/app.js").get_data(as_text=True) == "<title>collection</title>"
