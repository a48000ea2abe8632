"""Dialogue understanding as commands, the task stack and the repair patterns.

`commands` reads a message as a short ordered list of commands, `stack` keeps the
tasks a question aside interrupted, `repair` holds what every task shares (cancel,
repeat, correction). The engine (bot.engine) applies the commands; docs/dialogue.md
tells the whole story.
"""
