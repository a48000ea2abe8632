"""Conversations: the record of who said what on which channel, intake (store each
inbound message once, know who wrote), the outbox and its delivery, the handoff queue
and the staff who work it. The assistant (bot/) answers on top of this floor."""
