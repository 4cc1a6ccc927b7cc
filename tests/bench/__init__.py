"""`make bench`: task completion cost against the raw engine, and inbox/page times as the data grows."""
