"""The simulation's Prefect client settings: what is cut from each run's overhead, and where."""

from __future__ import annotations

import ssl

from cdppe.simulation.runner import LOOPBACK_CA_FILE, prefect_api


def test_loopback_api_skips_the_ca_bundle() -> None:
    from prefect.settings import (
        PREFECT_API_SSL_CERT_FILE,
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    # a configured API: no server is started
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:4999/api"}), prefect_api() as url:
        assert url == "http://127.0.0.1:4999/api"
        assert PREFECT_API_SSL_CERT_FILE.value() == str(LOOPBACK_CA_FILE)
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
    context = ssl.create_default_context(cafile=str(LOOPBACK_CA_FILE))  # a valid, one-certificate file
    assert len(context.get_ca_certs()) == 1


def test_remote_api_keeps_the_tls_settings() -> None:
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_URL, temporary_settings

    before = PREFECT_API_SSL_CERT_FILE.value()
    with temporary_settings({PREFECT_API_URL: "https://prefect.example.org/api"}), prefect_api() as url:
        assert url == "https://prefect.example.org/api"
        assert PREFECT_API_SSL_CERT_FILE.value() == before != str(LOOPBACK_CA_FILE)
