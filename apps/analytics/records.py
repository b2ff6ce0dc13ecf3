"""What analytics needs to know about records and people: teams, and cold spots.

Cold spots are open deals and active briefs nobody touches (no activity for N days) or nobody
follows, and questions nobody answered. Questions come from whatever registers a source with
`register_question_source` (the social app registers its unanswered questions: `questions.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts.models import User
from apps.activity import registry
from apps.records.kinds import record_url
from apps.records.models import Brief, Client, Deal, TrackedRecord

from .models import RecordState
from .selectors import Lens
from .services import COLD_KINDS

RECORD_TYPES = ("client", "brief", "deal")
_RECORD_MODELS: dict[str, type[TrackedRecord]] = {"client": Client, "brief": Brief, "deal": Deal}


def team_member_ids(*, department: str | None = None, manager: User | None = None) -> set[int]:
    """Active people in a department and/or reporting directly to a manager."""
    people = User.objects.filter(is_active=True)
    if department is not None:
        people = people.filter(department__iexact=department)
    if manager is not None:
        people = people.filter(manager=manager)
    return set(people.values_list("pk", flat=True))


def team_streams(*, member_ids: set[int], types: tuple[str, ...] | None = None) -> frozenset[str]:
    """The team's people (`user:<id>`) and the records they own, as subject streams."""
    wanted = types or ("user", *RECORD_TYPES)
    streams = {f"user:{pk}" for pk in member_ids} if "user" in wanted else set()
    for prefix in RECORD_TYPES:
        if prefix in wanted:
            owned = (
                _RECORD_MODELS[prefix].objects.filter(owner_id__in=member_ids).values_list("pk", flat=True)
            )
            streams |= {f"{prefix}:{pk}" for pk in owned}
    return frozenset(streams)


@dataclass(frozen=True)
class ColdSpot:
    subject: str
    type: str
    name: str
    url: str
    owner: str
    state: str
    last_activity: date | None
    followers: int
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reasons": ",".join(self.reasons)}


QuestionSource = Callable[[User, date, int], list[ColdSpot]]
_question_sources: dict[str, QuestionSource] = {}


def register_question_source(name: str, source: QuestionSource) -> None:
    """Extension point: `source(viewer, since, limit)` lists questions asked before `since` with no
    answer, that the viewer may see, as cold spots of type `question`."""
    _question_sources[name] = source


def unanswered_questions(*, viewer: User, since: date, limit: int) -> list[ColdSpot]:
    """Questions without answers from every registered source."""
    found: list[ColdSpot] = []
    for source in _question_sources.values():
        found += source(viewer, since, limit)
    return found[:limit]


def _open_records(prefix: str) -> QuerySet[TrackedRecord]:
    if prefix == "deal":
        return Deal.objects.exclude(stage__in=[Deal.Stage.CLOSED_WON, Deal.Stage.CLOSED_LOST])
    return Brief.objects.exclude(status=Brief.Status.DELIVERED)


def _state(record: TrackedRecord) -> str:
    return record.get_stage_display() if isinstance(record, Deal) else record.get_status_display()


def cold_records(
    *,
    lens: Lens,
    days: int,
    on: date,
    limit: int = 20,
    types: tuple[str, ...] = COLD_KINDS,
    owner_ids: set[int] | None = None,
) -> list[ColdSpot]:
    """Open deals and active briefs the viewer may see with no activity in the `days` up to `on`, or no
    follower; never-active ones first, then the longest quiet.

    Reads the record states the rollup keeps (last active day, follower count), so it is as fresh
    as the last rollup; open or closed, and the owner, are read live.
    """
    since = on - timedelta(days=days - 1)
    found: list[ColdSpot] = []
    for prefix in COLD_KINDS:
        if prefix in types:
            found += _cold_of_kind(lens, prefix, since, limit, owner_ids)
    found.sort(key=lambda s: (s.last_activity or date.min, s.subject))
    return found[:limit]


def _cold_of_kind(
    lens: Lens, prefix: str, since: date, limit: int, owner_ids: set[int] | None
) -> list[ColdSpot]:
    open_records = _open_records(prefix)
    if owner_ids is not None:
        open_records = open_records.filter(owner_id__in=owner_ids)
    cold = RecordState.objects.filter(subject_type=prefix, record_id__in=open_records.values("pk")).filter(
        Q(last_active__isnull=True) | Q(last_active__lt=since) | Q(followers=0)
    )
    found: list[ColdSpot] = []
    # Never active first, then by last active day: two keyset walks, a page of states at a time.
    for states in (
        cold.filter(last_active__isnull=True).order_by("subject"),
        cold.filter(last_active__isnull=False).order_by("last_active", "subject"),
    ):
        after: RecordState | None = None
        while len(found) < limit:
            page_qs = states
            if after is not None:
                page_qs = page_qs.filter(
                    Q(subject__gt=after.subject)
                    if after.last_active is None
                    else Q(last_active__gt=after.last_active)
                    | Q(last_active=after.last_active, subject__gt=after.subject)
                )
            page = list(page_qs[: max(limit * 2, 50)])
            if not page:
                break
            after = page[-1]
            visible = lens.visible_streams(s.subject for s in page)
            shown = [s for s in page if s.subject in visible][: limit - len(found)]
            records = (
                _RECORD_MODELS[prefix].objects.select_related("owner").in_bulk([s.record_id for s in shown])
            )
            found += [
                _cold_spot(prefix, s, records[s.record_id], since) for s in shown if s.record_id in records
            ]
    return found


def _cold_spot(prefix: str, state: RecordState, record: TrackedRecord, since: date) -> ColdSpot:
    reasons = []
    if state.last_active is None or state.last_active < since:
        reasons.append("no_activity")
    if not state.followers:
        reasons.append("no_followers")
    return ColdSpot(
        subject=state.subject,
        type=prefix,
        name=record.display_name,
        url=record_url(prefix, str(record.pk)),
        owner=record.owner.display_name,
        state=_state(record),
        last_activity=state.last_active,
        followers=state.followers,
        reasons=tuple(reasons),
    )


def access_manager(*, viewer: User, pk: int) -> User:
    """The person whose reports make a team; 404 if there is none (the `user` kind decides who exists)."""
    kind = registry.kind_for("user")
    if kind is None or str(pk) not in kind.visible_object_ids(viewer, [str(pk)]):
        raise Http404
    return User.objects.get(pk=pk)
