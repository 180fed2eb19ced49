"""Findings 3 and 4 of issue 17 without a database: bad addresses refused at import, names only names.

3: a bad address is refused at import with its field; 4: an encoded word in a name cannot add a
recipient (the message is built with it as a display name only).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from cdppe.domain.reminder_policy import Recipient
from cdppe.domain.rules import RuleViolationError
from cdppe.present.reminder_emails import build_message
from cdppe.services.contract_io import parse_contract
from tests.factories import minimal_contract

BAD = "pmi.é@cd71.example.fr"
FORGED = "=?utf-8?b?" + base64.b64encode(b"Bcc: evil@attacker.example").decode() + "?= Jean-Jacques"


@pytest.mark.parametrize("address", [BAD, "pmi@cd71", "pmi@@cd71.example.fr", "pmi@cd71..example.fr"])
def test_bad_addresses_are_refused_at_import_with_the_field(address: str) -> None:
    data = minimal_contract()
    data["parties"]["departement"]["contacts"][0]["email"] = address
    with pytest.raises(RuleViolationError) as info:
        parse_contract(data)
    text = str(info.value)
    assert "parties.departement.contacts[0].email" in text and "adresse électronique" in text
    if address == BAD:
        assert "SMTPUTF8" in text


def test_addresses_are_kept_in_their_normalised_ascii_form() -> None:
    data = minimal_contract()
    data["parties"]["departement"]["contacts"][0]["email"] = "PMI@CD71.Example.FR"
    cf = parse_contract(data)
    assert cf.parties.departement.contacts[0].email == "PMI@cd71.example.fr"


def test_every_name_is_a_display_name_only() -> None:
    for name in (FORGED, 'Jean "JJ" Dupont, <x@y.z>', "Élodie Müller-Lefèvre " * 5, "X\r\nBcc: a@b.c"):
        msg = build_message(mail_from="CDPPE <cdppe@example.gouv.fr>",
                            to=Recipient(name, "dest@example.fr", ""), reply_to=None, subject="s",
                            text="t", html="<p>t</p>", ics=None, message_id="<1@example.gouv.fr>",
                            sent_at=datetime(2024, 10, 17, tzinfo=UTC))
        parsed = BytesParser(policy=policy.strict).parsebytes(msg.as_bytes())
        assert [a.addr_spec for a in parsed["To"].addresses] == ["dest@example.fr"], name
    with pytest.raises(ValueError, match="SMTPUTF8"):
        build_message(mail_from="CDPPE <cdppe@example.gouv.fr>", to=Recipient("x", BAD, ""),
                      reply_to=None, subject="s", text="t", html="t", ics=None,
                      message_id="<1@example.gouv.fr>", sent_at=datetime(2024, 10, 17, tzinfo=UTC))
