"""The weekly pulse email, through a real SMTP conversation with the aiosmtpd sink."""

from datetime import date

import pytest

from apps.activity.services import follow_delete
from apps.analytics.models import PulseSent
from apps.analytics.pulse import pulse_recipients, send_pulse
from apps.analytics.services import pulse_subscription_set, rollup_range
from apps.analytics.tasks import send_pulses_task
from tests.analytics.factories import DAY1, DAY2, build_story
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db

MONDAY_AFTER = date(2026, 3, 9)


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


@pytest.fixture
def team():
    """Cai manages Ann (who owns client C and deal X) and Dee (who owns a deal nobody follows)."""
    story = build_story()
    for report in (story.ann, story.dee):
        report.manager = story.cai
        report.save(update_fields=["manager"])
    quiet = make_deal(owner=story.dee, client=story.client, name="Forgotten renewal")
    follow_delete(user=story.dee, stream=quiet.stream_key)
    rollup_range(first=DAY1, last=DAY2)
    pulse_subscription_set(user=story.cai, enabled=True)
    return story, quiet


def test_pulse_summarises_the_team_records_in_html_and_text(mailbox, team):
    story, quiet = team

    assert send_pulse(user_id=story.cai.pk, on=MONDAY_AFTER) is True

    [message] = mailbox.messages
    text, html = parts(message)
    assert message["To"] == story.cai.email
    assert message["Subject"] == "Your team's pulse: 9 activities, 02 Mar to 08 Mar"
    assert "Records owned by Ann Lee, Dee Fox." in text
    # Team totals add up each record's own figures: the deal's creation and its stage change (and
    # the like on it) count on the deal and again on the client it rolls up to.
    assert "9 activities, 1 posts, 3 comments, 4 likes, 4 people involved; followers +3 / -1." in text
    assert text.index("Deal X (deal): score 19") < text.index("Client C (client): score 7")
    assert f"https://feedhub.example.com/deals/{story.deal.pk}/" in text
    assert (
        f"Forgotten renewal (Proposal, Dee Fox): no activity, 0 followers  https://feedhub.example.com/deals/{quiet.pk}/"
        in text
    )
    assert f'<a href="https://feedhub.example.com/deals/{story.deal.pk}/">Deal X</a>' in html
    assert "Forgotten renewal" in html


def test_pulse_goes_once_a_week(mailbox, team):
    story, _ = team

    assert send_pulse(user_id=story.cai.pk, on=MONDAY_AFTER) is True
    assert send_pulse(user_id=story.cai.pk, on=date(2026, 3, 11)) is False

    assert len(mailbox.messages) == 1
    assert PulseSent.objects.get().week == MONDAY_AFTER


def test_only_opted_in_managers_with_reports_get_one(mailbox, team):
    story, _ = team
    pulse_subscription_set(user=story.bob, enabled=True)
    pulse_subscription_set(user=story.eve, enabled=False)

    assert pulse_recipients() == [story.cai.pk]
    assert send_pulse(user_id=story.bob.pk, on=MONDAY_AFTER) is False
    assert send_pulse(user_id=story.eve.pk, on=MONDAY_AFTER) is False
    assert mailbox.messages == []


def test_the_beat_task_queues_a_pulse_per_recipient(mailbox, team):
    story, _ = team

    assert send_pulses_task.delay().get() == 1

    [message] = mailbox.messages
    assert message["To"] == story.cai.email
