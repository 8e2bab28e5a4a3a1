"""Every route of the API, under /v1 and behind an API key."""

from fastapi import APIRouter

from app.access.deps import AUTH_PROBLEMS
from app.access.router import router as api_keys_router
from app.actions.router import router as invoice_actions_router
from app.directory.router import router as directory_router
from app.intake.router import router as intake_router
from app.invoices.router import router as invoices_router
from app.suppliers.router import router as suppliers_router
from app.webhooks.router import router as webhooks_router

api_router = APIRouter(prefix="/v1", responses=AUTH_PROBLEMS)
api_router.include_router(intake_router)
api_router.include_router(invoices_router)
api_router.include_router(invoice_actions_router)
api_router.include_router(webhooks_router)
api_router.include_router(suppliers_router)
api_router.include_router(directory_router)
api_router.include_router(api_keys_router)
