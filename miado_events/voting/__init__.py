"""Topic voting: rounds, proposals, moderation, one ballot per MSO, results."""
