"""Read-mostly admin of consultations (the pages are the primary interface)."""

from django.contrib import admin

from config.readonly_admin import ReadOnlyAdmin
from participation.models import (
    Attachment,
    Campaign,
    Comment,
    Consultation,
    ConsultationEvent,
    DocumentVersion,
    Poll,
    Response,
    Statement,
)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "department",
        "starts_at",
        "ends_at",
        "report_published_at",
    )
    search_fields = ("title", "department")
    inlines = (AttachmentInline,)


@admin.register(DocumentVersion)
class DocumentVersionAdmin(admin.ModelAdmin):
    list_display = ("consultation", "number", "published_at")
    readonly_fields = ("consultation", "number", "body", "published_by", "published_at")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "consultation", "paragraph_key", "created_at", "is_hidden")
    list_filter = ("is_hidden",)
    search_fields = ("body",)
    raw_id_fields = (
        "consultation",
        "version",
        "parent",
        "author",
        "response",
        "campaign",
    )


@admin.register(ConsultationEvent)
class ConsultationEventAdmin(ReadOnlyAdmin):
    """The audit log of officials' edits and deletions: read-only."""

    list_display = ("at", "consultation_ref", "title", "action", "actor")
    list_filter = ("action",)
    search_fields = ("title",)


admin.site.register(Response)
admin.site.register(Campaign)
admin.site.register(Poll)
admin.site.register(Statement)
