from django.urls import path

from . import views

urlpatterns = [
    path("analytics/", views.dashboard, name="analytics-dashboard"),
    path("analytics/pulse/", views.pulse_toggle, name="analytics-pulse-toggle"),
]
