"""Smoke test: every deployment builds and its entrypoint imports."""

import importlib
import re

from deployments.definitions import build_deployments


def test_every_deployment_entrypoint_imports() -> None:
    deployments = build_deployments()
    names = {d.name for d in deployments}
    assert {"cycle-annuel", "signature", "avenant"} <= names
    for deployment in deployments:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", deployment.name), deployment.name
        assert deployment.description, deployment.name
        assert deployment.enforce_parameter_schema
        assert "cdppe" in deployment.tags
        assert deployment.entrypoint
        path, _, attribute = deployment.entrypoint.partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, attribute))


def test_prefect_yaml_matches_the_served_deployments() -> None:
    import yaml

    from tests.conftest import ROOT

    spec = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    served = {d.name: d for d in build_deployments()}
    declared = {d["name"]: d for d in spec["deployments"]}
    assert set(declared) == set(served)
    for name, d in declared.items():
        assert d["entrypoint"] == served[name].entrypoint, name
        assert d["enforce_parameter_schema"] is True
        for schedule in d.get("schedules", []):
            assert schedule["timezone"] == "Europe/Paris"
        path, _, attribute = d["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, attribute))
