import json

from models.contract_file import ContractFile
from tests.conftest import ROOT


def test_published_schema_matches_the_models() -> None:
    published = json.loads((ROOT / "schemas" / "contract.schema.json").read_text(encoding="utf-8"))
    assert published == ContractFile.model_json_schema(), "run: cdppe contract schema --out schemas/..."
