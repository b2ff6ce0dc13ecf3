"""Forms of the integrations pages: input shape only; the services decide what is valid beyond it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.accounts.models import User
from apps.activity import registry

from .models import Scope


def service_errors_add(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field when the form has one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _split(value: str) -> list[str]:
    return [item for item in (part.strip() for part in value.replace("\n", ",").split(",")) if item]


def _record_type_choices() -> list[tuple[str, str]]:
    return [(prefix, kind.label) for prefix, kind in sorted(registry.kinds().items())]


class IntegrationForm(forms.Form):
    name = forms.CharField(max_length=100)
    owner = forms.CharField(max_length=150, help_text="Username of the person who manages it.")

    def clean_owner(self) -> User:
        owner = User.objects.filter(username=self.cleaned_data["owner"], is_active=True).first()
        if owner is None:
            raise forms.ValidationError("No active user with this username.")
        return owner


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    # Not required here: the service says why a key without scopes is refused.
    scopes = forms.MultipleChoiceField(
        choices=[(value, value) for value in Scope.values],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class WebhookForm(forms.Form):
    url = forms.CharField(max_length=500, label="URL")
    record_types = forms.MultipleChoiceField(
        choices=_record_type_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    verbs = forms.CharField(required=False, help_text="Comma-separated, e.g. Create, Update, deal.won")
    streams = forms.CharField(required=False, help_text="Comma-separated, e.g. deal:42, topic:pricing")

    def clean_verbs(self) -> list[str]:
        return _split(self.cleaned_data["verbs"])

    def clean_streams(self) -> list[str]:
        return _split(self.cleaned_data["streams"])
