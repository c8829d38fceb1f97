"""Every ``nodesms`` command end to end: the command in a subprocess, against the standalone
gateway in another one (started with ``nodesms gateway``), over real sockets."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

import nodesms

TIMEOUT = 60


@dataclass
class Gateway:
    base_url: str
    process: subprocess.Popen[str]

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NODESMS_")}
        return env | {
            "NODESMS_BASE_URL": self.base_url,
            "NODESMS_USERNAME": "operator",
            "NODESMS_PASSWORD": "Gizli-Şifre-1",
        }

    def client(self) -> nodesms.Client:
        return nodesms.Client(self.base_url, "operator", "Gizli-Şifre-1")


def start_gateway(*options: str) -> tuple[subprocess.Popen[str], str]:
    """``nodesms gateway --port 0 ...`` in a subprocess; returns it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nodesms", "gateway", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
    assert ready, "the gateway did not start"
    line = process.stdout.readline()
    assert " at http://" in line, line + process.stderr.read() if process.stderr else line
    return process, line.rsplit(" ", 1)[1].strip()


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    process, url = start_gateway(
        "--username", "operator", "--password", "Gizli-Şifre-1", "--seed", "7",
        "--undelivered-rate", "0", "--expired-rate", "0",
    )  # fmt: skip
    try:
        yield Gateway(url, process)
    finally:
        stop(process)


def nodesms_cli(
    gateway: Gateway, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "nodesms", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env if env is not None else gateway.env,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert run.returncode == 0, run.stderr
        assert run.stderr == "", run.stderr
    return run


def as_json(run: subprocess.CompletedProcess[str]) -> object:
    return json.loads(run.stdout)


def as_csv(run: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run.stdout)))


def wait_completed(gateway: Gateway, *pkg_ids: int) -> list[dict[str, object]]:
    """Poll ``nodesms packages --json`` until the packages are COMPLETED (real clock)."""
    ids = [arg for pkg_id in pkg_ids for arg in ("--id", str(pkg_id))]
    for _ in range(120):
        listed = as_json(nodesms_cli(gateway, "packages", "--json", *ids))
        assert isinstance(listed, list)
        if len(listed) == len(pkg_ids) and all(p["state"] == "COMPLETED" for p in listed):
            return listed
        time.sleep(0.25)
    raise AssertionError(f"packages {pkg_ids} did not complete: {listed}")


@pytest.fixture(scope="module")
def sent(gateway: Gateway) -> dict[str, int]:
    """A one-to-many package and an OTP, sent with the CLI and delivered."""
    many = as_json(
        nodesms_cli(
            gateway, "send", "--json", "--sender", "ACME", "--title", "Kampanya",
            "--content", "Yeni sezon başladı", "905550000001", "0555 000 00 02", "905550000003",
        )
    )  # fmt: skip
    one = as_json(
        nodesms_cli(
            gateway, "otp", "05550000004", "--json", "--sender", "ACME",
            "--content", "Kodunuz: 482913", "--custom-id", "login-42",
        )
    )  # fmt: skip
    assert isinstance(many, dict)
    assert isinstance(one, dict)
    wait_completed(gateway, many["pkg_id"], one["pkg_id"])
    return {"many": many["pkg_id"], "otp": one["pkg_id"]}


def test_credit_as_table_json_and_csv(gateway: Gateway) -> None:
    # The module's gateway starts with 100,000 credit; earlier sends may have used some.
    (balance,) = as_json(nodesms_cli(gateway, "credit", "--json")).values()  # type: ignore[union-attr]
    assert isinstance(balance, float)
    assert 99_000 < balance <= 100_000
    assert nodesms_cli(gateway, "credit").stdout.split() == ["credit", str(balance)]
    assert as_json(nodesms_cli(gateway, "--json", "credit")) == {"credit": balance}
    assert as_csv(nodesms_cli(gateway, "credit", "--csv")) == [{"credit": str(balance)}]


def test_send_and_otp_report_the_package(gateway: Gateway, sent: dict[str, int]) -> None:
    packages = as_json(nodesms_cli(gateway, "packages", "--json", "--id", str(sent["otp"])))
    assert isinstance(packages, list)
    (otp,) = packages
    assert otp["custom_id"] == "login-42"
    assert otp["type"] == "OTP"
    assert otp["statistics"]["r_count"] == 1
    table = nodesms_cli(gateway, "send", "--sender", "ACME", "--title", "T", "--content",
                        "Tek kişiye", "905550000009")  # fmt: skip
    lines = dict(line.split(None, 1) for line in table.stdout.splitlines())
    assert set(lines) == {"pkg_id", "custom_id", "encoding"}
    assert lines["encoding"].strip() == "TURKISH"


def test_send_takes_numbers_from_a_file_and_schedules(gateway: Gateway, tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("# recipients\n905550000011\n\n0555 000 00 12\n", encoding="utf-8")
    created = as_json(nodesms_cli(
        gateway, "send", "--json", "--sender", "ACME", "--title", "Planlı",
        "--content", "Yarın görüşürüz", "--numbers-file", str(numbers), "--at", "2099-01-01 10:00",
    ))  # fmt: skip
    assert isinstance(created, dict)
    listed = as_json(nodesms_cli(gateway, "packages", "--json", "--status", "scheduled"))
    assert isinstance(listed, list)
    (pkg,) = [p for p in listed if p["id"] == created["pkg_id"]]
    assert pkg["is_scheduled"] is True
    assert pkg["statistics"]["r_count"] == 2
    assert pkg["sending_date"].startswith("2099-01-01T10:00:00")


def test_packages_filters_and_since(gateway: Gateway, sent: dict[str, int]) -> None:
    completed = as_json(nodesms_cli(gateway, "packages", "--json", "--status", "completed",
                                    "--since", "1h"))  # fmt: skip
    assert isinstance(completed, list)
    assert {sent["many"], sent["otp"]} <= {p["id"] for p in completed}
    assert all(p["state"] == "COMPLETED" for p in completed)
    before = as_json(nodesms_cli(gateway, "packages", "--json", "--since", "2020-01-01",
                                 "--until", "2020-01-02 12:00"))  # fmt: skip
    assert before == []
    limited = as_json(nodesms_cli(gateway, "packages", "--json", "--limit", "1"))
    assert isinstance(limited, list)
    assert len(limited) == 1
    table = nodesms_cli(gateway, "packages", "--keyword", "sezon").stdout.splitlines()
    assert table[0].split()[:3] == ["id", "state", "title"]
    assert [line.split()[0] for line in table[1:]] == [str(sent["many"])]


def test_items_csv_has_a_header_and_every_recipient(gateway: Gateway, sent: dict[str, int]) -> None:
    rows = as_csv(nodesms_cli(gateway, "items", str(sent["many"]), "--csv"))
    assert {row["target"] for row in rows} == {"905550000001", "905550000002", "905550000003"}
    assert {row["state"] for row in rows} == {"DELIVERED"}
    assert list(rows[0]) == ["id", "target", "state", "operator", "sending_date",
                             "delivery_date", "credit", "xid"]  # fmt: skip
    assert rows[0]["delivery_date"].endswith("+03:00")
    one = as_json(nodesms_cli(gateway, "items", str(sent["many"]), "--json", "--target",
                              "905550000002"))  # fmt: skip
    assert isinstance(one, list)
    assert [item["target"] for item in one] == ["905550000002"]


def test_export_streams_reports_to_csv_and_json_lines(
    gateway: Gateway, sent: dict[str, int], tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    run = nodesms_cli(gateway, "export", str(sent["many"]), str(sent["otp"]), "-o", str(out))
    assert run.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["pkg_id"] for row in rows] == [str(sent["many"])] * 3 + [str(sent["otp"])]
    assert {"target", "state", "delivery_date", "msg", "error"} <= set(rows[0])
    lines = nodesms_cli(gateway, "export", "--json", str(sent["many"])).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["target"] for r in records} == {"905550000001", "905550000002", "905550000003"}
    assert all(r["pkg_id"] == sent["many"] for r in records)


def test_export_of_an_unknown_package_is_one_line(gateway: Gateway) -> None:
    run = nodesms_cli(gateway, "export", "999999999", check=False)
    assert run.returncode == 1
    assert run.stderr == "nodesms: error: no such package: 999999999\n"


def run_on_a_terminal(gateway: Gateway, *args: str) -> tuple[int, str, str]:
    """Run the command with stderr on a pseudo-terminal; returns status, stdout, terminal."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "nodesms", *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
            env=gateway.env,
            text=True,
        )
        os.close(terminal)
        seen = b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the terminal closed: the command is done
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
        stdout, _ = process.communicate(timeout=TIMEOUT)
        return process.returncode, stdout, seen.decode()
    finally:
        os.close(controller)


def test_export_progress_bar_only_on_a_terminal(gateway: Gateway, sent: dict[str, int]) -> None:
    status, stdout, terminal = run_on_a_terminal(gateway, "export", str(sent["many"]))
    assert status == 0
    assert "export [" in terminal
    assert "3/3" in terminal
    assert len(stdout.splitlines()) == 1 + 3  # the CSV itself is untouched
    piped = nodesms_cli(gateway, "export", str(sent["many"]))
    assert piped.stderr == ""  # no bar, no control characters


def test_senders(gateway: Gateway) -> None:
    senders = as_json(nodesms_cli(gateway, "senders", "--json"))
    assert isinstance(senders, list)
    assert {s["title"]: s["status"] for s in senders}["ACME"] == "APPROVED"
    approved = as_csv(nodesms_cli(gateway, "senders", "--csv", "--status", "approved"))
    assert approved
    assert {row["status"] for row in approved} == {"APPROVED"}


@pytest.mark.anyio
async def test_contacts_import_from_csv(gateway: Gateway, tmp_path: Path) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(
        "\ufeffGSM,First_Name,group_name,CITY\n"
        "05550000021,Ayşe,Müşteriler,İzmir\n"
        "905550000022,Şükrü,Müşteriler,\n",
        encoding="utf-8",
    )
    result = as_json(nodesms_cli(gateway, "contacts", "import", str(file), "--json"))
    assert result == {"rows": 2, "columns": ["gsm", "first_name", "group_name", "city"],
                      "status": "accepted"}  # fmt: skip
    async with gateway.client() as client:
        for _ in range(100):
            found = {c.gsm: c async for c in client.contact.list()}
            if {"905550000021", "905550000022"} <= set(found):
                break
            await anyio.sleep(0.1)
        assert found["905550000021"].first_name == "Ayşe"
        assert found["905550000021"].details == {"CITY": "İzmir"}
        groups = [g.title async for g in client.contact.list_group()]
        assert "Müşteriler" in groups


def test_contacts_import_refuses_a_bad_file(gateway: Gateway, tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("gsm,first_name\n905550000031,Ali,extra\n", encoding="utf-8")
    run = nodesms_cli(gateway, "contacts", "import", str(file), check=False)
    assert run.returncode == 1
    assert run.stderr == f"nodesms: error: {file} line 2: 3 values for 2 columns\n"
    missing = nodesms_cli(gateway, "contacts", "import", str(tmp_path / "none.csv"), check=False)
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert "No such file or directory" in missing.stderr


@pytest.mark.anyio
async def test_blacklist_add_and_remove(gateway: Gateway, tmp_path: Path) -> None:
    more = tmp_path / "more.txt"
    more.write_text("905550000042\n", encoding="utf-8")
    added = as_json(nodesms_cli(gateway, "blacklist", "add", "--json", "0555 000 00 41",
                                "--file", str(more)))  # fmt: skip
    assert added == {"blacklisted": True, "applied": 2, "invalid": []}
    async with gateway.client() as client:
        listed = {c.gsm async for c in client.contact.list(status=nodesms.ContactFilter.BLACKLIST)}
        assert {"905550000041", "905550000042"} <= listed
        removed = as_json(nodesms_cli(gateway, "blacklist", "remove", "--json", "905550000041",
                                      "12", "--skip-invalid"))  # fmt: skip
        assert removed == {"blacklisted": False, "applied": 1, "invalid": ["12"]}
        listed = {c.gsm async for c in client.contact.list(status=nodesms.ContactFilter.BLACKLIST)}
        assert "905550000041" not in listed
        assert "905550000042" in listed


def test_a_wrong_password_is_one_line_on_stderr(gateway: Gateway) -> None:
    env = gateway.env | {"NODESMS_PASSWORD": "wrong"}
    run = nodesms_cli(gateway, "credit", check=False, env=env)
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert run.stderr.startswith("nodesms: AuthenticationError: ERR_UNAUTHORIZED_REQUEST")
    assert "wrong" not in run.stderr
    debug = nodesms_cli(gateway, "credit", "--debug", check=False, env=env)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "DEBUG nodesms: /user/credit HTTP 401" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("nodesms: AuthenticationError")


def test_bad_input_is_one_line_naming_the_field(gateway: Gateway) -> None:
    run = nodesms_cli(gateway, "send", "--sender", "ACME", "--title", "T", "--content", "x",
                      "--validity", "5", "905550000001", check=False)  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.startswith("nodesms: ValidationError: validity: ")
    assert run.stderr.count("\n") == 1
    usage = nodesms_cli(gateway, "packages", "--status", "nonsense", check=False)
    assert usage.returncode == 2
    assert "expected one of all, queued, processing" in usage.stderr


def test_configuration_from_flags_and_a_missing_password(gateway: Gateway) -> None:
    bare = {k: v for k, v in gateway.env.items() if k not in ("NODESMS_BASE_URL",
                                                               "NODESMS_USERNAME")}  # fmt: skip
    flags = nodesms_cli(gateway, "credit", "--json", "--base-url", gateway.base_url + "/sms/list",
                        "--username", "operator", env=bare)  # fmt: skip
    assert as_json(flags) == as_json(nodesms_cli(gateway, "credit", "--json"))
    missing = nodesms_cli(gateway, "credit", check=False, env=bare)
    assert missing.returncode == 2
    assert "give --base-url or set NODESMS_BASE_URL" in missing.stderr
    no_password = {k: v for k, v in gateway.env.items() if k != "NODESMS_PASSWORD"}
    asked = nodesms_cli(gateway, "credit", check=False, env=no_password)
    assert asked.returncode == 2
    assert "set NODESMS_PASSWORD" in asked.stderr
    flag = nodesms_cli(gateway, "credit", "--password", "x", check=False)
    assert flag.returncode == 2  # there is no such flag: it would show in `ps`


def test_the_password_is_asked_for_on_a_terminal(gateway: Gateway) -> None:
    env = {k: v for k, v in gateway.env.items() if k != "NODESMS_PASSWORD"}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "nodesms", "credit", "--json"], env)
    try:
        seen = b""
        deadline = time.monotonic() + TIMEOUT
        while b"password for operator:" not in seen and time.monotonic() < deadline:
            if select.select([terminal], [], [], 1)[0]:
                seen += os.read(terminal, 1024)
        os.write(terminal, "Gizli-Şifre-1\n".encode())
        while time.monotonic() < deadline:
            if select.select([terminal], [], [], 1)[0]:
                try:
                    chunk = os.read(terminal, 1024)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert b'{"credit": ' in seen
    assert b"Gizli" not in seen  # not echoed


def test_gateway_has_every_option_of_python_m_nodesms_testing() -> None:
    def options(*command: str) -> set[str]:
        text = subprocess.run([sys.executable, *command, "--help"], capture_output=True,
                              text=True, timeout=TIMEOUT, check=True).stdout  # fmt: skip
        return {word.strip("[],") for word in text.split() if word.startswith(("--", "[--"))}

    standalone = options("-m", "nodesms.testing")
    assert {"--port", "--username", "--credit", "--error-http-status"} <= standalone
    assert options("-m", "nodesms", "gateway") == standalone


def test_gateway_options_reach_the_gateway() -> None:
    process, url = start_gateway("--username", "u", "--password", "p", "--credit", "1234",
                                 "--error-http-status", "200")  # fmt: skip
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NODESMS_")}
        env |= {"NODESMS_BASE_URL": url, "NODESMS_USERNAME": "u", "NODESMS_PASSWORD": "p"}
        run = subprocess.run([sys.executable, "-m", "nodesms", "credit", "--json"],
                             capture_output=True, text=True, timeout=TIMEOUT, env=env)  # fmt: skip
        assert json.loads(run.stdout) == {"credit": 1234.0}
    finally:
        stop(process)


def test_a_reader_that_goes_away_stops_the_command_quietly(gateway: Gateway) -> None:
    numbers = [f"90555{i:07d}" for i in range(100, 1100)]
    created = as_json(nodesms_cli(gateway, "send", "--json", "--sender", "ACME", "--title",
                                  "Çok", "--content", "Merhaba", *numbers))  # fmt: skip
    assert isinstance(created, dict)
    process = subprocess.Popen(  # `nodesms items PKG | head -1`
        [sys.executable, "-m", "nodesms", "items", str(created["pkg_id"])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=gateway.env, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline().split()[:2] == ["id", "target"]
    process.stdout.close()  # 1000 rows do not fit in the pipe: the next write breaks it
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 141
    assert stderr == ""
