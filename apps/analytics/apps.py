from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"

    def ready(self) -> None:
        from apps.activity import registry

        from .freshness import access_changed
        from .questions import unanswered_posts
        from .records import register_question_source
        from .services import follow_ended_record

        registry.register_unfollow_hook("analytics", follow_ended_record)
        registry.register_access_listener("analytics", access_changed)
        register_question_source("social", unanswered_posts)
