"""Atom feed of open consultations."""

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from participation.models import Consultation
from participation.selectors import consultation_list_open


class OpenConsultationsFeed(Feed):
    """The consultations open for comments now, closing soonest first."""

    feed_type = Atom1Feed
    title = _("Dauys: open consultations")
    subtitle = _("Draft documents open for public comment.")
    link = reverse_lazy("participation:list")

    def items(self) -> list[Consultation]:
        """Return the open consultations."""
        return list(consultation_list_open(now=timezone.now())[:50])

    def item_title(self, item: Consultation) -> str:
        """Return the consultation's title."""
        return item.title

    def item_description(self, item: Consultation) -> str:
        """Return the department and summary."""
        return f"{item.department}: {item.summary}"

    def item_link(self, item: Consultation) -> str:
        """Return the consultation page."""
        return reverse("participation:detail", args=[item.pk])

    def item_pubdate(self, item: Consultation) -> datetime:
        """Return when the consultation opened."""
        return item.starts_at

    def item_updateddate(self, item: Consultation) -> datetime:
        """Return when the consultation opened (its latest public change)."""
        return item.starts_at
