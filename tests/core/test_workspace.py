from __future__ import annotations

import stat
from pathlib import Path

import pytest

from wardwatch.core.workspace import CONFIG_NAME, init_workspace, open_workspace
from wardwatch.errors import ConfigError, WorkspaceError


def test_init_creates_layout(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "w")
    assert (ws.root / CONFIG_NAME).is_file()
    assert ws.lake_dir.is_dir()
    assert ws.reports_dir.is_dir()
    assert (ws.state_dir / "wardwatch.db").is_file()
    assert ws.store_url == f"sqlite:///{ws.state_dir / 'wardwatch.db'}"
    key = ws.state_dir / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(ws.secret()) == 32
    assert ws.secret() == open_workspace(ws.root).secret()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="already exists"):
        init_workspace(tmp_path)
    init_workspace(tmp_path, force=True)


def test_open_missing_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        open_workspace(tmp_path)
    assert "wardwatch init" in str(info.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[store]\nurl = 3\n", "store.url"),
        ("[nope]\nx = 1\n", "nope"),
        ("[privacy]\nmin_cell_size = 0\n", "privacy.min_cell_size"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / CONFIG_NAME).write_text(text)
    with pytest.raises(ConfigError) as info:
        open_workspace(tmp_path)
    assert f"field {field}" in str(info.value)
    assert "\n" not in str(info.value)


def test_broken_toml(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text("[store\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        open_workspace(tmp_path)


def test_env_overrides_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = init_workspace(tmp_path)
    monkeypatch.setenv("WARDWATCH_STORE_URL", "sqlite:////tmp/elsewhere.db")
    assert open_workspace(ws.root).store_url == "sqlite:////tmp/elsewhere.db"
