"""Edits a user makes to a motion besides the text: contacts the engine must keep, pins (joint positions at
frames) and the checks that judge a correction. Plain frozen values and pure functions, no Qt: the app holds
them in its undo stack, the session file stores them, the engine's guidance reads them."""
