"""Analytics reads over the daily rollup, always limited to what the viewer may see.

Visibility: every rollup row names the context stream(s) whose visibility governs it. A `Lens`
asks each stream kind once which of the period's contexts the viewer may see
(`registry.kind_for(prefix).visible_object_ids`) and excludes rows in the others.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry

from .freshness import LENS_SECONDS, lens_key
from .models import DailyRollup
from .names import subject_names
from .services import ALL_CONTEXTS, COUNTERS, EVERYTHING, SUBJECT_KINDS

# Engagement score = activities + posts + 2 x comments + likes + 3 x (followers gained - lost).
# Every activity counts once; a post once more and a comment twice more, since conversation is
# the strongest sign of attention; a like once; a net new follower three times.
SCORE_WEIGHTS = {
    "activities": 1,
    "posts": 1,
    "comments": 2,
    "likes": 1,
    "followers_gained": 3,
    "followers_lost": -3,
}


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def engagement_score(counts: dict[str, int]) -> int:
    """The documented formula applied to summed counters (see SCORE_WEIGHTS)."""
    return sum(weight * counts.get(name, 0) for name, weight in SCORE_WEIGHTS.items())


def _score_expression():
    terms = [F(name) * Value(weight) if weight != 1 else F(name) for name, weight in SCORE_WEIGHTS.items()]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


@dataclass(frozen=True)
class Scope:
    """What to measure: a period of UTC days (inclusive) and optional narrowing.

    `subject_types` keeps kinds of subject (`deal`, `user`, `topic`, …); `subjects` keeps a set
    of streams (a team's people and records); `context` keeps what happened in one stream
    (`group:5`: everything posted in the group).
    """

    since: date
    until: date
    subject_types: tuple[str, ...] | None = None
    subjects: frozenset[str] | None = None
    context: str | None = None

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def shifted(self, periods: int) -> Scope:
        """The same scope `periods` period lengths earlier."""
        delta = timedelta(days=self.days * periods)
        return Scope(
            since=self.since - delta,
            until=self.until - delta,
            subject_types=self.subject_types,
            subjects=self.subjects,
            context=self.context,
        )

    @property
    def is_everything(self) -> bool:
        return self.subject_types is None and self.subjects is None

    def rows(self, *, per_subject: bool) -> QuerySet[DailyRollup]:
        """Rollup rows in scope; with `per_subject`, real subjects only (never the company-wide one)."""
        qs = DailyRollup.objects.filter(day__gte=self.since, day__lte=self.until)
        if self.context is not None:
            qs = qs.filter(context=self.context)
        if self.subject_types is not None:
            qs = qs.filter(subject_type__in=self.subject_types)
        if self.subjects is not None:
            qs = qs.filter(subject__in=sorted(self.subjects))
        if self.is_everything:
            if per_subject:
                qs = qs.exclude(subject=EVERYTHING)
            else:
                qs = qs.filter(subject=EVERYTHING).exclude(context=ALL_CONTEXTS)
        return qs

    def whole_days(self, lens: Lens) -> QuerySet[DailyRollup] | None:
        """The company-wide all-context rows, when they answer this scope for this viewer exactly."""
        if not self.is_everything or self.context is not None or lens.hides_any(self):
            return None
        return DailyRollup.objects.filter(
            subject=EVERYTHING, context=ALL_CONTEXTS, day__gte=self.since, day__lte=self.until
        )


@dataclass
class Lens:
    """A viewer and the contexts hidden from them, worked out once per period and reused.

    The contexts of a period are read from the company-wide subject's rows (every fact is
    counted there under its context), through an index-only scan; each stream kind is then asked
    once which of them the viewer may see. The dashboard's queries share one lens, and the hidden
    contexts are cached per reader and period until the next rollup or the next change of access
    announced through the registry (`registry.access_changed`: a share withdrawn, a record made
    private, a member leaving a group), and `LENS_SECONDS` at most.
    """

    viewer: User
    hidden: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    periods: dict[tuple[date, date], set[str]] = field(default_factory=dict)

    def see(self, qs: QuerySet[DailyRollup], scope: Scope) -> QuerySet[DailyRollup]:
        """Exclude rows whose context (or second context) the viewer may not see."""
        self._prepare(scope)
        if self.hidden:
            hidden = sorted(self.hidden)
            qs = qs.exclude(context__in=hidden).exclude(context2__in=hidden)
        return qs

    def hides_any(self, scope: Scope) -> bool:
        """Does the period hold any fact the viewer may not see? If not, whole-day totals are theirs."""
        return bool(self._prepare(scope))

    def _prepare(self, scope: Scope) -> set[str]:
        """The period's contexts hidden from the viewer: from this lens, the shared cache, or worked out."""
        period = (scope.since, scope.until)
        if period in self.periods:
            return self.periods[period]
        key = lens_key(self.viewer.pk, scope.since, scope.until)
        cached = cache.get(key)
        if cached is None:
            contexts: set[str] = set()
            for context, context2 in (
                DailyRollup.objects.filter(subject=EVERYTHING, day__gte=scope.since, day__lte=scope.until)
                .values_list("context", "context2")
                .distinct()
            ):
                contexts.add(context)
                if context2:
                    contexts.add(context2)
            contexts.discard(ALL_CONTEXTS)
            self._check(contexts - self.checked)
            cached = sorted(self.hidden & contexts)
            cache.set(key, cached, LENS_SECONDS)
        self.hidden |= set(cached)
        self.periods[period] = set(cached)
        return self.periods[period]

    def visible_streams(self, streams: Iterable[str]) -> set[str]:
        streams = set(streams)
        self._check(streams - self.checked)
        return streams - self.hidden

    def _check(self, streams: set[str]) -> None:
        by_kind: dict[str, set[str]] = {}
        for stream in streams:
            prefix, object_id = registry.split_stream(stream)
            by_kind.setdefault(prefix, set()).add(object_id)
        for prefix, ids in by_kind.items():
            kind = registry.kind_for(prefix)
            if kind is not None:
                visible = kind.visible_object_ids(self.viewer, ids)
                self.hidden |= {f"{prefix}:{i}" for i in ids - visible}
        self.checked |= streams


@dataclass(frozen=True)
class Measures:
    """The measures of one subject (or of a whole scope) over a period."""

    activities: int = 0
    posts: int = 0
    comments: int = 0
    likes: int = 0
    followers_gained: int = 0
    followers_lost: int = 0
    participants: int = 0
    median_response_seconds: float | None = None
    responses: int = 0

    @property
    def score(self) -> int:
        return engagement_score(self.__dict__)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "score": self.score}


def _sums() -> dict[str, Any]:
    return {name: Coalesce(Sum(name), Value(0), output_field=IntegerField()) for name in COUNTERS}


def _distinct_participants(qs: QuerySet[DailyRollup]) -> int:
    """Distinct people across the rows' daily participant lists, counted by the database."""
    try:
        inner, params = qs.exclude(participants=[]).values("participants").query.sql_with_params()
    except EmptyResultSet:
        # A scope that can match nothing (no such department) compiles to no SQL at all.
        return 0
    if connection.vendor == "postgresql":
        sql = f"SELECT count(DISTINCT p) FROM ({inner}) s, jsonb_array_elements_text(s.participants) p"  # noqa: S608
    else:
        sql = f"SELECT count(DISTINCT j.value) FROM ({inner}) s, json_each(s.participants) j"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _responses(qs: QuerySet[DailyRollup]) -> list[int]:
    return [
        s
        for seconds in qs.exclude(response_seconds=[]).values_list("response_seconds", flat=True)
        for s in seconds
    ]


def scope_measures(*, lens: Lens, scope: Scope) -> Measures:
    """All measures over the scope, counting only rows the viewer may see."""
    qs = scope.whole_days(lens)
    if qs is None:
        qs = lens.see(scope.rows(per_subject=False), scope)
    sums = qs.aggregate(**_sums())
    responses = _responses(qs)
    return Measures(
        **sums,
        participants=_distinct_participants(qs),
        median_response_seconds=_median(responses),
        responses=len(responses),
    )


def subject_measures(*, lens: Lens, subject: str, since: date, until: date) -> Measures:
    """One subject's measures (the caller has checked the viewer may see the subject itself)."""
    return scope_measures(lens=lens, scope=Scope(since=since, until=until, subjects=frozenset([subject])))


@dataclass(frozen=True)
class DayCount:
    day: date
    activities: int
    posts: int
    comments: int
    likes: int


def activity_series(*, lens: Lens, scope: Scope) -> list[DayCount]:
    """Per-day counts across the scope, one entry for every day of the period (zeros included)."""
    qs = scope.whole_days(lens)
    if qs is None:
        qs = lens.see(scope.rows(per_subject=False), scope)
    by_day = {
        row["day"]: row
        for row in qs.values("day").annotate(
            **{n: Sum(n) for n in ("activities", "posts", "comments", "likes")}
        )
    }
    out = []
    for offset in range(scope.days):
        day = scope.since + timedelta(days=offset)
        row = by_day.get(day, {})
        out.append(
            DayCount(
                day=day,
                activities=row.get("activities", 0),
                posts=row.get("posts", 0),
                comments=row.get("comments", 0),
                likes=row.get("likes", 0),
            )
        )
    return out


@dataclass(frozen=True)
class SubjectRow:
    subject: str
    type: str
    name: str
    url: str
    measures: Measures

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "type": self.type,
            "name": self.name,
            "url": self.url,
            **self.measures.as_dict(),
        }


def subject_row(*, subject: str, measures: Measures) -> SubjectRow:
    """A subject's measures with its kind, display name and link into its feed."""
    name, url = subject_names([subject])[subject]
    return SubjectRow(
        subject=subject, type=registry.split_stream(subject)[0], name=name, url=url, measures=measures
    )


def _subject_rows(lens: Lens, qs: QuerySet[DailyRollup], ranked: list[dict[str, Any]]) -> list[SubjectRow]:
    """Complete ranked aggregates with unique participants and median response, for those subjects only."""
    subjects = [r["subject"] for r in ranked]
    people: dict[str, set] = {s: set() for s in subjects}
    responses: dict[str, list[int]] = {s: [] for s in subjects}
    for subject, participants, seconds in qs.filter(subject__in=subjects).values_list(
        "subject", "participants", "response_seconds"
    ):
        people[subject].update(participants)
        responses[subject].extend(seconds)
    names = subject_names(subjects)
    return [
        SubjectRow(
            subject=r["subject"],
            type=registry.split_stream(r["subject"])[0],
            name=names[r["subject"]][0],
            url=names[r["subject"]][1],
            measures=Measures(
                **{n: r[n] for n in COUNTERS},
                participants=len(people[r["subject"]]),
                median_response_seconds=_median(responses[r["subject"]]),
                responses=len(responses[r["subject"]]),
            ),
        )
        for r in ranked
    ]


def top_subjects(*, lens: Lens, scope: Scope, limit: int = 10) -> list[SubjectRow]:
    """Subjects in scope by engagement score, highest first (ties by stream key)."""
    qs = lens.see(scope.rows(per_subject=True), scope)
    ranked = list(
        qs.values("subject")
        .annotate(**_sums())
        .annotate(score=_score_expression())
        .order_by("-score", "subject")[:limit]
    )
    return _subject_rows(lens, qs, ranked)


@dataclass(frozen=True)
class Trend:
    subject: str
    type: str
    name: str
    url: str
    activities: int
    baseline: float
    rise: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# How many earlier periods of the same length make a subject's baseline.
BASELINE_PERIODS = 4
# A subject needs this much activity in the period to trend: 1 -> 2 is not a trend.
TREND_MIN_ACTIVITIES = 3
TREND_SUBJECT_LIST_MAX = 500


def trending(*, lens: Lens, scope: Scope, limit: int = 10) -> list[Trend]:
    """Subjects whose activity rose most against their own baseline.

    Baseline: the mean activity over the `BASELINE_PERIODS` periods of the same length just
    before. Rise = (activities + 1) / (baseline + 1), so a subject new this period with 9
    activities rises 10x, and one going from 10 to 21 a period rises 2x.
    """
    current = {
        r["subject"]: r["n"]
        for r in lens.see(scope.rows(per_subject=True), scope)
        .values("subject")
        .annotate(n=Sum("activities"))
        .filter(n__gte=TREND_MIN_ACTIVITIES)
    }
    if not current:
        return []
    earlier = Scope(
        since=scope.shifted(BASELINE_PERIODS).since,
        until=scope.since - timedelta(days=1),
        subject_types=scope.subject_types,
        # A long list of subjects costs more to send and match than reading the whole kind.
        subjects=frozenset(current) if len(current) <= TREND_SUBJECT_LIST_MAX else scope.subjects,
        context=scope.context,
    )
    before = {
        r["subject"]: r["n"]
        for r in lens.see(earlier.rows(per_subject=True), earlier)
        .values("subject")
        .annotate(n=Sum("activities"))
    }
    rises = []
    for subject, n in current.items():
        baseline = before.get(subject, 0) / BASELINE_PERIODS
        rises.append((round((n + 1) / (baseline + 1), 2), n, subject, baseline))
    rises.sort(key=lambda r: (-r[0], -r[1], r[2]))
    names = subject_names(s for _, _, s, _ in rises[:limit])
    return [
        Trend(
            subject=subject,
            type=registry.split_stream(subject)[0],
            name=names[subject][0],
            url=names[subject][1],
            activities=n,
            baseline=baseline,
            rise=rise,
        )
        for rise, n, subject, baseline in rises[:limit]
    ]


def subject_types() -> tuple[str, ...]:
    return SUBJECT_KINDS
