from django.urls import path

from . import views

urlpatterns = [
    path("feed/", views.NewsFeedApi.as_view(), name="news-feed"),
]
