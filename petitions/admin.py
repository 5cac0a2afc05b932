"""Admin of the petitions app: levels and thresholds are configured here.

Log rows are read-only in the admin (append-only everywhere).
"""

from django.contrib import admin

from config.readonly_admin import ReadOnlyAdmin
from petitions.models import (
    Level,
    LogEntry,
    LogHead,
    ModerationDecision,
    Petition,
    Threshold,
)


class ThresholdInline(admin.TabularInline):
    model = Threshold
    extra = 0


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "population", "sort_order")
    inlines = (ThresholdInline,)


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    """Petitions change only through the services (logged decisions, text hash)."""

    list_display = ("title", "status", "level", "region", "signature_count")
    list_filter = ("status", "topic", "level")
    search_fields = ("title",)
    exclude = ("creator", "sponsor_token")


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ("petition", "seq", "type", "received_at")


@admin.register(LogHead)
class LogHeadAdmin(ReadOnlyAdmin):
    list_display = ("petition", "tree_size", "timestamp")


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(ReadOnlyAdmin):
    list_display = ("petition", "action", "reason", "created_at")
