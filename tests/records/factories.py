"""Record factories go through the services, so every record has its Create activity and owner follow."""

from decimal import Decimal

from apps.records.models import Brief, Client, Deal
from apps.records.services import brief_create, client_create, deal_create
from tests.accounts.factories import UserFactory


def make_client(*, owner=None, **data) -> Client:
    owner = owner or UserFactory()
    return client_create(actor=owner, data={"name": "ACME Corporation", "industry": "Manufacturing", **data})


def make_deal(*, owner=None, client=None, **data) -> Deal:
    owner = owner or UserFactory()
    client = client or make_client(owner=owner)
    defaults = {"name": "ACME rebrand", "stage": Deal.Stage.PROPOSAL, "amount": Decimal("120000.00")}
    return deal_create(actor=owner, data={"client": client, **defaults, **data})


def make_brief(*, owner=None, client=None, **data) -> Brief:
    owner = owner or UserFactory()
    client = client or make_client(owner=owner)
    return brief_create(actor=owner, data={"client": client, "title": "Spring campaign", **data})
