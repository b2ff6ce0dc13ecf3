from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notifications_page, name="notifications-page"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="notification-unsubscribe"),
]
