"""From accepted to deposited: the directory pre-flight, then one deposit on Chorus Pro."""
