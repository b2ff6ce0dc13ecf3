from django.urls import path

from . import views, webhooks

urlpatterns = [
    path("events/", views.EventCreateApi.as_view(), name="events-create"),
    path("events/batch/", views.EventBatchCreateApi.as_view(), name="events-batch"),
    path("events/<int:activity_id>/", views.EventDetailApi.as_view(), name="events-detail"),
    path("webhooks/", webhooks.WebhookListCreateApi.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.WebhookDeleteApi.as_view(), name="webhooks-delete"),
    path(
        "webhooks/<int:pk>/rotate-secret/", webhooks.WebhookRotateSecretApi.as_view(), name="webhooks-rotate"
    ),
    path(
        "webhooks/<int:pk>/deliveries/", webhooks.WebhookDeliveryListApi.as_view(), name="webhooks-deliveries"
    ),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        webhooks.WebhookRedeliverApi.as_view(),
        name="webhooks-redeliver",
    ),
]
