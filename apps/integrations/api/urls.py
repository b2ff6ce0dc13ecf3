from django.urls import path

from . import views

urlpatterns = [
    path("events/", views.EventCreateApi.as_view(), name="events-create"),
    path("events/batch/", views.EventBatchCreateApi.as_view(), name="events-batch"),
    path("events/<int:activity_id>/", views.EventDetailApi.as_view(), name="events-detail"),
]
