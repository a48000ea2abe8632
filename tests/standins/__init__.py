"""Local stand-ins for the providers the order assistant talks to.

Each stand-in listens on 127.0.0.1 only and speaks the provider's wire format, so
the real client libraries (twilio, python-telegram-bot, smtplib, imap_tools) can be
pointed at it. They run inside pytest (see ``fixtures.py``) or from any script
(``start()`` / ``stop()`` / ``url``), e.g. the benchmarks under ``bench/``.
"""
