"""Why a teaching view cannot be shown for a model or an input; web code turns it into a 4xx."""

from __future__ import annotations


class NotApplicable(ValueError):
    """The view does not apply to this model (e.g. padding for a numbers model).

    `reason` is a stable key the pages translate ("padding_needs_text"); the message is a full
    English sentence for the API's error body.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
