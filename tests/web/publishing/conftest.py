"""Publishing tests keep their compile cache in their own temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def content_cache(app, tmp_path):
    folder = tmp_path / "content-cache"
    app.config["CONTENT_CACHE_DIR"] = str(folder)
    return folder
