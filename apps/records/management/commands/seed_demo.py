"""Realistic demo data: people, clients, briefs, deals, follows and a few weeks of history."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.activity.models import Activity
from apps.activity.services import follow_create
from apps.records.models import Brief, Deal
from apps.records.services import brief_create, client_create, deal_create, record_update

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "feedhub-demo"  # noqa: S105 (the published demo login)

PEOPLE = [
    # username, first, last, title, department, manager username
    ("demo", "Dana", "Morgan", "VP of Sales", "Sales", None),
    ("priya", "Priya", "Raman", "Chief Executive Officer", "Leadership", None),
    ("marcus", "Marcus", "Bell", "Account Director", "Sales", "demo"),
    ("sofia", "Sofia", "Alvarez", "Senior Account Executive", "Sales", "marcus"),
    ("tom", "Tom", "Okafor", "Account Executive", "Sales", "marcus"),
    ("lena", "Lena", "Fischer", "Account Executive", "Sales", "marcus"),
    ("hiro", "Hiro", "Tanaka", "Sales Development Rep", "Sales", "sofia"),
    ("amara", "Amara", "Nwosu", "Sales Operations Manager", "Sales", "demo"),
    ("jules", "Jules", "Martin", "Creative Director", "Creative", "priya"),
    ("noor", "Noor", "Haddad", "Art Director", "Creative", "jules"),
    ("ben", "Ben", "Carter", "Senior Designer", "Creative", "noor"),
    ("ines", "Inês", "Costa", "Designer", "Creative", "noor"),
    ("oliver", "Oliver", "Grant", "Copywriter", "Creative", "jules"),
    ("maya", "Maya", "Lindqvist", "Motion Designer", "Creative", "noor"),
    ("raj", "Raj", "Patel", "Head of Strategy", "Strategy", "priya"),
    ("chloe", "Chloe", "Dubois", "Strategist", "Strategy", "raj"),
    ("sam", "Sam", "Whitaker", "Research Lead", "Strategy", "raj"),
    ("elena", "Elena", "Petrova", "Head of Client Services", "Account Management", "priya"),
    ("kofi", "Kofi", "Mensah", "Account Manager", "Account Management", "elena"),
    ("grace", "Grace", "Kim", "Account Manager", "Account Management", "elena"),
    ("luis", "Luis", "Romero", "Project Manager", "Account Management", "elena"),
    ("hannah", "Hannah", "Weiss", "Producer", "Account Management", "luis"),
    ("david", "David", "Levi", "Finance Director", "Finance", "priya"),
    ("aisha", "Aisha", "Bello", "Billing Specialist", "Finance", "david"),
    ("ryan", "Ryan", "O'Neill", "Controller", "Finance", "david"),
    ("mei", "Mei", "Chen", "CTO", "Engineering", "priya"),
    ("arjun", "Arjun", "Singh", "Engineering Manager", "Engineering", "mei"),
    ("zoe", "Zoe", "Adams", "Frontend Engineer", "Engineering", "arjun"),
    ("felix", "Felix", "Braun", "Backend Engineer", "Engineering", "arjun"),
    ("nadia", "Nadia", "Haddou", "Marketing Director", "Marketing", "priya"),
    ("omar", "Omar", "Farouk", "Content Marketer", "Marketing", "nadia"),
    ("clara", "Clara", "Jensen", "Events Manager", "Marketing", "nadia"),
    ("victor", "Victor", "Hugo", "People Partner", "People", "priya"),
]

CLIENTS = [
    ("ACME Corporation", "Manufacturing", "key"),
    ("Northwind Traders", "Retail", "key"),
    ("Globex", "Energy", "standard"),
    ("Initech", "Software", "standard"),
    ("Umbrella Health", "Healthcare", "key"),
    ("Stark Mobility", "Automotive", "standard"),
    ("Wayne Foundation", "Non-profit", "standard"),
    ("Soylent Foods", "Food & beverage", "prospect"),
    ("Hooli", "Technology", "key"),
    ("Vandelay Imports", "Logistics", "prospect"),
    ("Tyrell Biotech", "Biotech", "standard"),
    ("Oceanic Airlines", "Travel", "standard"),
]
BRIEF_TOPICS = [
    "rebrand",
    "spring campaign",
    "product launch film",
    "annual report",
    "website refresh",
    "trade show stand",
    "social toolkit",
    "packaging update",
]
DEAL_TOPICS = [
    "retainer 2027",
    "launch campaign",
    "brand platform",
    "content partnership",
    "media buying",
    "research programme",
]


class Command(BaseCommand):
    help = "Load realistic demo data (idempotent: does nothing if it is already there)."

    def handle(self, *args, **options) -> None:
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write("Demo data already present.")
            return
        rng = random.Random(2026)
        with transaction.atomic():
            self._seed(rng)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Sign in as {DEMO_USERNAME} / {DEMO_PASSWORD}")
        )

    def _seed(self, rng: random.Random) -> None:
        people: dict[str, User] = {}
        for username, first, last, title, dept, manager in PEOPLE:
            people[username] = user_create(
                username=username,
                password=DEMO_PASSWORD,
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                title=title,
                department=dept,
                manager=people.get(manager) if manager else None,
                is_staff=username == DEMO_USERNAME,
            )
        sales = [u for u in people.values() if u.department in ("Sales", "Account Management")]
        creative = [u for u in people.values() if u.department in ("Creative", "Strategy")]
        everyone = list(people.values())
        start = timezone.now() - timedelta(days=21)

        clients = [
            client_create(actor=rng.choice(sales), data={"name": n, "industry": i, "tier": t})
            for n, i, t in CLIENTS
        ]
        briefs, deals = [], []
        for client in clients:
            for topic in rng.sample(BRIEF_TOPICS, 2):
                briefs.append(
                    brief_create(
                        actor=rng.choice(creative),
                        data={
                            "client": client,
                            "title": f"{client.name.split()[0]} {topic}",
                            "due_date": date.today() + timedelta(days=rng.randint(5, 60)),
                        },
                    )
                )
            for topic in rng.sample(DEAL_TOPICS, 2):
                deals.append(
                    deal_create(
                        actor=rng.choice(sales),
                        data={
                            "client": client,
                            "name": f"{client.name.split()[0]} {topic}",
                            "amount": Decimal(rng.randrange(20, 900) * 1000),
                            "close_date": date.today() + timedelta(days=rng.randint(10, 120)),
                        },
                    )
                )
        for user in everyone:
            for record in rng.sample(clients + briefs + deals, 6):
                follow_create(user=user, stream=record.stream_key)
            for other in rng.sample(everyone, 3):
                if other != user:
                    follow_create(user=user, stream=other.stream_key)
        demo = people[DEMO_USERNAME]
        for deal in deals[:10]:
            follow_create(user=demo, stream=deal.stream_key)

        stages = [s for s, _ in Deal.Stage.choices]
        statuses = [s for s, _ in Brief.Status.choices]
        for _ in range(140):
            if rng.random() < 0.6:
                deal = rng.choice(deals)
                deal.refresh_from_db()
                index = stages.index(deal.stage)
                if index >= 4:
                    continue
                data = {"stage": stages[index + 1] if rng.random() < 0.85 else "closed_lost"}
                if rng.random() < 0.3:
                    data["amount"] = (deal.amount * Decimal(rng.choice(["0.9", "1.1", "1.25"]))).quantize(
                        Decimal("1")
                    )
                record_update(record=deal, actor=rng.choice(sales), data=data)
            else:
                brief = rng.choice(briefs)
                brief.refresh_from_db()
                index = statuses.index(brief.status)
                data = (
                    {"revision": brief.revision + 1}
                    if rng.random() < 0.4 or index == 4
                    else {"status": statuses[index + 1]}
                )
                record_update(record=brief, actor=rng.choice(creative), data=data)

        # Spread the history over the last three weeks, keeping id order as time order.
        activities = list(Activity.objects.order_by("pk"))
        step = (timezone.now() - timedelta(minutes=5) - start) / max(len(activities), 1)
        for index, activity in enumerate(activities):
            activity.published = start + step * index
        Activity.objects.bulk_update(activities, ["published"], batch_size=500)
