"""``cdppe campaign import``: publish the year's ministerial instruction (French output, exit 2 on
refusal, nothing written then)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

campaign_app = typer.Typer(no_args_is_help=True,
                           help="Campagne nationale : instruction ministérielle de l'année.")
console = Console()
err = Console(stderr=True)


@campaign_app.command("import")
def campaign_import_command(
    file: Annotated[Path, typer.Argument(help="Fichier YAML de la campagne "
                                              "(format de cdppe/domain/campaigns)")],
    by: Annotated[str, typer.Option("--by", help="Votre nom (conservé dans l'historique)")] = "cli",
) -> None:
    """Publie la campagne : ses dates gouvernent l'année (la plus précoce avec la règle du contrat)."""
    from cdppe.core.dates import format_date_fr, today_paris
    from cdppe.services.campaigns import CampaignRefusedError, publish_campaign, published_file, read_campaign
    from cdppe.services.uploads import UploadRefusedError, open_operator_file
    from cdppe.store.db import session_scope, upgrade

    try:
        with open_operator_file(file, "FICHIER") as stream:
            text = stream.read(1_000_000).decode("utf-8")
        campaign = read_campaign(text, str(file))
        upgrade()
        with published_file(campaign, text), session_scope() as session:  # a failed commit unpublishes
            result = publish_campaign(session, campaign, by, today_paris())
    except UnicodeDecodeError as exc:
        err.print(f"[bold red]Refusé[/] : {file} n'est pas en UTF-8 ; rien n'a été publié.", highlight=False)
        raise typer.Exit(2) from exc
    except UploadRefusedError as exc:
        err.print(f"[bold red]Refusé[/] : {exc} ; rien n'a été publié.", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    except CampaignRefusedError as exc:
        err.print(f"[bold red]{file} refusé[/] ; rien n'a été publié :", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(f"Campagne {campaign.year} publiée : {campaign.instruction}.", highlight=False)
    for key, year, was, now in result.moved:
        before = format_date_fr(was) if was else "non fixé"
        console.print(f"  - {key} {year} : rapport dû le {format_date_fr(now)} (auparavant : {before})",
                      highlight=False)
