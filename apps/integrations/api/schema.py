"""OpenAPI description of API-key authentication (registered on import by the views module)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.integrations.authentication.ApiKeyAuthentication"
    name = "integrationApiKey"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "fh_live_…",
            "description": "An integration API key; each endpoint names the scopes it requires.",
        }


class PrefixedApiKeyScheme(ApiKeyScheme):
    """Outside the integration endpoints a key is documented only where the view accepts one."""

    target_class = "apps.integrations.authentication.KeyOnlyIfPrefixedAuthentication"

    def get_security_requirement(self, auto_schema: Any) -> dict | None:
        scopes = getattr(auto_schema.view, "api_key_scopes", {})
        return super().get_security_requirement(auto_schema) if auto_schema.method in scopes else None
