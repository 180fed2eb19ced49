"""Every command finds the running stack; what the user set wins; no throwaway Prefect ever."""

from __future__ import annotations

from pathlib import Path

from cdppe.ops.stack_address import StackAddress, apply_address, read_address, remove_address, write_address

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


def test_each_child_of_the_stack_gets_only_the_environment_of_its_job() -> None:
    from cdppe.ops.local_stack import child_environment

    env = {"PATH": "/usr/bin", "LC_ALL": "C.UTF-8", "CDPPE_SMTP_PASSWORD": "secret-smtp",
           "CDPPE_DATA_DIR": "/d", "CDPPE_SINK_PORT": "8025", "PREFECT_API_URL": "http://x/api",
           "PREFECT_SERVER_API_AUTH_STRING": "a:b", "AWS_SECRET_ACCESS_KEY": "other-secret"}
    server = child_environment("prefect-server", env)
    assert "CDPPE_SMTP_PASSWORD" not in server and server["PREFECT_SERVER_API_AUTH_STRING"] == "a:b"
    sink = child_environment("mail-sink", env)
    assert set(sink) == {"PATH", "LC_ALL", "CDPPE_DATA_DIR", "CDPPE_SINK_PORT"}
    documents = child_environment("documents", env)
    assert "CDPPE_SMTP_PASSWORD" not in documents and "PREFECT_API_URL" not in documents
    serve = child_environment("serve", env)
    assert serve["CDPPE_SMTP_PASSWORD"] == "secret-smtp" and serve["PREFECT_API_URL"] == "http://x/api"
    assert all("AWS_SECRET_ACCESS_KEY" not in c for c in (server, sink, documents, serve))
