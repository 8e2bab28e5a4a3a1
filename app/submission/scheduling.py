"""When a deposit runs: at once after intake, then whenever the tick finds one due."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.queue import JobQueue, enqueue_after_commit
from app.models.invoice import Invoice
from app.submission.policy import SubmissionPolicy
from app.submission.repository import SubmissionRepository

SUBMIT_JOB = "submit_invoice"


def request_submission(session: AsyncSession, invoice: Invoice) -> None:
    """The first run for a new invoice: queued as soon as its transaction commits.

    The invoice's own `next_submit_at` is the durable promise: should this kick be lost
    (Redis away, a crash between commit and kick), the tick's sweep takes the invoice then.
    """
    enqueue_after_commit(
        session, SUBMIT_JOB, f"submit:{invoice.id}:first", {"invoice_id": str(invoice.id)}
    )


def submit_job_id(invoice: Invoice) -> str:
    """One live sweep job per invoice: an enqueue while one is queued or running is a no-op.

    No result is kept (`keep_result=0`), so a finished job never blocks the next; a job
    orphaned by a killed worker keeps its id and arq runs it again once its in-progress
    marker expires (the job timeouts are kept short for that).
    """
    return f"submit:{invoice.id}"


async def enqueue_due(
    session: AsyncSession, queue: JobQueue, now: datetime, settings: Settings
) -> int:
    """The tick's step: retries, lost jobs and deposits whose worker died; each is leased."""
    policy = SubmissionPolicy.from_settings(settings)
    due = await SubmissionRepository(session).claim_due(now, settings.relay_batch_size)
    for invoice in due:
        await queue.enqueue(SUBMIT_JOB, submit_job_id(invoice), {"invoice_id": str(invoice.id)})
        invoice.next_submit_at = now + policy.lease
    return len(due)


def request_submission_of(session: AsyncSession, invoice_id: uuid.UUID) -> None:
    """`request_submission` for an invoice stored without an entity (intake's insert)."""
    enqueue_after_commit(
        session, SUBMIT_JOB, f"submit:{invoice_id}:first", {"invoice_id": str(invoice_id)}
    )
