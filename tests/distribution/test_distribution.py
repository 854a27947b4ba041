"""The built collection: what the tarball holds, and that it works installed, by FQCN.

The tarball is built once from a copy of the checkout (plus decoys for everything that must stay
out) and installed offline into a temporary collections path; every test works on that install,
the way users get the collection, and nothing imports the checkout. The tools (ansible-galaxy,
ansible-playbook, ansible-builder, bindep) are taken from the Python environment running pytest,
falling back to PATH.

Run with `python -m pytest -q tests/distribution`.
"""

from __future__ import annotations

import json
import os
import shutil
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
NAMESPACE, NAME = "purview", "device_proxy"

# Stand-ins for everything a developer's checkout holds that must never reach the tarball. They
# are added to a copy of the checkout before building, so each exclusion is exercised even on a
# clean CI checkout.
DECOYS = (
    ".venv/bin/python",
    ".build/sanity/ansible_collections/purview/device_proxy/galaxy.yml",
    ".ansible/collections/ansible_collections/.keep",
    ".pytest_cache/v/cache/lastfailed",
    ".hypothesis/examples/0001",
    ".mypy_cache/3.11/cache.json",
    ".ruff_cache/content",
    ".tox/py311/pyvenv.cfg",
    "plugins/module_utils/__pycache__/proxy_address.cpython-311.pyc",
    "plugins/filter/.pytest_cache/README.md",
    "roles/.hypothesis/examples/0002",
    "docs/build/html/index.html",
    "changelogs/.plugin-cache.yaml",
    "tests/output/junit/result.xml",
    "purview-device_proxy-0.0.1.tar.gz",
    "site.retry",
)


def tool(name: str) -> str:
    """The executable `name` next to the running Python, else on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -r requirements-test.txt)")
    return found


def run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a command; on failure show its whole output in the assertion message."""
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        pytest.fail(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
            pytrace=False,
        )
    return proc


def source_files() -> list[Path]:
    """Files of the checkout that git would commit (tracked and new, not ignored)."""
    proc = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO)
    paths = [Path(p) for p in proc.stdout.split("\0") if p]
    return [p for p in paths if (REPO / p).is_file()]


@dataclass(frozen=True)
class Installed:
    tarball: Path
    members: tuple[str, ...]      # names in the tarball, without a trailing "/"
    collections_path: Path        # the -p of the install
    root: Path                    # <collections_path>/ansible_collections/purview/device_proxy
    workdir: Path                 # scratch space for playbooks, inventories and outputs

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for ansible commands that see only the installed collection."""
        env = dict(os.environ)
        for key in [k for k in env if k.startswith("ANSIBLE_")]:
            del env[key]
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.collections_path),
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_CONFIG=str(self.workdir / "ansible.cfg"),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "tmp"),
            ANSIBLE_HOME=str(self.workdir / "ansible-home"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_HOST_KEY_CHECKING="false",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        )
        env.update(extra)
        return env

    def playbook(self, args: list[str]) -> subprocess.CompletedProcess:
        """Run ansible-playbook on localhost (this Python) with only the installed collection."""
        return run([tool("ansible-playbook"), "-i", "localhost,", "-c", "local", *args],
                   cwd=self.workdir, env=self.env())


@pytest.fixture(scope="session")
def galaxy_meta() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    """Build from a copy of the checkout (plus decoys), then install the tarball offline."""
    base = tmp_path_factory.mktemp("distribution")
    source = base / "source"
    for rel in source_files():
        dest = source / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest)
    for rel in DECOYS:
        decoy = source / rel
        decoy.parent.mkdir(parents=True, exist_ok=True)
        decoy.write_text("decoy: must not be in the tarball\n", encoding="utf-8")

    out = base / "dist"
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(source)])
    tarballs = sorted(out.glob(f"{NAMESPACE}-{NAME}-*.tar.gz"))
    assert len(tarballs) == 1, f"expected one tarball in {out}, found {tarballs}"
    with tarfile.open(tarballs[0]) as tar:
        members = tuple(m.name.rstrip("/") for m in tar.getmembers())

    workdir = base / "work"
    (workdir / "tmp").mkdir(parents=True)
    (workdir / "ansible.cfg").write_text("[defaults]\n", encoding="utf-8")
    collections = base / "collections"
    installed = Installed(tarballs[0], members, collections,
                          collections / "ansible_collections" / NAMESPACE / NAME, workdir)
    # --offline: no Galaxy server is contacted (the collection has no dependencies).
    run([tool("ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections),
         str(tarballs[0])], env=installed.env())
    return installed


# Nothing a user does not run: tests, development tools, local environments, caches, build output.
FORBIDDEN_TOP = {
    "tests", "tools", "scripts", ".venv", ".build", ".ansible", ".git", ".ci", ".github",
    "Makefile", "pytest.ini", "requirements-test.txt", ".ansible-lint", ".gitignore",
}
FORBIDDEN_ANYWHERE = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", ".tox"}
FORBIDDEN_PATTERNS = ("*.pyc", "*.tar.gz", "*.retry", "docs/build", "docs/build/*",
                      "changelogs/.plugin-cache.yaml", "extensions/molecule", "extensions/molecule/*")

REQUIRED_MEMBERS = (
    "MANIFEST.json", "FILES.json", "README.md",
    "meta/runtime.yml", "meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt",
    "changelogs/changelog.yaml", "changelogs/config.yaml",
    "docs/docsite/extra-docs.yml", "docs/docsite/links.yml",
    "plugins/lookup/service_urls.py", "plugins/filter/allowlist.py", "plugins/filter/plan.py",
    "playbooks/configure.yml", "playbooks/plan.yml", "playbooks/reset.yml", "playbooks/verify.yml",
    "playbooks/proxy.yml", "playbooks/check_network.yml", "playbooks/report_example.yml",
    "examples/reports/results.json", "examples/reports/previous-run.json",
    "roles/device_proxy/meta/argument_specs.yml", "roles/connectivity_check/meta/argument_specs.yml",
    "roles/proxy_allowlist/meta/argument_specs.yml",
)

GUIDES = REPO / "docs" / "docsite" / "rst"
EE_LABEL = ".. _ansible_collections.purview.device_proxy.docsite.awx_automation_platform.ee_definition:"


def forbidden(member: str) -> bool:
    parts = PurePosixPath(member).parts
    return (parts[0] in FORBIDDEN_TOP
            or any(part in FORBIDDEN_ANYWHERE for part in parts)
            or any(fnmatch(member, pattern) for pattern in FORBIDDEN_PATTERNS))


def test_tarball_has_no_tests_caches_or_build_output(installed: Installed):
    offenders = sorted(m for m in installed.members if forbidden(m))
    assert not offenders, f"{installed.tarball.name} must not contain: {offenders}"


def test_tarball_has_what_users_need(installed: Installed):
    missing = [m for m in REQUIRED_MEMBERS if m not in installed.members]
    assert not missing, f"{installed.tarball.name} lacks {missing}"


def test_manifest_metadata_is_complete(installed: Installed, galaxy_meta: dict):
    info = json.loads((installed.root / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]
    for field in ("description", "license", "tags", "repository", "documentation", "issues", "authors"):
        assert info[field], f"MANIFEST.json collection_info.{field} is empty"
    assert (info["namespace"], info["name"], info["version"]) == (
        galaxy_meta["namespace"], galaxy_meta["name"], galaxy_meta["version"])
    assert info["dependencies"] == {}, "an offline install needs a collection without dependencies"
    bad_tags = [t for t in info["tags"] if not re.fullmatch(r"[a-z0-9_]{1,64}", t)]
    assert not bad_tags and len(info["tags"]) <= 20, f"Galaxy rejects tags {bad_tags}"
    for field in ("repository", "documentation", "issues", "homepage"):
        assert info[field].startswith("https://"), f"{field} must be an https URL"


def test_installed_files_match_the_manifest(installed: Installed):
    proc = run([tool("ansible-galaxy"), "collection", "verify", "--offline", "-p",
                str(installed.collections_path), "purview.device_proxy"], env=installed.env(), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Successfully verified" in proc.stdout


def test_requires_ansible_is_kept(installed: Installed):
    runtime = yaml.safe_load((installed.root / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert runtime["requires_ansible"] == ">=2.19.0"


# --- action groups -------------------------------------------------------------------------------

PLATFORM_GROUPS = ("windows", "linux", "controller")


def _runtime_groups(root: Path) -> dict[str, list]:
    return yaml.safe_load((root / "meta" / "runtime.yml").read_text(encoding="utf-8"))["action_groups"]


def _module_names(root: Path) -> set[str]:
    return {p.stem for p in (root / "plugins" / "modules").glob("*.py") if not p.name.startswith("_")}


def test_every_module_is_in_exactly_one_platform_group(installed: Installed):
    groups = _runtime_groups(installed.root)
    modules = _module_names(installed.root)
    platform = {name: set(groups[name]) for name in PLATFORM_GROUPS}
    ungrouped = sorted(m for m in modules if not any(m in members for members in platform.values()))
    several = sorted(m for m in modules if sum(m in members for members in platform.values()) > 1)
    assert not ungrouped, f"modules in none of the action groups {PLATFORM_GROUPS}: {ungrouped}"
    assert not several, f"modules in more than one of the action groups {PLATFORM_GROUPS}: {several}"
    windows_side = {m for m in modules if (installed.root / "plugins" / "modules" / f"{m}.ps1").exists()}
    assert windows_side <= platform["windows"], "PowerShell modules belong to the windows group"
    unknown = sorted(set().union(*platform.values()) - modules)
    assert not unknown, f"action groups name modules the collection does not have: {unknown}"


def test_all_group_extends_every_platform_group(installed: Installed):
    groups = _runtime_groups(installed.root)
    assert groups["all"] == [{"metadata": {"extend_group": [
        f"purview.device_proxy.{name}" for name in PLATFORM_GROUPS]}}]


# Arguments each module accepts, so that the unknown default is the only thing it can reject.
VALID_ARGS = {
    "telemetry_proxy": {"state": "absent"},
    "winhttp_proxy": {"state": "absent"},
    "device_connectivity_probe": {"catalog": True},
    "network_url_probe": {"urls": ["https://127.0.0.1:9/"]},
    "connectivity_report": {"dest": "{{ playbook_dir }}/reports"},
    "fleet_plan": {"hosts": []},
    "group_policy_export": {"dest": "{{ playbook_dir }}/group-policy",
                            "devices": {"pc-1": {"inputs": {"network_mode": "wpad"}, "facts": {}}}},
    "analyzer_results": {"path": "{{ playbook_dir }}"},
    "squid_allowlist": {"path": "{{ playbook_dir }}/squid.conf", "state": "absent", "validate": False,
                        "reload": False},
}


def _validated_locally(root: Path, module: str) -> bool:
    """Whether arguments are checked without reaching a Windows host (Python module or action plugin)."""
    has_action = (root / "plugins" / "action" / f"{module}.py").exists()
    is_powershell = (root / "plugins" / "modules" / f"{module}.ps1").exists()
    return has_action or not is_powershell


@pytest.mark.parametrize("group", [*PLATFORM_GROUPS, "all"])
def test_module_defaults_reach_every_module_of_a_group(installed: Installed, group: str):
    """module_defaults for group/purview.device_proxy.<group> arrive at each member module.

    The default is an option no module has; each module must reject it by name, which proves the
    default reached it. Only modules that check arguments on the controller can run here.
    """
    groups = _runtime_groups(installed.root)
    names = PLATFORM_GROUPS if group == "all" else (group,)
    members = {module for name in names for module in groups[name]}
    present = sorted(members & _module_names(installed.root))
    testable = [m for m in present if _validated_locally(installed.root, m)]
    assert testable, f"no module of group {group} checks its arguments on the controller"
    probe = "distribution_group_probe"
    tasks = [{
        "name": module,
        f"purview.device_proxy.{module}": VALID_ARGS.get(module, {}),
        "ignore_errors": True,
        "register": f"result_{module}",
    } for module in testable]
    out = installed.workdir / f"group_{group}.json"
    tasks.append({
        "name": "Write the results",
        "ansible.builtin.copy": {
            "dest": str(out),
            "mode": "0644",
            "content": "{{ {%s} | to_json }}" % ", ".join(f"'{m}': result_{m}" for m in testable),
        },
        "check_mode": False,
    })
    playbook = [{
        "name": f"module_defaults for group {group}",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {f"group/purview.device_proxy.{group}": {probe: 1}},
        "tasks": tasks,
    }]
    path = installed.workdir / f"group_{group}.yml"
    path.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
    installed.playbook([str(path), "--check"])
    results = json.loads(out.read_text(encoding="utf-8"))
    for module in testable:
        result = results[module]
        assert result.get("failed"), f"{module}: the unknown default {probe} was accepted: {result}"
        assert probe in result.get("msg", ""), f"{module}: failed for another reason: {result.get('msg')}"


# --- playbooks by FQCN -----------------------------------------------------------------------------

CATALOG_PLAYBOOK = """\
- name: Catalog lookup and allowlist filters by FQCN
  hosts: localhost
  gather_facts: false
  vars:
    allowlist: "{{ query('purview.device_proxy.service_urls', cloud='commercial', regions=['us'],
                         model='standard', os='windows', required_only=true) }}"
    probes: "{{ query('purview.device_proxy.service_urls', regions=['eu'], output='probe') }}"
  tasks:
    - name: Write what the plugins returned
      ansible.builtin.copy:
        dest: "{{ out }}"
        mode: "0644"
        content: "{{ {'allowlist': allowlist,
                      'domains': allowlist | purview.device_proxy.allowlist_domains,
                      'probes': probes} | to_json }}"
"""


def test_catalog_lookup_and_filters_by_fqcn(installed: Installed):
    playbook = installed.workdir / "catalog.yml"
    playbook.write_text(CATALOG_PLAYBOOK, encoding="utf-8")
    out = installed.workdir / "catalog.json"
    installed.playbook([str(playbook), "-e", f"out={out}"])
    data = json.loads(out.read_text(encoding="utf-8"))

    hosts = {item["host"] for item in data["allowlist"]}
    # FACTS.md section 4.2 (US command and control gateways) and section 4.1 (CRL on port 80).
    assert {"winatp-gw-cus.microsoft.com", "winatp-gw-eus.microsoft.com", "crl.microsoft.com"} <= hosts
    assert not any(h.startswith("winatp-gw-") and h.endswith(("-neu.microsoft.com", "-weu.microsoft.com"))
                   for h in hosts), "an EU gateway in a US-only selection"
    assert all(item["required"] for item in data["allowlist"]), "required_only=true returned optional rows"
    assert any(item["port"] == 80 for item in data["allowlist"] if item["host"] == "crl.microsoft.com")
    assert "crl.microsoft.com" in data["domains"]
    assert len(data["domains"]) == len(set(data["domains"])), "duplicate domains"

    probe_urls = {p["url"] for p in data["probes"]}
    assert "https://winatp-gw-weu.microsoft.com/test" in probe_urls or \
        "https://winatp-gw-weu.microsoft.com/commands/test" in probe_urls, sorted(probe_urls)[:20]


FLEET = REPO / "tests" / "unit" / "fixtures" / "fleet"
PLAN_WRAPPER = """\
- name: The collection's plan playbook
  ansible.builtin.import_playbook: purview.device_proxy.plan

- name: Collect the plans
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write every host's plan
      ansible.builtin.copy:
        dest: "{{ out }}"
        mode: "0644"
        content: "{{ hostvars['localhost'].device_proxy_fleet_plan.plans | to_json }}"
"""


def test_plan_playbook_by_fqcn(installed: Installed):
    """purview.device_proxy.plan from the tarball plans a simulated fleet from supplied facts."""
    inventory = yaml.safe_load((FLEET / "inventory.yml").read_text(encoding="utf-8"))
    expected = {}
    for group in inventory["all"]["children"].values():
        for host, hostvars in group["hosts"].items():
            expected[host] = hostvars["fleet_expected"]

    # The collection's playbook, imported by FQCN, then a play that writes every host's plan.
    out = installed.workdir / "plans.json"
    wrapper = installed.workdir / "plan_fleet.yml"
    wrapper.write_text(PLAN_WRAPPER, encoding="utf-8")
    proc = run([tool("ansible-playbook"), str(wrapper), "-i", str(FLEET / "inventory.yml"),
                "-e", "device_proxy_target=all", "-e", f"device_proxy_facts_dir={FLEET / 'facts'}",
                "-e", "device_proxy_return_plans=true", "-e", f"out={out}"], cwd=installed.workdir, env=installed.env())
    plans = json.loads(out.read_text(encoding="utf-8"))
    assert set(plans) == set(expected), "every host of the fleet gets a plan"
    for host, want in expected.items():
        plan = plans[host]
        actions = {a["target"]: a["action"] for a in plan["actions"]}
        got = {
            "telemetry_proxy": actions.get("telemetry_proxy"),
            "prefer_static_proxy": actions.get("prefer_static_proxy"),
            "winhttp_proxy": actions.get("winhttp_proxy"),
            "topology": plan["topology"]["value"],
            "apply": sorted(plan["apply"]),
        }
        assert got == {**want, "apply": sorted(want["apply"])}, host
    # Plan mode contacts nothing and changes nothing: one play on the controller plans every device.
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", proc.stdout, re.M)
    assert {fields[0] for fields in recap} == {"localhost"}, proc.stdout
    # (the one change is the wrapper's own copy of the plans)
    assert all(counts == ["1", "0", "0"] for host, *counts in recap), proc.stdout


def test_report_example_by_fqcn_from_the_installed_collection(installed: Installed):
    """purview.device_proxy.report_example renders the reports from the data the tarball ships, run from
    outside any checkout; the report counts exactly the hosts of that data."""
    data = json.loads((installed.root / "examples" / "reports" / "results.json").read_text(encoding="utf-8"))
    dest = installed.workdir / "report-example"
    proc = run([tool("ansible-playbook"), "purview.device_proxy.report_example", "-e", f"dest={dest}"],
               cwd=installed.workdir, env=installed.env())
    fleet = json.loads((dest / "connectivity-fleet.json").read_text(encoding="utf-8"))
    assert fleet["totals"]["hosts"] == len(data) > 0
    assert sorted(host["host"] for host in fleet["hosts"]) == sorted(data), proc.stdout[-2000:]
    assert (dest / "connectivity-fleet.html").is_file() and (dest / "purview_connectivity.prom").is_file()
    assert f"{len(data)} devices:" in proc.stdout


# --- execution environment -----------------------------------------------------------------------

def _requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_ee_requirements_are_declared(installed: Installed):
    """ansible-builder picks up the collection's Python and system requirements from the install."""
    meta = yaml.safe_load((installed.root / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert meta["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}
    python_reqs = _requirement_lines(installed.root / "meta" / "ee-requirements.txt")
    names = {re.split(r"[\[<>=!~ ;]", req, maxsplit=1)[0].lower() for req in python_reqs}
    assert {"pywinrm", "pypsrp", "requests", "pypac"} <= names

    proc = run([tool("ansible-builder"), "introspect", "--sanitize", str(installed.collections_path)])
    found = yaml.safe_load(proc.stdout)
    origin = "  # from collection purview.device_proxy"

    def ours(lines):
        return [line[:-len(origin)] for line in lines or [] if line.endswith(origin)]

    assert ours(found["python"]) == python_reqs, proc.stdout
    assert ours(found["system"]) == _requirement_lines(installed.root / "meta" / "ee-bindep.txt"), proc.stdout

    bindep = tool("bindep")
    parsed = run([bindep, "-f", str(installed.root / "meta" / "ee-bindep.txt"), "-l", "newline"], check=False)
    assert parsed.returncode in (0, 1), f"bindep cannot parse meta/ee-bindep.txt: {parsed.stderr}"


def _documented_ee_definition() -> dict:
    """The EE definition shown in the AWX guide: the code block after its label."""
    guide = next((p for p in GUIDES.glob("*.rst") if EE_LABEL in p.read_text(encoding="utf-8")), None)
    assert guide is not None, f"no guide in {GUIDES} has the label {EE_LABEL}"
    lines = guide.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == EE_LABEL)
    block = next(i for i in range(start, len(lines)) if lines[i].strip().startswith(".. code-block:: yaml"))
    body = []
    for line in lines[block + 1:]:
        if line.strip() and not line.startswith(" "):
            break
        body.append(line)
    return yaml.safe_load("\n".join(body))


def test_ansible_builder_create_with_the_documented_definition(installed: Installed):
    definition = _documented_ee_definition()
    assert definition["version"] == 3
    collections = definition["dependencies"]["galaxy"]["collections"]
    ours = [c for c in collections if "purview-device_proxy" in c["name"] or c["name"] == "purview.device_proxy"]
    assert ours, "the documented EE must install purview.device_proxy"
    # The documented definition installs the collection from a tarball copied into the build
    # context; point it at the tarball just built.
    build_files = definition["additional_build_files"]
    tarball_entry = next(e for e in build_files if e["src"].endswith(".tar.gz"))
    tarball_entry["src"] = str(installed.tarball)
    ours[0]["name"] = f"{tarball_entry['dest']}/{installed.tarball.name}"

    ee_dir = installed.workdir / "ee"
    ee_dir.mkdir()
    ee_file = ee_dir / "execution-environment.yml"
    ee_file.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    context = ee_dir / "context"
    run([tool("ansible-builder"), "create", "-f", str(ee_file), "-c", str(context), "--output-filename",
         "Containerfile"], cwd=ee_dir)

    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    copied = context / "_build" / tarball_entry["dest"] / installed.tarball.name
    assert copied.is_file(), "the collection tarball is part of the build context"
    assert copied.read_bytes() == installed.tarball.read_bytes()
    assert any(c["name"] == ours[0]["name"] for c in requirements["collections"])
    assert "ansible-galaxy collection install" in containerfile
    # The collection's meta/execution-environment.yml is read by this step inside the build.
    assert "introspect.py introspect" in containerfile
    assert definition["dependencies"]["ansible_core"]["package_pip"].startswith("ansible-core")
