"""A command-line voter client: encrypt, cast, and check the receipt.

Usage::

    python -m ballots.client --url https://dauys.example --election ID \\
        --code VOTING-CODE --choices c1=o2,c2=o1 \\
        (--session-cookie SESSIONID | --email E --password P) [--out receipt.json]

It fetches the frozen manifest, encrypts the chosen options with
``votecrypto.ballot.encrypt_ballot`` (a contest left out gets no option
chosen), casts the canonical JSON over HTTP, and reports success only after
checking the receipt: its election hash and tracker, the board entry at its
``seq`` holding exactly this ballot, the inclusion proof against the head's
root and the head's signature by the manifest's board key.  The receipt is
printed and, with ``--out``, saved (canonical JSON plus LF).

Only the standard library and ``votecrypto`` are used; this module never
imports Django.  Exit status: 0 success, 1 a refused cast or a receipt that
does not check, 2 bad arguments or an unreachable server.
"""

import argparse
import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from votecrypto import merkle
from votecrypto.ballot import EncryptedBallot, encrypt_ballot
from votecrypto.canonical import Json, cjson, cjson_line, parse_json
from votecrypto.credentials import credential_seed
from votecrypto.errors import VoteCryptoError
from votecrypto.heads import ELECTION, Receipt, verify_head_signature
from votecrypto.manifest import Manifest

BOARD_PAGE_SIZE = 100
TIMEOUT_SECONDS = 60


class ClientError(Exception):
    """A failure to report in one line; ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Session:
    """An HTTP session on the server: cookies, CSRF token, JSON helpers."""

    def __init__(self, base_url: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ClientError("--url must start with http:// or https://", 2)
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path``."""
        return self.base_url + path

    def cookie(self, name: str) -> str | None:
        """Return the value of cookie ``name``, if set."""
        for cookie in self.cookies:
            if cookie.name == name:
                return cookie.value
        return None

    def set_cookie(self, name: str, value: str) -> None:
        """Set a cookie for the server's host (e.g. the session cookie)."""
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                0,
                name,
                value,
                None,
                False,
                host,
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )

    def request(
        self,
        path: str,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send a request; return the status and the body (also for 4xx)."""
        request = urllib.request.Request(  # noqa: S310 - http(s) checked above
            self.url(path), data=data, headers=dict(headers or {})
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise ClientError(f"cannot reach {self.base_url}: {exc}", 2) from exc

    def get_json(self, path: str) -> Json:
        """GET a JSON document, strictly parsed."""
        status, body = self.request(path)
        if status != 200:
            raise ClientError(f"GET {path} answered {status}")
        return parse_json(body)

    def csrf_token(self, page: str) -> str:
        """Return the CSRF token, fetching ``page`` to get the cookie if needed."""
        token = self.cookie("csrftoken")
        if token is None:
            self.request(page)
            token = self.cookie("csrftoken")
        if token is None:
            raise ClientError("the server set no CSRF cookie")
        return token

    def post(
        self, path: str, body: bytes, token: str, content_type: str
    ) -> tuple[int, bytes]:
        """POST with the CSRF header and a same-origin Referer."""
        return self.request(
            path,
            data=body,
            headers={
                "Content-Type": content_type,
                "X-CSRFToken": token,
                "Referer": self.url(path),
            },
        )

    def login(self, email: str, password: str) -> None:
        """Sign in with e-mail and password through the sign-in form."""
        path = "/accounts/login/"
        token = self.csrf_token(path)
        form = urllib.parse.urlencode(
            {"username": email, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        status, _body = self.post(
            path, form, token, "application/x-www-form-urlencoded"
        )
        if self.cookie("sessionid") is None or status >= 400:
            raise ClientError("sign-in failed (check the e-mail and password)")


def parse_choices(text: str, manifest: Manifest) -> dict[str, list[int]]:
    """Turn ``c1=o2,c2=o1,c2=o3`` into 0/1 selections in manifest order."""
    chosen: dict[str, set[str]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        contest_id, sep, option_id = item.partition("=")
        if not sep:
            raise ClientError(f"--choices: {item!r} is not contest=option", 2)
        try:
            contest = manifest.contest(contest_id)
        except KeyError as exc:
            raise ClientError(f"--choices: no contest {contest_id!r}", 2) from exc
        if option_id not in contest.option_ids:
            raise ClientError(
                f"--choices: contest {contest_id!r} has no option {option_id!r}", 2
            )
        chosen.setdefault(contest_id, set()).add(option_id)
    return {
        contest.contest_id: [
            int(option_id in chosen.get(contest.contest_id, set()))
            for option_id in contest.option_ids
        ]
        for contest in manifest.contests
    }


def fetch_manifest(session: Session, election_id: str) -> Manifest:
    """Fetch and parse the frozen manifest of ``election_id``."""
    status, body = session.request(f"/api/elections/{election_id}/manifest.json")
    if status != 200:
        raise ClientError(f"no published manifest for {election_id!r} ({status})")
    try:
        manifest = Manifest.from_json(parse_json(body))
    except VoteCryptoError as exc:
        raise ClientError(f"the manifest is invalid: {exc}") from exc
    if manifest.election_id != election_id:
        raise ClientError("the manifest is for another election")
    return manifest


def board_entry(session: Session, election_id: str, seq: int) -> Json:
    """Fetch the board entry at ``seq``."""
    page = seq // BOARD_PAGE_SIZE + 1
    value = session.get_json(f"/api/elections/{election_id}/board/?page={page}")
    entries = value.get("entries", []) if isinstance(value, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("seq") == seq:
            return entry
    raise ClientError(f"the board has no entry {seq}")


def check_receipt(
    session: Session, manifest: Manifest, ballot: EncryptedBallot, value: Json
) -> Receipt:
    """Check a receipt against the manifest, the ballot and the board."""
    try:
        receipt = Receipt.from_json(ELECTION, value)
    except VoteCryptoError as exc:
        raise ClientError(f"the receipt is malformed: {exc}") from exc
    if receipt.subject != manifest.election_hash:
        raise ClientError("the receipt is for another election")
    if receipt.value.hex() != ballot.tracker:
        raise ClientError("the receipt's tracker is not this ballot's")
    entry = board_entry(session, manifest.election_id, receipt.seq)
    if (
        not isinstance(entry, dict)
        or entry.get("type") != "cast"
        or cjson(entry.get("payload")) != cjson(ballot.to_json())
    ):
        raise ClientError(f"board entry {receipt.seq} is not this ballot")
    if not receipt.includes(merkle.leaf_hash(entry)):
        raise ClientError("the inclusion proof does not check against the head")
    if not verify_head_signature(ELECTION, receipt.head, manifest.board_public_key):
        raise ClientError("the head's signature does not check")
    return receipt


def vote(
    *,
    url: str,
    election_id: str,
    code: str,
    choices: str,
    session_cookie: str | None = None,
    email: str | None = None,
    password: str | None = None,
) -> dict[str, Json]:
    """Encrypt, cast and check; return the verified receipt's JSON."""
    session = Session(url)
    if session_cookie:
        session.set_cookie("sessionid", session_cookie)
    elif email and password:
        session.login(email, password)
    else:
        raise ClientError("give --session-cookie or --email and --password", 2)
    manifest = fetch_manifest(session, election_id)
    selections = parse_choices(choices, manifest)
    try:
        seed = credential_seed(code, election_id)
        ballot = encrypt_ballot(manifest, manifest.election_hash, seed, selections)
    except (ValueError, VoteCryptoError) as exc:
        raise ClientError(f"cannot make the ballot: {exc}", 2) from exc
    token = session.csrf_token(f"/elections/{election_id}/")
    status, body = session.post(
        f"/api/elections/{election_id}/ballots/",
        cjson(ballot.to_json()),
        token,
        "application/json",
    )
    if status not in (200, 201):
        try:
            error = json.loads(body)
            message = f"{error['error']}: {error['detail']}"
        except (ValueError, KeyError, TypeError):
            message = body[:200].decode("utf-8", "replace")
        raise ClientError(f"the server refused the ballot ({status}) {message}")
    try:
        value = parse_json(body)
    except VoteCryptoError as exc:
        raise ClientError(f"the receipt is not JSON: {exc}") from exc
    return check_receipt(session, manifest, ballot, value).to_json()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the client; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ballots.client", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--election", required=True)
    parser.add_argument("--code", required=True, help="your voting code")
    parser.add_argument("--choices", required=True, help="c1=o2,c2=o1,…")
    parser.add_argument("--session-cookie")
    parser.add_argument("--email")
    parser.add_argument(
        "--password",
        help="your password (better: the DAUYS_PASSWORD environment variable, "
        "which other users cannot see in the process list)",
    )
    parser.add_argument("--out", type=Path, help="save the receipt here")
    args = parser.parse_args(argv)
    try:
        receipt = vote(
            url=args.url,
            election_id=args.election,
            code=args.code,
            choices=args.choices,
            session_cookie=args.session_cookie,
            email=args.email,
            password=args.password or os.environ.get("DAUYS_PASSWORD"),
        )
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return exc.status
    line = cjson_line(receipt)
    if args.out is not None:
        args.out.write_bytes(line)
    sys.stdout.write(line.decode())
    print(  # noqa: T201
        f"cast verified: seq {receipt['seq']}, tracker {receipt['tracker']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
