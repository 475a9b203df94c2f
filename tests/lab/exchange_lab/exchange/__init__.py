"""The Exchange organisation the lab stands in for: objects, cmdlets and their rules."""
