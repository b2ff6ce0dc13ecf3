from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("clients/<int:pk>/", views.record_page, {"kind": "client"}, name="client-page"),
    path("briefs/<int:pk>/", views.record_page, {"kind": "brief"}, name="brief-page"),
    path("deals/<int:pk>/", views.record_page, {"kind": "deal"}, name="deal-page"),
]
