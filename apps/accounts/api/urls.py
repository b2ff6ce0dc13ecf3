from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/avatar/", views.AvatarApi.as_view(), name="me-avatar"),
]
