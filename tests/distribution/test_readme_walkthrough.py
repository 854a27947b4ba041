"""The README walk-through, run as written: the set-up blocks and every step on the example fleet.

README.md marks its copy-paste blocks with HTML comments (`<!-- walkthrough: setup-tarball -->`,
`setup-checkout`, `steps`). This test reads those blocks, joins continued lines, and runs the
commands in one bash shell per set-up (so `cd` and `export` carry over, as in the reader's shell),
with a scratch HOME, only the tools of this Python environment on PATH and no ANSIBLE_* variables
from the test run. A command that fails fails the test, with its output.

Offline: the network check runs inside a new network namespace (`unshare -rn`) that has only a
loopback interface, so nothing can leave the machine; commands that need Windows devices are not
run. The commands not run, and why, are listed and compared with the expected list, so a new
step cannot be skipped silently.

Run with `python -m pytest -q tests/distribution/test_readme_walkthrough.py`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BLOCK = re.compile(r"<!-- walkthrough: (?P<name>[a-z-]+) -->\s*```sh\n(?P<body>.*?)```", re.S)

# Commands the test does not run, by a text they contain, and why. Compared exactly with what the
# README holds.
NOT_RUN = {
    "purview.device_proxy.verify": "needs Windows devices reachable over WinRM or PSRP; the example fleet's devices do not exist",
}
# Commands that would reach the Internet; run inside a network namespace with no way out.
NO_NETWORK = ("purview.device_proxy.check_network",)


def blocks() -> dict[str, list[str]]:
    """The marked blocks of README.md, as lists of commands (continuations joined, comments dropped)."""
    found: dict[str, list[str]] = {}
    for match in BLOCK.finditer(README.read_text(encoding="utf-8")):
        commands: list[str] = []
        pending = ""
        for line in match.group("body").splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1].strip() + " "
                continue
            commands.append(pending + line.strip())
            pending = ""
        assert not pending, f"block {match.group('name')} ends with a continued line"
        assert match.group("name") not in found, f"two blocks named {match.group('name')}"
        found[match.group("name")] = commands
    return found


def network_namespace_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    return subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False).returncode == 0


def script_for(commands: list[str], not_run: dict[str, str]) -> str:
    """One bash script: each command runs as written (or inside a network namespace), and the first
    failure stops the script and names the command."""
    lines = ["set -u"]
    for number, command in enumerate(commands, 1):
        skip = next((key for key in NOT_RUN if key in command), None)
        if skip:
            not_run[command] = NOT_RUN[skip]
            continue
        if any(key in command for key in NO_NETWORK):
            # No network namespace: refuse rather than reach the Internet.
            run = "unshare -rn bash -c %s" % shlex.quote(command)
        else:
            run = command
        lines.append("echo '>>> [%d] %s'" % (number, command.replace("'", "'\\''")))
        lines.append(run)
        lines.append("rc=$?; if [ $rc -ne 0 ]; then echo '<<< FAILED [%d] rc='$rc; exit 1; fi" % number)
    lines.append("echo '<<< ALL DONE'")
    return "\n".join(lines) + "\n"


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    return env


def test_the_readme_has_the_marked_blocks():
    found = blocks()
    assert set(found) == {"setup-tarball", "setup-checkout", "steps"}
    steps = " ".join(found["steps"])
    for name in ("plan", "proxy", "allowlist", "check_network", "export_group_policy", "import_analyzer_results",
                 "report_example", "verify"):
        assert f"purview.device_proxy.{name} " in steps + " ", f"the walk-through lacks the {name} step"
    assert "examples/fleet/inventory.yml" in steps


@pytest.mark.parametrize("setup", ["setup-tarball", "setup-checkout"])
def test_the_walkthrough_runs_as_written(tmp_path, setup):
    if not network_namespace_works():
        pytest.skip("unshare -rn does not work here: the network check would reach the Internet, so the "
                    "walk-through is not run (needs user and network namespaces)")
    if not Path("/usr/sbin/squid").exists() and not shutil.which("squid"):
        pytest.skip("Squid is not installed: the proxy step validates with `squid -k parse` "
                    "(Debian package squid-openssl, installed by scripts/bootstrap.sh)")
    home = tmp_path / "home"
    home.mkdir()
    found = blocks()
    not_run: dict[str, str] = {}
    script = script_for(found[setup] + found["steps"], not_run)
    proc = subprocess.run(["bash", "-c", script], cwd=REPO, env=clean_env(home), capture_output=True,
                          text=True, timeout=900, check=False)
    output = proc.stdout + "\n--- stderr\n" + proc.stderr
    assert proc.returncode == 0 and "<<< ALL DONE" in proc.stdout, output[-6000:]

    # What was not run, and why: exactly the commands that need hosts.
    print("not run:", not_run)
    assert {next(k for k in NOT_RUN if k in command) for command in not_run} == set(NOT_RUN)
    assert all(reason for reason in not_run.values())

    # The steps did what the README says they do.
    work = home / "purview-walkthrough"
    # The analyzer files became the fleet reports; the file cut short is named with its line.
    reports = work / "analyzer-reports"
    assert sorted(p.name for p in reports.iterdir()) == [
        "connectivity-fleet.html", "connectivity-fleet.json", "connectivity-junit.xml", "connectivity-summary.txt", "hosts"]
    summary = (reports / "connectivity-summary.txt").read_text(encoding="utf-8")
    assert "5 hosts: 1 failing, 3 passing, 1 without result" in summary
    assert re.search(r"old-pc-04: no result: analyzer file old-pc-04/MDEClientAnalyzerResult\.txt: line \d+: .*cut short", summary)
    assert "strict verdict not available" in (reports / "hosts" / "hq-desktop-01.txt").read_text(encoding="utf-8")
    # report_example: the report counts exactly the hosts of the data the collection (or checkout) ships.
    shipped = (home / ".ansible/collections/ansible_collections/purview/device_proxy" if setup == "setup-tarball"
               else REPO) / "examples" / "reports" / "results.json"
    example = json.loads((work / "report-example" / "connectivity-fleet.json").read_text(encoding="utf-8"))
    assert example["totals"]["hosts"] == len(json.loads(shipped.read_text(encoding="utf-8"))) > 0
    # The plan's fleet review: one row per device, each reason once.
    assert re.search(r"\| laptop-02 +\| roaming \(Notebook\) +\| set 10\.0\.0\.6:8080 +\| keep +\| refuse: roaming device +\|",
                     proc.stdout), "plan: laptop-02's static WinHTTP is refused"
    assert re.search(r"\[W\d+\] winhttp_proxy: static WinHTTP refused: roaming device", proc.stdout), "plan: why"
    assert re.search(r"\| desktop-04 +\| stable \(Mini Tower\) +\| report +\|", proc.stdout), \
        "plan: desktop-04's stale proxy is reported"
    assert re.search(r"\[W\d+\] telemetry_proxy: WPAD network: .* was not written by this collection: reported only",
                     proc.stdout), "plan: why the stale proxy is only reported"
    # The summary stays short; the full review is in files, one row per device and setting.
    plan_output = proc.stdout[proc.stdout.index("purview.device_proxy.plan "):proc.stdout.index(">>> [", proc.stdout.index("purview.device_proxy.plan "))]
    assert len(plan_output.splitlines()) <= 62, plan_output  # the command's echo line and 60 lines of output
    assert re.search(r"laptop-02: winhttp_proxy refuse: roaming device", proc.stdout), "plan: the host that needs a decision"
    with open(work / "plan" / "plan-review.csv", newline="", encoding="utf-8") as handle:
        review_rows = list(csv.DictReader(handle))
    assert len(review_rows) == 5 * 4 and {row["host"] for row in review_rows} == {
        "desktop-01", "laptop-02", "server-03", "cmdb-05", "desktop-04"}
    assert (work / "plan" / "plan-review.md").exists() and (work / "plan" / "plan-review.json").exists()
    squid_conf = (work / "squid.conf").read_text(encoding="utf-8")
    assert squid_conf.index("# BEGIN purview.device_proxy allowlist") < squid_conf.index(
        "http_access allow localnet authenticated") < squid_conf.index("ssl_bump bump all")
    assert sorted(p.name for p in (work / "allowlist").iterdir()) == [
        "mde-domains.txt", "mde-proxy-team.csv", "mde-proxy-team.md", "mde-proxy.pac", "mde-squid.conf"]
    # Read as a spreadsheet would (every cell is quoted): the port-80 revocation path keeps its row.
    with open(work / "allowlist" / "mde-proxy-team.csv", encoding="utf-8", newline="") as handle:
        table = [row[:4] for row in csv.reader(handle)]
    assert ["www.microsoft.com", "80", "http", "/pkiops/*"] in table
    assert "Nothing was reachable from this host" in proc.stdout, "check_network's verdict offline"
    # export_group_policy: one folder per device class, the WinHTTP script only for the stable one.
    gpo = work / "group-policy"
    assert sorted(p.name for p in gpo.iterdir() if p.is_dir()) == [
        "static-10.0.0.6-8080-roaming", "static-10.0.0.6-8080-stable", "static-10.0.0.6-8080-unknown", "wpad-stable"]
    assert sorted(p.name for p in (gpo / "static-10.0.0.6-8080-stable").iterdir()) == [
        "README.md", "Registry.pol", "computers.txt", "winhttp-startup.cmd", "wmi-filter.txt"]
    assert not (gpo / "static-10.0.0.6-8080-roaming" / "winhttp-startup.cmd").exists()
    assert (gpo / "static-10.0.0.6-8080-roaming" / "Registry.pol").read_bytes().startswith(b"PReg\x01\x00\x00\x00")
    assert "TelemetryProxyServer".encode("utf-16-le") in (gpo / "static-10.0.0.6-8080-roaming" / "Registry.pol").read_bytes()
    assert "static-10.0.0.6-8080-roaming: laptop-02: refused" in proc.stdout, "export_group_policy: the roaming class"
    # Nothing was written into the checkout.
    assert not (REPO / "purview-walkthrough").exists()


def test_the_example_fleet_is_in_the_tarball_files():
    """examples/ is not excluded from the build (galaxy.yml build_ignore)."""
    import yaml
    from fnmatch import fnmatch

    ignore = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["build_ignore"]
    shipped = [p.relative_to(REPO).as_posix() for p in (REPO / "examples").rglob("*") if p.is_file()]
    assert "examples/fleet/inventory.yml" in shipped and "examples/squid/squid.conf" in shipped
    excluded = [p for p in shipped if any(fnmatch(p, pattern) or p.startswith(pattern + "/") for pattern in ignore)]
    assert not excluded, f"build_ignore drops {excluded}"
