"""Dependencies of the webhook routes, overridable in tests (a fake DNS resolver, say)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import SettingsDep
from app.kit.secretbox import SecretBox
from app.webhooks.url_guard import UrlGuard


async def get_url_guard(settings: SettingsDep) -> UrlGuard:
    return UrlGuard.from_settings(settings)


async def get_secret_box(settings: SettingsDep) -> SecretBox:
    return SecretBox.from_keys(settings.secrets_key)


UrlGuardDep = Annotated[UrlGuard, Depends(get_url_guard)]
SecretBoxDep = Annotated[SecretBox, Depends(get_secret_box)]
