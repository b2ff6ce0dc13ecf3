from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.activity.api.errors import api_not_found
from feedhub.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("apps.accounts.api.urls")),
    path("api/v1/", include("apps.activity.api.urls")),
    path("api/v1/", include("apps.records.api.urls")),
    path("api/v1/", include("apps.social.api.urls")),
    path("api/v1/", include("apps.integrations.api.urls")),
    path("api/v1/", include("apps.notifications.api.urls")),
    path("api/v1/", include("apps.analytics.api.urls")),
    # Anything under /api/ that no route matched (bad ids, control characters) is a JSON 404.
    re_path(r"^api/[\s\S]*\Z", api_not_found),
    path("", include("apps.accounts.urls")),
    path("", include("apps.records.urls")),
    path("", include("apps.social.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.analytics.urls")),
    path("", include("apps.integrations.urls")),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]
