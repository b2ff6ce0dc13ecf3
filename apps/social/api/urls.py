from django.urls import path

from . import views

urlpatterns = [
    path("posts/", views.PostCreateApi.as_view(), name="post-create"),
    path("posts/<int:pk>/", views.PostDetailApi.as_view(), name="post-detail"),
    path("activities/<int:pk>/comments/", views.ActivityCommentsApi.as_view(), name="activity-comments"),
    path("activities/<int:pk>/like/", views.ActivityLikeApi.as_view(), name="activity-like"),
    path("activities/<int:pk>/likes/", views.ActivityLikersApi.as_view(), name="activity-likers"),
    path("activities/<int:pk>/bookmark/", views.BookmarkApi.as_view(), name="activity-bookmark"),
    path("activities/<int:pk>/share/", views.ActivityShareApi.as_view(), name="activity-share"),
    path("comments/<int:pk>/", views.CommentDetailApi.as_view(), name="comment-detail"),
    path("comments/<int:pk>/like/", views.CommentLikeApi.as_view(), name="comment-like"),
    path("comments/<int:pk>/likes/", views.CommentLikersApi.as_view(), name="comment-likers"),
    path("people/", views.PeopleSearchApi.as_view(), name="people-search"),
    path("people/<int:pk>/", views.PersonDetailApi.as_view(), name="person-detail"),
    path("people/<int:pk>/feed/", views.PersonFeedApi.as_view(), name="person-feed"),
    path("topics/", views.TopicSearchApi.as_view(), name="topic-search"),
    path("topics/<str:slug>/feed/", views.TopicFeedApi.as_view(), name="topic-feed"),
    path("feed/mentions/", views.MentionsFeedApi.as_view(), name="mentions-feed"),
    path("feed/company/", views.CompanyFeedApi.as_view(), name="company-feed"),
    path("feed/bookmarks/", views.BookmarksFeedApi.as_view(), name="bookmarks-feed"),
    path("groups/", views.GroupListCreateApi.as_view(), name="group-list"),
    path("groups/<int:pk>/members/", views.GroupMembersApi.as_view(), name="group-members"),
    path("groups/<int:pk>/feed/", views.GroupFeedApi.as_view(), name="group-feed"),
    path("search/", views.SearchApi.as_view(), name="search"),
    path("follows/", views.FollowApi.as_view(), name="follows"),
    path("streams/<str:stream>/followers/", views.StreamFollowersApi.as_view(), name="stream-followers"),
]
