"""Dialogue understanding as commands, and the task stack.

`commands` reads a message as a short ordered list of commands, `stack` keeps the
tasks a question aside interrupted; the repair patterns every task shares (cancel,
repeat, correction) sit above the flows, in bot.repair. The engine (bot.engine) applies
the commands; docs/dialogue.md tells the whole story.
"""
