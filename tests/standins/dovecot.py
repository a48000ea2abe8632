"""A real Dovecot IMAP server on 127.0.0.1, configured from scratch in a temp dir.

Needs Debian's ``dovecot-imapd`` (the config below is Dovecot 2.3 syntax, as in
Debian 12). Plain IMAP without TLS, one passwd-file user with a plaintext
password, Maildir storage, IDLE. As root, Dovecot's own ``dovecot``/``dovenull``
users run its internal and login processes and mail is owned by ``nobody``
(Dovecot refuses mail access as UID 0); otherwise everything runs as the current
user with chroots disabled (Dovecot's rootless mode).
"""

from __future__ import annotations

import getpass
import grp
import imaplib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from .ports import free_port

HOST = "127.0.0.1"
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed or not a version this stand-in can configure."""


def dovecot_binary() -> str:
    """Path of ``dovecot``; raises ``DovecotUnavailable`` if missing or not 2.3."""
    binary = shutil.which("dovecot", path=_SEARCH_PATH)
    if binary is None or shutil.which("doveadm", path=_SEARCH_PATH) is None:
        raise DovecotUnavailable("dovecot is not installed (apt-get install dovecot-imapd)")
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not version.startswith("2.3."):
        raise DovecotUnavailable(f"dovecot {version} found; this stand-in writes a 2.3 config")
    return binary


class DovecotStandin:
    """Starts and stops a private Dovecot and drives its mailbox for tests.

    ``stop()`` / ``start()`` keep port and mail (an outage); ``close()`` also
    removes the working directory. Mail is delivered by IMAP APPEND, so IDLE
    clients are notified exactly as with a real delivery.
    """

    def __init__(self, user: str = "orders@shop.example", password: str = "imap-secret") -> None:
        self.user = user
        self.password = password
        self.port = free_port()
        self._binary = dovecot_binary()
        # Not under pytest's 0700 tmp dirs: Dovecot's unprivileged processes must reach it.
        self.workdir = Path(tempfile.mkdtemp(prefix="dovecot-standin-"))
        self.workdir.chmod(0o755)
        self._config = self._write_config()
        self._process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return HOST

    @property
    def running(self) -> bool:
        return self._process is not None

    def settings(self) -> dict[str, str]:
        """App settings (environment variables) for reading this mailbox."""
        return {
            "IMAP_HOST": HOST,
            "IMAP_PORT": str(self.port),
            "IMAP_USER": self.user,
            "IMAP_PASSWORD": self.password,
            "IMAP_SECURITY": "none",
            "IMAP_FOLDER": "INBOX",
        }

    # lifecycle -------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> DovecotStandin:
        if self._process is not None:
            return self
        with (self.workdir / "dovecot.out").open("ab") as out:
            process = subprocess.Popen(
                [self._binary, "-F", "-c", str(self._config)], stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while not self._greets():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise RuntimeError(f"dovecot did not start:\n{self.log()}")
            time.sleep(0.05)
        self._process = process
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def reset(self) -> None:
        """Be up, with an empty INBOX."""
        self.start()
        self._doveadm("expunge", "-u", self.user, "mailbox", "INBOX", "all")

    def log(self) -> str:
        logs = [self.workdir / "dovecot.out", self.workdir / "dovecot.log"]
        return "\n".join(path.read_text(errors="replace") for path in logs if path.exists())

    # mailbox -----------------------------------------------------------------------
    def deliver(self, message: bytes | str | EmailMessage, folder: str = "INBOX") -> int:
        """Append a raw RFC 822 message; returns its UID."""
        if isinstance(message, EmailMessage):
            message = message.as_bytes()
        elif isinstance(message, str):
            message = message.encode()
        with imaplib.IMAP4(HOST, self.port) as imap:
            imap.login(self.user, self.password)
            status, data = imap.append(folder, None, None, message)
        if status != "OK":
            raise RuntimeError(f"APPEND failed: {data!r}")
        return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))

    def uidvalidity(self, folder: str = "INBOX") -> int:
        output = self._doveadm(
            "-f", "tab", "mailbox", "status", "-u", self.user, "uidvalidity", folder
        )
        return int(output.split()[-1])

    def change_uidvalidity(self, folder: str = "INBOX") -> int:
        """Give ``folder`` a new UIDVALIDITY, as when a mailbox is recreated; returns it.

        Messages stay (with their UIDs), so a client must resynchronise rather than
        trust the UIDs it remembered.
        """
        new = self.uidvalidity(folder) + 1
        self._doveadm("mailbox", "update", "-u", self.user, "--uid-validity", str(new), folder)
        return new

    # internals ---------------------------------------------------------------------
    def _greets(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as probe:
                return probe.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [shutil.which("doveadm", path=_SEARCH_PATH), "-c", str(self._config), *args],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def _write_config(self) -> Path:
        home = self.workdir / "home"
        home.mkdir()
        (self.workdir / "state").mkdir()
        rootless = os.geteuid() != 0
        if rootless:
            mail_owner = pwd.getpwuid(os.getuid())
            internal_user = login_user = getpass.getuser()
            internal_group = grp.getgrgid(os.getgid()).gr_name
        else:
            mail_owner = pwd.getpwnam("nobody")
            os.chown(home, mail_owner.pw_uid, mail_owner.pw_gid)
            internal_user, login_user, internal_group = "dovecot", "dovenull", "dovecot"
        # Chroots need root; Dovecot's rootless how-to disables them.
        no_chroot = "  chroot =\n" if rootless else ""
        users = self.workdir / "users"
        users.write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{mail_owner.pw_uid}:{mail_owner.pw_gid}"
            f"::{home}::\n"
        )
        config = self.workdir / "dovecot.conf"
        config.write_text(
            f"""\
protocols = imap
listen = {HOST}
base_dir = {self.workdir}/run
state_dir = {self.workdir}/state
log_path = {self.workdir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
default_internal_group = {internal_group}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
service anvil {{
{no_chroot}}}
service imap-login {{
{no_chroot}  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )
        return config
