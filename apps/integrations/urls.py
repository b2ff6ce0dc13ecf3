from django.urls import path

from . import views

urlpatterns = [
    path("integrations/", views.integration_list_page, name="integration-list-page"),
    path("integrations/<int:pk>/", views.integration_page, name="integration-page"),
    path("integrations/<int:pk>/keys/", views.api_key_create_page, name="integration-key-create"),
    path(
        "integrations/<int:pk>/keys/<int:key_pk>/revoke/",
        views.api_key_revoke_page,
        name="integration-key-revoke",
    ),
    path("integrations/<int:pk>/webhooks/", views.webhook_create_page, name="integration-webhook-create"),
    path(
        "integrations/<int:pk>/webhooks/<int:webhook_pk>/rotate-secret/",
        views.webhook_rotate_page,
        name="integration-webhook-rotate",
    ),
    path(
        "integrations/<int:pk>/webhooks/<int:webhook_pk>/delete/",
        views.webhook_delete_page,
        name="integration-webhook-delete",
    ),
    path(
        "integrations/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.webhook_redeliver_page,
        name="integration-delivery-redeliver",
    ),
]
