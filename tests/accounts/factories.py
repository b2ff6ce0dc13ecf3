import factory
from factory.django import DjangoModelFactory

from apps.accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    title = "Account Executive"
    department = "Sales"
    password = factory.django.Password(PASSWORD)
