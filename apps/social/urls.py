from django.urls import path

from . import views

urlpatterns = [
    path("people/<int:pk>/", views.person_page, name="person-page"),
    path("topics/<str:slug>/", views.topic_page, name="topic-page"),
    path("groups/", views.group_list_page, name="group-list-page"),
    path("groups/<int:pk>/", views.group_page, name="group-page"),
    path("bookmarks/", views.bookmarks_page, name="bookmarks-page"),
    path("mentions/", views.mentions_page, name="mentions-page"),
    path("posts/<int:pk>/", views.post_page, name="post-page"),
]
