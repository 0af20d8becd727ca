"""The committed storefront build (``web/dist``) matches its sources, and the digest notices
any change to them (``make web`` rebuilds and records it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from polyshop.devstack.storefront import (
    SOURCES,
    WEB_DIR,
    build_is_stale,
    record_build,
    recorded_digest,
    source_digest,
)


def test_the_committed_build_is_fresh() -> None:
    assert (WEB_DIR / "dist" / "index.html").is_file(), "web/dist is not built: run `make web`"
    assert recorded_digest() is not None, "web/dist/build-info.json is missing: run `make web`"
    assert not build_is_stale(), (
        "web/dist was built from other sources than web/'s: run `make web` and commit web/dist"
    )


def test_the_built_page_loads_only_assets_that_exist() -> None:
    page = (WEB_DIR / "dist" / "index.html").read_text()
    assets = [part.split('"')[0] for part in page.split('"/assets/')[1:]]
    assert assets, page
    for name in assets:
        assert (WEB_DIR / "dist" / "assets" / name).is_file(), name


@pytest.fixture
def web_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "web"
    for name in SOURCES:
        source = WEB_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        elif source.is_file():
            copy.mkdir(exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / "dist").mkdir()
    (copy / "dist" / "index.html").write_text("<!doctype html>")
    return copy


def test_a_changed_added_or_renamed_source_makes_the_build_stale(web_copy: Path) -> None:
    record_build(web_copy)
    assert not build_is_stale(web_copy)
    before = source_digest(web_copy)
    app = web_copy / "src" / "App.jsx"
    original = app.read_text()
    app.write_text(original + "\n// changed\n")
    assert build_is_stale(web_copy)
    app.write_text(original)
    assert source_digest(web_copy) == before
    (web_copy / "src" / "extra.js").write_text("export {};\n")
    assert build_is_stale(web_copy)
    (web_copy / "src" / "extra.js").rename(web_copy / "src" / "extra2.js")
    assert build_is_stale(web_copy)
    (web_copy / "src" / "extra2.js").unlink()
    assert not build_is_stale(web_copy)
    (web_copy / "dist" / "build-info.json").unlink()
    assert build_is_stale(web_copy), "a build without a recorded digest is stale"


def test_recording_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="vite build"):
        record_build(tmp_path)
