"""Every command finds the running stack; what the user set wins; no throwaway Prefect ever."""

from __future__ import annotations

from pathlib import Path

from cdppe.stack_address import StackAddress, apply_address, read_address, remove_address, write_address

ADDRESS = StackAddress(api_url="http://127.0.0.1:4300/api", ui_url="http://127.0.0.1:4300",
                       smtp_host="127.0.0.1", smtp_port=8026)


def test_a_written_address_fills_what_the_user_did_not_set(tmp_path: Path) -> None:
    write_address(tmp_path, ADDRESS)
    env: dict[str, str] = {}
    assert apply_address(env, tmp_path) == ADDRESS
    assert env == {"PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
                   "PREFECT_API_URL": "http://127.0.0.1:4300/api", "CDPPE_UI_URL": "http://127.0.0.1:4300",
                   "CDPPE_SMTP_HOST": "127.0.0.1", "CDPPE_SMTP_PORT": "8026"}


def test_the_users_variables_win_and_a_configured_smtp_server_is_kept(tmp_path: Path) -> None:
    write_address(tmp_path, ADDRESS)
    env = {"PREFECT_API_URL": "https://prefect.example/api", "CDPPE_SMTP_HOST": "smtp.example",
           "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true"}
    apply_address(env, tmp_path)
    assert env["PREFECT_API_URL"] == "https://prefect.example/api"
    assert env["CDPPE_SMTP_HOST"] == "smtp.example" and "CDPPE_SMTP_PORT" not in env
    assert env["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] == "true"


def test_no_stack_no_address_and_never_ephemeral(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    assert apply_address(env, tmp_path) is None
    assert env == {"PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false"}
    (tmp_path / "stack.json").write_text("{not json", encoding="utf-8")
    assert read_address(tmp_path) is None


def test_a_stack_removes_only_its_own_address(tmp_path: Path) -> None:
    write_address(tmp_path, ADDRESS)
    other = StackAddress(api_url="http://127.0.0.1:4400/api", ui_url="http://127.0.0.1:4400")
    remove_address(tmp_path, other)
    assert read_address(tmp_path) == ADDRESS
    remove_address(tmp_path, ADDRESS)
    assert read_address(tmp_path) is None
