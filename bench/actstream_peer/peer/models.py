from django.db import models


class Record(models.Model):
    """Stands in for feedhub's clients, deals and briefs (one table: actstream targets it by GFK)."""

    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name
