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


def test_each_phase_starts_the_deployment_of_its_own_flow() -> None:
    from cdppe.ops.phase_runs import PHASE_DEPLOYMENTS
    from flows.annual_cycle import PHASE_FLOWS
    from models.enums import PHASE_ORDER

    served = {d.name: d for d in build_deployments()}
    assert list(PHASE_DEPLOYMENTS) == PHASE_ORDER
    for phase, full_name in PHASE_DEPLOYMENTS.items():
        flow_name, _, deployment_name = full_name.partition("/")
        assert deployment_name in served, full_name
        assert PHASE_FLOWS[phase].name == flow_name, full_name
        assert served[deployment_name].entrypoint is not None
        assert served[deployment_name].entrypoint.endswith(":" + PHASE_FLOWS[phase].fn.__name__)
