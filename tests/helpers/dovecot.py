"""A private Dovecot IMAP server on a loopback port, run from a temporary folder (as root).

Each test gets its own mail user (`add_user`), so tests never see each other's mail.
Mail is delivered as a mail server would (`doveadm save`) or by IMAP APPEND.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imapclient import IMAPClient

from tests.helpers.waiting import wait_for

INSTALL = "apt-get install dovecot-imapd"
PASSWORD = "secret"
TOKEN = "ya29.test-access-token"  # what an XOAUTH2 user's token command must print
USERS = 200  # made up front: the server re-reads its passwd file at most once a second


def find_binary(name: str) -> str | None:
    """`name` on PATH or in the sbin folders, where Debian puts dovecot."""
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/local/sbin") / name)
         if p.is_file()), None)


def _traversable(folder: Path) -> None:
    """Let the dovecot user walk down to `folder` (o+x on it and every folder above)."""
    for path in (folder, *folder.parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


class Dovecot:
    """One Dovecot instance: config, passwd file, homes and log in `folder`."""

    def __init__(self, folder: Path, port: int,
                 tls: tuple[Path, Path] | None = None, imaps_port: int = 0) -> None:
        dovecot, doveadm = find_binary("dovecot"), find_binary("doveadm")
        if dovecot is None or doveadm is None:
            raise RuntimeError(f"dovecot is not installed: {INSTALL}")
        self.dovecot, self.doveadm = dovecot, doveadm
        self.folder, self.port = folder, port
        self.tls, self.imaps_port = tls, imaps_port  # (cert, key): STARTTLS and IMAPS
        self.conf = folder / "dovecot.conf"
        self.passwd = folder / "passwd"
        self.home = folder / "home"
        self.log = folder / "dovecot.log"
        self._users = {PASSWORD: 0, TOKEN: 0}
        self._dropped = 0

    def write_config(self) -> None:
        """A config that runs as root in a container: plain and XOAUTH2 logins, and TLS
        (STARTTLS on `port`, IMAPS on `imaps_port`) only when a certificate was given."""
        for sub in ("run", "state", "home"):
            (self.folder / sub).mkdir(exist_ok=True)
        shutil.chown(self.home, "dovecot", "dovecot")
        _traversable(self.folder)
        self.passwd.write_text("".join(
            f"user{n}:{{PLAIN}}{PASSWORD}\ntoken{n}:{{PLAIN}}{TOKEN}\n"
            for n in range(1, USERS + 1)), encoding="utf-8")
        f = self.folder
        ssl = "ssl = no"
        if self.tls:
            pad = "\n" + " " * 12  # the indent of the block below, which dedent removes
            ssl = f"ssl = yes{pad}ssl_cert = <{self.tls[0]}{pad}ssl_key = <{self.tls[1]}"
        # XOAUTH2 is checked by the passdb like a password: a user whose "password" is a
        # token stands in for a provider's token check. Failed logins (some tests make
        # them on purpose) are neither delayed nor held against 127.0.0.1 later.
        self.conf.write_text(textwrap.dedent(f"""\
            base_dir = {f}/run
            state_dir = {f}/state
            log_path = {self.log}
            protocols = imap
            listen = 127.0.0.1
            {ssl}
            disable_plaintext_auth = no
            auth_mechanisms = plain login xoauth2
            first_valid_uid = 1
            mail_location = maildir:~/Maildir
            passdb {{
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {self.passwd}
            }}
            userdb {{
              driver = static
              args = uid=dovecot gid=dovecot home={self.home}/%u
            }}
            auth_failure_delay = 0
            service anvil {{
              chroot =
              unix_listener anvil-auth-penalty {{
                mode = 0
              }}
            }}
            service stats {{
              chroot =
            }}
            service imap-login {{
              chroot =
              inet_listener imap {{
                address = 127.0.0.1
                port = {self.port}
              }}
              inet_listener imaps {{
                address = 127.0.0.1
                port = {self.imaps_port if self.tls else 0}
              }}
            }}
            """), encoding="utf-8")

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and return once its port answers."""
        # In the foreground (-F) as our child, so its exit is reaped at once: a daemon's
        # parent would be the container's init, which may leave it a zombie that
        # `dovecot stop` waits on for seconds.
        with (self.folder / "start.err").open("wb") as errors:  # the child keeps its copy
            self._master = subprocess.Popen([self.dovecot, "-F", "-c", str(self.conf)],
                                            stdin=subprocess.DEVNULL, stdout=errors,
                                            stderr=errors)

        def answers() -> bool:
            if self._master.poll() is not None:
                raise RuntimeError(self._start_failure())
            return self.answers()

        try:
            wait_for(answers, f"dovecot to answer on {self.port}", timeout)
        except AssertionError as exc:
            raise RuntimeError(self._start_failure()) from exc

    def _start_failure(self) -> str:
        return (f"dovecot did not answer on {self.port} (exit {self._master.poll()}):\n"
                f"{(self.folder / 'start.err').read_text(errors='replace')}"
                f"{self.log_tail()}")

    def answers(self) -> bool:
        """True when the port greets like an IMAP server."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                return s.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """Disconnect every session (as a server going down does) and stop the server."""
        # Dovecot 2.3 leaves logged-in sessions running after `stop`; kick them first
        # (exit 68 = there was no one to kick).
        kick = subprocess.run([self.doveadm, "-c", str(self.conf), "kick", "*"],
                              capture_output=True, timeout=30)
        if kick.returncode not in (0, 68):
            raise RuntimeError(f"doveadm kick exited {kick.returncode}: {kick.stderr!r}")
        stopping = subprocess.Popen([self.dovecot, "-c", str(self.conf), "stop"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._master.wait(timeout=30)
        _, err = stopping.communicate(timeout=30)
        if stopping.returncode != 0:
            raise RuntimeError(f"dovecot stop exited {stopping.returncode}: {err!r}")

    def restart(self) -> None:
        """Stop and start again on the same port, with the same mail."""
        self.stop()
        self.start()

    def add_user(self, password: str = PASSWORD) -> str:
        """A mail user not used before, with an empty mailbox, who logs in with `password`
        (PASSWORD) or with XOAUTH2 and TOKEN (password=TOKEN)."""
        self._users[password] += 1
        if self._users[password] > USERS:
            raise RuntimeError(f"more than {USERS} test users: raise USERS")
        return f"{'user' if password == PASSWORD else 'token'}{self._users[password]}"

    def imap_section(self, user: str, password_env: str, *extra: str) -> str:
        """The `[mail.imap]` table of a gateway config that reads `user`'s INBOX here (its
        password in `password_env`), plus `extra` key lines; TOML ignores the indentation."""
        return "\n".join([
            "[mail.imap]", "enabled = true", 'host = "127.0.0.1"', f"port = {self.port}",
            "ssl = false", f'username = "{user}"', f'password_env = "{password_env}"',
            'folder = "INBOX"', *extra]) + "\n"

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message as the mail server would (`doveadm save`, message on stdin)."""
        self._run(self.doveadm, "-c", str(self.conf), "save", "-u", user, "-m", folder,
                  stdin=raw)

    def drop_in_maildir(self, user: str, raw: bytes) -> None:
        """Deliver as a local mail server does while the IMAP server is down: write the
        file in Maildir/tmp and rename it into Maildir/new."""
        maildir = self.home / user / "Maildir"
        self._dropped += 1
        name = f"{time.time_ns()}.P{os.getpid()}Q{self._dropped}.test"
        tmp = maildir / "tmp" / name
        tmp.write_bytes(raw)
        shutil.chown(tmp, "dovecot", "dovecot")
        tmp.rename(maildir / "new" / name)

    def reset_uidvalidity(self, user: str) -> tuple[int, int]:
        """Make the server renumber the user's INBOX, as a rebuilt or restored mailbox is:
        removing Maildir's uid list and indexes gives a new UIDVALIDITY and UIDs from 1.
        Returns (old, new) UIDVALIDITY."""
        old = self.status(user)["uidvalidity"]
        maildir = self.home / user / "Maildir"
        for path in [maildir / "dovecot-uidlist", *maildir.glob("dovecot.index*")]:
            path.unlink()
        new = self.status(user)["uidvalidity"]
        if new == old:
            raise AssertionError(f"UIDVALIDITY stayed {old}")
        return old, new

    def status(self, user: str, folder: str = "INBOX") -> dict[str, int]:
        """`doveadm mailbox status`: messages, unseen, uidnext, uidvalidity."""
        out = self._run(self.doveadm, "-c", str(self.conf), "mailbox", "status", "-u", user,
                        "messages unseen uidnext uidvalidity", folder)
        words = out.split()[1:]  # "INBOX messages=1 unseen=1 ..."
        return {k: int(v) for k, v in (w.split("=", 1) for w in words)}

    def sessions(self, user: str) -> int:
        """How many IMAP sessions `user` has open on the server now (`doveadm who`)."""
        out = self._run(self.doveadm, "-c", str(self.conf), "who", "-1", user)
        return sum(1 for line in out.splitlines()[1:] if line.split()[:1] == [user])

    @contextmanager
    def client(self, user: str, password: str = PASSWORD) -> Iterator[IMAPClient]:
        """A separate IMAP connection, logged in, to look at (or APPEND to) a mailbox."""
        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=10)
        try:
            client.login(user, password)
            yield client
        finally:
            client.logout()

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for failure messages."""
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _run(self, *argv: str, stdin: bytes | None = None) -> str:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=30,
                              env={**os.environ, "LC_ALL": "C"})
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: "
                               f"{done.stderr.decode(errors='replace')}\n{self.log_tail()}")
        return done.stdout.decode(errors="replace")
