"""Translated messages of the browser trustee console (issue #5, item 4).

The trustee pages (``ballots:trustee`` and ``tally:trustee``) hand these to
their scripts (``trustee.js``, ``trustee-decrypt.js``) through
``json_script``, as the booth gets its messages.  Placeholders are
``{name}``; the keys of the worker's error codes are the codes of
``crypto/trustee-worker.js``.
"""

from django.utils.translation import gettext as _

MIN_PASSPHRASE_LENGTH = 12
"""Fewest characters of a key file's passphrase chosen in the browser."""


def trustee_console_strings() -> dict[str, str]:
    """Return the console's messages for both trustee pages."""
    return {
        "unsupported": _(
            "This browser cannot do the trustee's cryptography (X25519). Use a "
            "current browser, or the command-line tools."
        ),
        "passphraseShort": _("Choose a passphrase of at least {min} characters."),
        "passphraseMismatch": _("The two passphrases differ."),
        "generating": _("Making your key and sealing it with your passphrase…"),
        "generated": _(
            "Your key file {name} is downloaded. Keep it and your passphrase safe: "
            "you need both to decrypt. Your public key is filled in below: check "
            "it, then register it."
        ),
        "keyFileMissing": _("Choose your key file."),
        "passphraseMissing": _("Enter the passphrase of your key file."),
        "loading": _("Downloading what is needed from the server…"),
        "loadFailed": _("The server's data could not be loaded: {detail}"),
        "opening": _("Opening your share in this browser…"),
        "opened": _(
            "Your share is open and matches your verification key (trustee "
            "{index}). Nothing secret was sent to the server."
        ),
        "selftesting": _(
            "Checking the test ciphertext's opening and computing your test share…"
        ),
        "selftestReady": _("Your test share is computed. Submitting it…"),
        "counting": _("Checking the board's entries: {done} of {total}."),
        "counted": _(
            "The board is counted: {counted} ballots count, {invalid} invalid "
            "entries are ignored."
        ),
        "decrypting": _("Computing your decryption shares: {done} of {total}."),
        "rootMismatch": _(
            "Your count of the board ({size} entries) does not match the board the "
            "server counted. Nothing was uploaded; tell the officials."
        ),
        "uploading": _("Uploading your decryption shares…"),
        "uploaded": _("Your decryption shares are accepted."),
        "uploadFailed": _("Your decryption shares were not accepted: {detail}"),
        "networkFailed": _("The server could not be reached. Try again."),
        # Errors of the console's worker, by code.
        "keyfile-unreadable": _("This is not a usable key file: {detail}"),
        "keyfile-scrypt": _(
            "This key file was made by the command-line tool (scrypt), which a "
            "browser cannot open. Use “python -m tally.trustee” with it instead."
        ),
        "keyfile-passphrase": _("Wrong passphrase, or the key file was changed."),
        "box-index": _("This share box is for another trustee."),
        "box-open": _(
            "Your share box cannot be opened with this key file: it was dealt for "
            "another key, or it is damaged."
        ),
        "share-mismatch": _(
            "Your share does not match your verification key. Do not use it; tell "
            "the dealer and the officials."
        ),
        "not-open": _("Open your share first."),
        "wrong-key": _("Your share was dealt for another key than this election's."),
        "bad-public": _("The key ceremony's public data is damaged: {detail}"),
        "key-proof": _(
            "The election key's proof does not check ({detail}): refusing to use "
            "your share with this key. Tell the officials."
        ),
        "checkingKey": _("Checking the election key's proof: {done} of {total}."),
        "test-opening": _(
            "The test ciphertext does not match its published opening: refusing "
            "to decrypt it. Tell the officials."
        ),
        "manifest": _("The manifest is damaged: {detail}"),
        "hash-mismatch": _(
            "The manifest does not match the published election hash: refusing "
            "to decrypt. Tell the officials."
        ),
        "board": _("Refusing to decrypt: the board breaks its rules ({detail})."),
        "not-counted": _("Count the board first."),
        "internal": _("Something went wrong: {detail}"),
    }
