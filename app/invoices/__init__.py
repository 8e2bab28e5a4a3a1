"""The invoice aggregate every stage shares: statuses, history, the read side."""
