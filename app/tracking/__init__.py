"""From deposited to paid: each flux followed until integrated, then its supplier's sync."""
