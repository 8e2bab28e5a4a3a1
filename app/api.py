from fastapi import APIRouter

from app.invoices.router import router as invoices_router
from app.webhooks.router import router as webhooks_router

api_router = APIRouter(prefix="/v1")
api_router.include_router(invoices_router)
api_router.include_router(webhooks_router)
