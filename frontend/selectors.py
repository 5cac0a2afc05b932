"""Read-side queries for the site-wide pages (home page, live counters)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HomeItem:
    """One open consultation, petition or election shown on the home page."""

    title: str
    url: str


@dataclass(frozen=True)
class HomeListing:
    """What the home page lists, per kind of participation."""

    consultations: list[HomeItem] = field(default_factory=list)
    petitions: list[HomeItem] = field(default_factory=list)
    elections: list[HomeItem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return how many items of each kind are open."""
        return {
            "consultations": len(self.consultations),
            "petitions": len(self.petitions),
            "elections": len(self.elections),
        }


def home_listing() -> HomeListing:
    """Return the open consultations, petitions and elections.

    Each app supplies its own part; an empty list shows the page's empty
    state.
    """
    return HomeListing(
        consultations=_open_consultations(),
        petitions=_open_petitions(),
        elections=_open_elections(),
    )


def _open_consultations() -> list[HomeItem]:
    """Return the consultations open for comments (the participation app's part)."""
    from django.urls import reverse
    from django.utils import timezone

    from participation.selectors import consultation_list_open

    return [
        HomeItem(
            title=consultation.title,
            url=reverse("participation:detail", args=[consultation.pk]),
        )
        for consultation in consultation_list_open(now=timezone.now())
    ]


def _open_petitions() -> list[HomeItem]:
    """Return the petitions open for signatures (the petitions app's part)."""
    from django.urls import reverse

    from petitions.selectors import petition_list_open

    return [
        HomeItem(
            title=petition.title, url=reverse("petitions:detail", args=[petition.pk])
        )
        for petition in petition_list_open()
    ]


def _open_elections() -> list[HomeItem]:
    """Return the elections open for voting (the ballots app's part)."""
    from django.urls import reverse

    from ballots.selectors import election_list_open

    return [
        HomeItem(
            title=election.title,
            url=reverse("ballots:detail", args=[election.election_id]),
        )
        for election in election_list_open()
    ]
