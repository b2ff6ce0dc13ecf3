from decimal import Decimal

import pytest

from apps.activity.models import Activity, Follow
from apps.records.models import Deal
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.records.factories import make_brief, make_client, make_deal

pytestmark = pytest.mark.django_db


def test_creating_a_deal_emits_create_and_makes_owner_a_follower():
    owner = UserFactory(first_name="Ann", last_name="Lee")
    client = make_client(owner=owner)

    deal = make_deal(owner=owner, client=client)

    created = Activity.objects.get(object_type="deal", object_id=str(deal.pk))
    assert created.verb == "Create"
    assert (created.target_type, created.target_id) == ("client", str(client.pk))
    assert created.summary == "Ann Lee created deal ACME rebrand"
    assert Follow.objects.filter(user=owner, stream=f"deal:{deal.pk}").exists()


def test_stage_change_emits_one_update_with_old_and_new_values():
    deal = make_deal()
    editor = UserFactory(first_name="Bo", last_name="Ray")
    before = Activity.objects.count()

    record_update(record=deal, actor=editor, data={"stage": Deal.Stage.NEGOTIATION})

    assert Activity.objects.count() == before + 1
    update = Activity.objects.latest("pk")
    assert update.verb == "Update"
    assert update.actor == editor
    assert update.summary == "Bo Ray moved ACME rebrand from Proposal to Negotiation"
    assert update.changes == [
        {
            "field": "stage",
            "label": "Stage",
            "old": "proposal",
            "new": "negotiation",
            "old_display": "Proposal",
            "new_display": "Negotiation",
        }
    ]
    assert Deal.objects.get(pk=deal.pk).stage == "negotiation"


def test_several_tracked_fields_in_one_save_make_one_activity():
    deal = make_deal()
    before = Activity.objects.count()

    record_update(
        record=deal, actor=deal.owner, data={"stage": Deal.Stage.CLOSED_WON, "amount": Decimal("150000.00")}
    )

    assert Activity.objects.count() == before + 1
    update = Activity.objects.latest("pk")
    assert [c["field"] for c in update.changes] == ["stage", "amount"]
    assert update.changes[1]["old"] == "120000.00"
    assert update.changes[1]["new"] == "150000.00"


def test_saving_unchanged_values_emits_nothing():
    deal = make_deal()
    before = Activity.objects.count()

    record_update(record=deal, actor=deal.owner, data={"stage": deal.stage, "amount": deal.amount})

    assert Activity.objects.count() == before


def test_new_owner_follows_the_deal_and_change_names_them():
    deal = make_deal()
    new_owner = UserFactory(first_name="Cy", last_name="Vance")

    record_update(record=deal, actor=deal.owner, data={"owner": new_owner})

    assert Follow.objects.filter(user=new_owner, stream=deal.stream_key).exists()
    assert Activity.objects.latest("pk").summary.endswith("made Cy Vance the owner of ACME rebrand")


def test_brief_revision_is_tracked():
    brief = make_brief()

    record_update(record=brief, actor=brief.owner, data={"revision": 2})

    update = Activity.objects.latest("pk")
    assert update.object_type == "brief"
    assert update.changes[0]["field"] == "revision"
    assert (update.changes[0]["old"], update.changes[0]["new"]) == (1, 2)
