"""From the ERP to a stored invoice: read what was posted, check it all at once, queue it."""
