from django.urls import path

from . import views

urlpatterns = []
for kind in views.SPECS:
    urlpatterns += [
        path(f"{kind}/", views.RecordListCreateApi.as_view(kind=kind), name=f"{kind}-list"),
        path(f"{kind}/<int:pk>/", views.RecordDetailApi.as_view(kind=kind), name=f"{kind}-detail"),
        path(f"{kind}/<int:pk>/feed/", views.RecordFeedApi.as_view(kind=kind), name=f"{kind}-feed"),
        path(f"{kind}/<int:pk>/follow/", views.RecordFollowApi.as_view(kind=kind), name=f"{kind}-follow"),
        path(f"{kind}/<int:pk>/shares/", views.RecordSharesApi.as_view(kind=kind), name=f"{kind}-shares"),
        *(
            path(
                f"{kind}/<int:pk>/shares/{grantee}/<int:grantee_id>/",
                views.RecordShareDeleteApi.as_view(kind=kind),
                {"grantee": grantee},
                name=f"{kind}-share-{grantee}",
            )
            for grantee in ("users", "groups")
        ),
    ]
