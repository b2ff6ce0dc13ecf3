"""Serializer fields shared by the JSON APIs, and the one API-wide rule for integers."""

import re
from typing import Any

from rest_framework import serializers


class JsonBooleanField(serializers.BooleanField):
    """A JSON `true` or `false`, nothing else.

    DRF's BooleanField also takes 0/1 and strings like "yes", which suits form posts and query
    strings but lets a JSON client's type mistake pass silently (and disagrees with the schema).
    """

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class JsonCharField(serializers.CharField):
    """A JSON string, not a number turned into one (DRF's CharField takes 42 as "42")."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def integers_are_integers() -> None:
    """Every API integer (JSON body or query string) must be written as an integer.

    DRF's IntegerField strips a trailing ".0" first, so it takes "3600.0" and 3600.0 where the
    schema says `type: integer`; schema-breaking input must be refused (schemathesis' negative
    checks found it on the cursors). Set once, for every serializer, when the app loads.
    """
    serializers.IntegerField.re_decimal = re.compile(r"(?!)")
