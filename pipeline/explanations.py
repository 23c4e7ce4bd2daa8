"""Where a pushed version keeps what explaining one of its predictions needs."""

from __future__ import annotations

import os

from pipeline import model_card


def background_of(version_dir: str) -> list[dict]:
    """The background rows the Pusher stored with the version's attributions."""
    from models.attributions import GlobalAttributions

    path = os.path.join(version_dir, model_card.CARD_DIR, model_card.ATTRIBUTIONS_NAME)
    if not os.path.isdir(version_dir):
        raise FileNotFoundError(f"no version at {version_dir}")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} does not exist: the version was pushed without attributions"
        )
    with open(path, encoding="utf-8") as f:
        return list(GlobalAttributions.from_json(f.read()).background)
