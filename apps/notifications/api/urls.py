from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/unread-count/", views.UnreadCountApi.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", views.NotificationReadAllApi.as_view(), name="notification-read-all"),
    path("notifications/preferences/", views.PreferencesApi.as_view(), name="notification-preferences"),
    path("notifications/<int:pk>/read/", views.NotificationReadApi.as_view(), name="notification-read"),
]
