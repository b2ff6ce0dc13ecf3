from django.urls import path

from . import views

urlpatterns = [
    path("analytics/summary/", views.SummaryApi.as_view(), name="analytics-summary"),
    path("analytics/series/", views.SeriesApi.as_view(), name="analytics-series"),
    path("analytics/top/", views.TopApi.as_view(), name="analytics-top"),
    path("analytics/trending/", views.TrendingApi.as_view(), name="analytics-trending"),
    path("analytics/cold-spots/", views.ColdSpotsApi.as_view(), name="analytics-cold-spots"),
    path("analytics/subjects/<str:stream>/", views.SubjectApi.as_view(), name="analytics-subject"),
    path("analytics/pulse/", views.PulseApi.as_view(), name="analytics-pulse"),
]
