"""What a person does about an invoice on Chorus Pro: complete, recycle, replace."""
