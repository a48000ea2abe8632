"""Application services: one function per use case (place, change, cancel, return, claim
a handoff...). Each takes the actor and its scope and owns its unit of work; the API,
the console, the store screens and the bot all call these, so they cannot disagree."""
