"""What the bot says back: one message, with optional short button labels."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reply:
    """`choices` are button labels for channels that have buttons (Telegram, web chat).

    A text channel ignores them, so `text` itself always says how to answer.
    `intent` and `understood` say how the bot read the message it answers (for reports).
    `resumes`: it says where the conversation was after an aside ("Back to where we
    were: ..."), which only the end of a message's replies needs.
    """

    text: str
    choices: list[str] = field(default_factory=list)
    intent: str = ""
    understood: bool = True
    resumes: bool = False
