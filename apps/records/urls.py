from django.urls import path

from . import views

urlpatterns = [path("", views.home, name="home")]
for _kind, _segment in (("client", "clients"), ("brief", "briefs"), ("deal", "deals")):
    urlpatterns += [
        path(f"{_segment}/", views.record_list_page, {"kind": _kind}, name=f"{_kind}-list-page"),
        path(f"{_segment}/<int:pk>/", views.record_page, {"kind": _kind}, name=f"{_kind}-page"),
    ]
