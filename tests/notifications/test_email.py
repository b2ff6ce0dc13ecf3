"""Emails go through a real SMTP conversation with an aiosmtpd server on 127.0.0.1."""

import datetime as dt
import re
from email.message import EmailMessage

import pytest
from django.core import signing

from apps.activity import registry
from apps.activity.services import ObjectRef, activity_publish, follow_create
from apps.notifications import emails, services
from apps.notifications.models import Notification, NotificationSettings
from apps.notifications.reasons import Channel, DigestFrequency, Reason
from apps.notifications.tasks import send_digests_task
from apps.records.models import Deal
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.notifications.factories import change_stage
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def unsubscribe_path(url: str) -> str:
    return url.removeprefix("https://feedhub.example.com")


def test_new_owner_gets_an_instant_email_with_what_changed_a_link_and_unsubscribe(
    mailbox, django_capture_on_commit_callbacks
):
    deal = make_deal()
    heir = UserFactory(first_name="Priya", last_name="Shah")

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"owner": heir})

    [message] = mailbox.messages
    text, html = parts(message)
    assert message["To"] == heir.email
    assert message["Subject"] == f"{deal.owner.display_name} made Priya Shah the owner of ACME rebrand"
    assert f"- Owner: {deal.owner.display_name} → Priya Shah" in text
    assert f"https://feedhub.example.com/deals/{deal.pk}/" in text
    assert f'href="https://feedhub.example.com/deals/{deal.pk}/"' in html
    assert "<s>" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"Stop these emails: (\S+)", text).group(1)
    # Long headers are folded on the wire; unfolded, it is the same link.
    assert message["List-Unsubscribe"].strip() == f"<{link}>"


def test_the_unsubscribe_link_asks_on_get_and_acts_on_post(
    client, mailbox, django_capture_on_commit_callbacks
):
    deal = make_deal()
    heir = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"owner": heir})
    text, _ = parts(mailbox.messages[0])
    stop = unsubscribe_path(re.search(r"Stop these emails: (\S+)", text).group(1))
    mute = unsubscribe_path(re.search(r"Mute this one: (\S+)", text).group(1))

    page = client.get(stop)
    assert page.status_code == 200
    assert emails.preferences_get(user=heir).channels[Reason.ASSIGNED] == Channel.INSTANT

    assert client.post(stop).status_code == 200
    assert client.post(mute).status_code == 200
    prefs = emails.preferences_get(user=heir)
    assert prefs.channels[Reason.ASSIGNED] == Channel.IN_APP
    assert prefs.muted_streams == [deal.stream_key]


def test_a_tampered_or_expired_unsubscribe_link_is_refused(client, settings):
    person = UserFactory()
    token = emails.unsubscribe_token(emails.Unsubscribe(user_id=person.pk, reason=Reason.ASSIGNED))
    forged = token.replace(token.split(":")[0], token.split(":")[0][:-1] + "x", 1)

    tampered = client.post(f"/notifications/unsubscribe/{forged}/")
    settings.FEEDHUB = {**settings.FEEDHUB, "UNSUBSCRIBE_MAX_AGE_DAYS": -1}
    expired = client.post(f"/notifications/unsubscribe/{token}/")

    assert (tampered.status_code, expired.status_code) == (400, 400)
    assert b"not valid" in tampered.content
    assert b"expired" in expired.content
    assert emails.preferences_get(user=person).channels[Reason.ASSIGNED] == Channel.INSTANT
    with pytest.raises(signing.BadSignature):
        emails.unsubscribe_read(forged)


def test_someone_who_lost_access_before_the_email_went_out_gets_none(
    mailbox, monkeypatch, django_capture_on_commit_callbacks
):
    keeper, leaver = UserFactory(), UserFactory()
    allowed = {keeper.pk, leaver.pk}
    monkeypatch.setitem(
        registry._kinds,
        "vault",
        registry.StreamKind(
            prefix="vault", label="Vault", users_who_can_see=lambda object_id, ids: set(ids) & allowed
        ),
    )
    activity = activity_publish(actor=UserFactory(), verb="Update", obj=ObjectRef(type="vault", id="1"))

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.notify(recipients=[keeper.pk, leaver.pk], reason=Reason.ASSIGNED, activity=activity)
    allowed.discard(leaver.pk)
    for callback in pending:
        callback()

    assert [m["To"] for m in mailbox.messages] == [keeper.email]


def test_a_retried_email_task_sends_once(mailbox, django_capture_on_commit_callbacks):
    deal = make_deal()
    heir = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"owner": heir})
    notification = Notification.objects.get(recipient=heir)

    again = emails.send_instant_email(user_id=heir.pk, activity_id=notification.activity_id)

    assert again is False
    assert len(mailbox.messages) == 1


def test_quiet_hours_hold_an_instant_email_for_the_digest(mailbox, django_capture_on_commit_callbacks):
    deal = make_deal()
    heir = UserFactory(timezone="Asia/Tokyo")
    # Quiet all day: a window that ends one minute before it starts.
    services.preferences_update(user=heir, quiet_hours=(dt.time(0, 1), dt.time(0, 0)))

    with django_capture_on_commit_callbacks(execute=True):
        record_update(record=deal, actor=deal.owner, data={"owner": heir})

    assert mailbox.messages == []
    assert Notification.objects.get(recipient=heir).digest_pending is True


def test_daily_digest_collects_waiting_items_once_and_skips_weekly_people(
    mailbox, django_capture_on_commit_callbacks
):
    deal = make_deal()
    daily, weekly = UserFactory(), UserFactory()
    for person in (daily, weekly):
        follow_create(user=person, stream=deal.stream_key)
    NotificationSettings.objects.create(user=weekly, digest_frequency=DigestFrequency.WEEKLY)
    other = make_deal(name="Globex retainer")
    follow_create(user=daily, stream=other.stream_key)
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)
        change_stage(other, actor=other.owner, stage=Deal.Stage.CLOSED_WON)

    tuesday_7am, monday_7am = "2026-11-24T07:00:00+00:00", "2026-11-30T07:00:00+00:00"
    sent_to = send_digests_task(tuesday_7am)
    resent_to = send_digests_task(tuesday_7am)

    assert (sent_to, resent_to) == (1, 0)
    [message] = mailbox.messages
    text, html = parts(message)
    assert message["To"] == daily.email
    assert message["Subject"] == "Your feedhub digest: 2 updates"
    assert "moved ACME rebrand from Proposal to Negotiation" in text
    assert "moved Globex retainer from Proposal to Closed won" in html
    assert Notification.objects.filter(recipient=daily, digest_pending=True).exists() is False
    assert Notification.objects.filter(recipient=weekly, digest_pending=True).count() == 1
    assert send_digests_task(monday_7am) == 1
    assert Notification.objects.filter(recipient=weekly, digest_pending=True).exists() is False


def test_digests_are_due_at_seven_in_each_persons_time_zone_and_weekly_ones_on_monday(
    django_capture_on_commit_callbacks,
):
    deal = make_deal()
    london, tokyo, weekly, never = (
        UserFactory(timezone="Europe/London"),
        UserFactory(timezone="Asia/Tokyo"),
        UserFactory(timezone="UTC"),
        UserFactory(timezone="UTC"),
    )
    for person in (london, tokyo, weekly, never):
        follow_create(user=person, stream=deal.stream_key)
    NotificationSettings.objects.create(user=weekly, digest_frequency=DigestFrequency.WEEKLY)
    NotificationSettings.objects.create(user=never, digest_frequency=DigestFrequency.NEVER)
    with django_capture_on_commit_callbacks(execute=True):
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    def due(at: str) -> list[int]:
        return emails.digest_recipients(now=dt.datetime.fromisoformat(at))

    # London is on GMT in November; 07:00 in Tokyo is 22:00 UTC the day before.
    assert due("2026-11-24T07:00:00+00:00") == [london.pk]
    assert due("2026-11-23T22:00:00+00:00") == [tokyo.pk]
    assert due("2026-11-24T08:00:00+00:00") == []
    assert due("2026-11-30T07:00:00+00:00") == sorted([london.pk, weekly.pk])
