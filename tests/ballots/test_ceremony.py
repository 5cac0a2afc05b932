"""The key ceremony: trustee keys, the dealer's upload, share boxes, self-test."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from ballots.errors import ElectionError
from ballots.services import ceremony_upload, election_transition
from tests.ballots.helpers import (
    Setup,
    deal_and_upload,
    dealer_output,
    otp_login,
    vector_primes,
)
from votecrypto.canonical import cjson
from votecrypto.sharefile import generate_x25519_private_key, x25519_public_key
from votecrypto.threshold import deal

pytestmark = pytest.mark.django_db

NAMES = ("Trustee 1", "Trustee 2", "Trustee 3")


def upload(setup: Setup, public: dict, boxes: list[dict]) -> None:
    ceremony_upload(
        election=setup.election,
        actor=setup.official,
        public_json=cjson(public),
        share_boxes=[cjson(box) for box in boxes],
    )


def dealt(setup: Setup):
    return dealer_output(2, NAMES, tuple(setup.trustee_keys))


def test_good_upload_stores_public_and_boxes(draft: Setup) -> None:
    """The dealer's output is stored; each trustee gets their own box."""
    deal_and_upload(draft)
    draft.election.refresh_from_db()
    assert draft.election.ceremony_public_json
    for trustee in draft.election.trustees.all():
        assert json.loads(trustee.share_box_json)["index"] == trustee.index
    assert draft.election.events.filter(action="ceremony-upload").exists()


def test_upload_for_other_trustees_is_refused(draft: Setup) -> None:
    """public.json dealt for another trustee list (names/order) is refused."""
    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    output = dealer_output(
        2, ("Trustee 2", "Trustee 1", "Trustee 3"), tuple(draft.trustee_keys)
    )
    with pytest.raises(ElectionError) as info:
        upload(draft, output.public.to_json(), [b.to_json() for b in output.boxes])
    assert info.value.code == "bad-ceremony"
    assert "wrong trustee list or order" in info.value.detail


def test_upload_with_wrong_threshold_or_count_is_refused(draft: Setup) -> None:
    """t and ℓ must be the election's."""
    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    keys = [x25519_public_key(generate_x25519_private_key()) for _ in range(2)]
    output = deal(*vector_primes(), 2, keys, names=["Trustee 1", "Trustee 2"])
    with pytest.raises(ElectionError) as info:
        upload(draft, output.public.to_json(), [b.to_json() for b in output.boxes])
    assert "the election has 2 of 3" in info.value.detail


def test_upload_with_a_bad_key_proof_is_refused(draft: Setup) -> None:
    """A tampered key proof round fails CeremonyPublic.check."""
    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    output = dealt(draft)
    public = output.public.to_json()
    rounds = public["public_key"]["key_proof"]["rounds"]
    rounds[5]["z"] = format(int(rounds[5]["z"], 16) + 1, "x")
    with pytest.raises(ElectionError) as info:
        upload(draft, public, [b.to_json() for b in output.boxes])
    assert info.value.code == "bad-ceremony"
    assert "key_proof" in info.value.detail
    draft.election.refresh_from_db()
    assert draft.election.ceremony_public_json == ""


def test_test_key_refused_unless_flagged(draft: Setup) -> None:
    """A 1024-bit key needs an election flagged test-keys."""
    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    type(draft.election).objects.filter(pk=draft.election.pk).update(is_test_keys=False)
    output = dealt(draft)
    with pytest.raises(ElectionError) as info:
        upload(draft, output.public.to_json(), [b.to_json() for b in output.boxes])
    assert "test key" in info.value.detail


def test_upload_with_missing_box_is_refused(draft: Setup) -> None:
    """One share box per trustee."""
    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    output = dealt(draft)
    with pytest.raises(ElectionError) as info:
        upload(draft, output.public.to_json(), [b.to_json() for b in output.boxes[:2]])
    assert info.value.code == "bad-ceremony"


def test_only_the_named_trustee_gets_their_share_box(draft: Setup, make_user) -> None:
    """Trustee 1 downloads box 1; trustee 2 gets box 2; others 403."""
    deal_and_upload(draft)
    url = reverse("ballots-api:trustee_share_box", args=["city-2027"])
    first = otp_login(Client(), draft.trustees[0])
    response = first.get(url)
    assert response.status_code == 200
    assert json.loads(response.content)["index"] == 1
    second = otp_login(Client(), draft.trustees[1])
    assert json.loads(second.get(url).content)["index"] == 2
    outsider = otp_login(Client(), make_user(role="trustee"))
    assert outsider.get(url).status_code == 403
    official = otp_login(Client(), draft.official)
    assert official.get(url).status_code == 403
    unverified = Client()
    unverified.force_login(draft.trustees[0])
    assert unverified.get(url).status_code == 403


def test_trustee_registers_key_through_the_api(draft: Setup) -> None:
    """The trustee's own seat gets the key; bad keys are a 400."""
    url = reverse("ballots-api:trustee_key", args=["city-2027"])
    client = otp_login(Client(), draft.trustees[2])
    key = x25519_public_key(generate_x25519_private_key()).hex()
    response = client.post(
        url, cjson({"x25519_public_key": key}), content_type="application/json"
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {"index": 3, "x25519_public_key": key}
    bad = client.post(
        url, cjson({"x25519_public_key": "XYZ"}), content_type="application/json"
    )
    assert (bad.status_code, json.loads(bad.content)["error"]) == (400, "bad-key")


def test_self_test_share_through_the_api(draft: Setup) -> None:
    """A valid test share is accepted; an invalid one is a 400."""
    from votecrypto.threshold import make_ceremony_test_share

    deal_and_upload(draft)
    assert draft.dealer is not None
    url = reverse("ballots-api:trustee_test_share", args=["city-2027"])
    share = make_ceremony_test_share(
        draft.dealer.public, 1, draft.dealer.secret_shares[1]
    )
    client = otp_login(Client(), draft.trustees[0])
    wrong = client.post(
        url,
        cjson(
            make_ceremony_test_share(
                draft.dealer.public, 2, draft.dealer.secret_shares[2]
            ).to_json()
        ),
        content_type="application/json",
    )
    assert wrong.status_code == 400
    response = client.post(url, cjson(share.to_json()), content_type="application/json")
    assert json.loads(response.content) == {"index": 1, "self_test_passed": False}
    second = otp_login(Client(), draft.trustees[1])
    share2 = make_ceremony_test_share(
        draft.dealer.public, 2, draft.dealer.secret_shares[2]
    )
    response = second.post(
        url, cjson(share2.to_json()), content_type="application/json"
    )
    assert json.loads(response.content) == {"index": 2, "self_test_passed": True}
    draft.election.refresh_from_db()
    assert draft.election.ceremony_tested_at is not None


def test_demo_ceremony_is_off_by_default(draft: Setup) -> None:
    """Without the setting the server never deals."""
    from ballots.services import ceremony_run_demo

    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    with pytest.raises(ElectionError) as info:
        ceremony_run_demo(election=draft.election)
    assert info.value.code == "demo-forbidden"


def test_demo_ceremony_when_allowed(draft: Setup, settings) -> None:
    """With the setting, the server deals a (test) key and marks it a demo."""
    from ballots.services import ceremony_run_demo

    settings.BALLOTS_ALLOW_DEMO_CEREMONY = True
    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    ceremony_run_demo(election=draft.election)
    draft.election.refresh_from_db()
    assert draft.election.is_demo_ceremony
    assert draft.election.ceremony_public_json


def test_trustee_page_registers_the_key(draft: Setup, make_user) -> None:
    """The trustee's page shows their seat and takes a new key."""
    url = reverse("ballots:trustee", args=["city-2027"])
    client = otp_login(Client(), draft.trustees[1])
    page = client.get(url)
    assert page.status_code == 200
    assert "You are trustee 2 (Trustee 2)." in page.content.decode()
    key = x25519_public_key(generate_x25519_private_key()).hex()
    response = client.post(url, {"action": "key", "x25519_public_key": key})
    assert response.status_code == 302
    assert draft.election.trustees.get(index=2).x25519_public_key == key
    other = otp_login(Client(), make_user(role="trustee"))
    assert other.get(url).status_code == 404


def test_official_uploads_the_ceremony_on_the_page(draft: Setup) -> None:
    """The upload form takes public.json and several share files."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    election_transition(
        election=draft.election, to_state="key_ceremony", actor=draft.official
    )
    output = dealt(draft)
    client = otp_login(Client(), draft.official)
    response = client.post(
        reverse("ballots:ceremony", args=["city-2027"]),
        {
            "public": SimpleUploadedFile("public.json", cjson(output.public.to_json())),
            "shares": [
                SimpleUploadedFile(f"share-{box.index}.json", cjson(box.to_json()))
                for box in output.boxes
            ],
        },
    )
    assert response.status_code == 302
    draft.election.refresh_from_db()
    assert (
        draft.election.ceremony_public_json == cjson(output.public.to_json()).decode()
    )
    citizen_page = Client()
    citizen_page.force_login(draft.voters[0])
    assert (
        citizen_page.get(reverse("ballots:ceremony", args=["city-2027"])).status_code
        == 403
    )
