"""The few sentences the channels say themselves (everything else is the bot's, in bot/)."""

from __future__ import annotations

OPTED_IN = "You're subscribed again. Reply STOP to stop messages, HELP for help."
MEDIA_ONLY = (
    "Thanks! I can only read text, not pictures or files. "
    "Please type your question, for example: where is my order 10042?"
)
LINK_CODE_SENT = (
    "I sent a 6-digit code to {address}. Type it here within 15 minutes to link it to you."
)
LINK_CODE_MESSAGE = (
    "Your code to link this {kind} to your account is {code}. "
    "If you did not ask for it, ignore this message."
)
LINK_DONE = "Done: {address} is linked. Your orders from both are now together."
LINK_WRONG_CODE = "That code is not right. Please check it and try again."
LINK_EXPIRED = "That code has expired. Say 'link my {kind} {address}' to get a new one."
LINK_NEEDS_PROOF = (
    "For your security I can't link accounts from an unverified email. "
    "Please ask from your phone or Telegram instead."
)
LINK_BAD_ADDRESS = "'{address}' does not look like a valid {kind}. Please check it."
LINK_SAME = "{address} is already linked to you."
EMAIL_SUBJECT = "Your order"
