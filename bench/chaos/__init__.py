"""`make chaos`: the whole gateway on its own servers, under faults, checked end to end."""
