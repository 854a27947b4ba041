# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PAC files: loading one and asking it which proxy a URL takes.

A PAC file is a program from the network (with ``auto``, from whoever answers WPAD on the local
network). Downloading and evaluating it happen in a child process of the same interpreter,
which is killed at a hard time limit: pypac's JavaScript engine holds the GIL, so a script that
loops would otherwise stall every probe thread and the run deadline with them. The download has
a size cap (:data:`MAX_PAC_BYTES`), is made directly (never through a proxy) and verifies TLS
against the same CA file or folder as the probes.

``requests`` and ``pypac`` (with its JavaScript engine) are needed only here, and only in the
child process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import PAC, Hop, MissingLibraryError, ProbeConfigError, ProbeTarget
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_routes import redact_url
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError, ProxyEndpoint, parse_endpoint

# A PAC file larger than this is refused (real ones are a few KiB).
MAX_PAC_BYTES = 1024 * 1024
# Hard limit for one child (download and evaluation) when the caller gives none.
DEFAULT_PAC_LIMIT = 10.0


def parse_pac_result(text: Any, field_name: str = 'pac') -> List[Optional[ProxyEndpoint]]:
    """``"PROXY a:3128; DIRECT"`` -> [endpoint, None]; None means DIRECT. SOCKS is not supported."""
    if not isinstance(text, str) or not text.strip():
        return [None]
    choices = []  # type: List[Optional[ProxyEndpoint]]
    for part in text.split(";"):
        words = part.split()
        if not words:
            continue
        kind = words[0].upper()
        if kind == "DIRECT":
            choices.append(None)
        elif kind in ("PROXY", "HTTP") and len(words) == 2:
            try:
                choices.append(parse_endpoint(words[1], field=field_name))
            except ProxyAddressError as exc:
                raise ProbeConfigError(field_name, exc.rule, "the PAC file returned '%s': %s" % (part.strip(), exc.message))
        else:
            raise ProbeConfigError(field_name, "pac-directive", "the PAC file returned '%s'; only PROXY host:port and DIRECT are supported" % part.strip())
    return choices or [None]


# The child: reads a job (JSON) on stdin, writes {"script", "answers"} or {"error"} on stdout.
# Self-contained on purpose: it must run from any interpreter that has requests and pypac,
# whatever the way this collection was shipped (an AnsiballZ payload included).
_CHILD = r"""
import json, sys

def fail(kind, rule, message):
    json.dump({"error": {"kind": kind, "rule": rule, "message": message}}, sys.stdout)
    sys.exit(0)

def fetch(session, url, job):
    import requests
    try:
        response = session.get(url, timeout=job["timeout"], verify=job["verify"], stream=True, allow_redirects=False)
    except requests.RequestException as exc:
        return None, "cannot download the PAC file %s: %s" % (job["shown"], type(exc).__name__)
    try:
        if response.status_code != 200:
            return None, "downloading the PAC file %s answered %d" % (job["shown"], response.status_code)
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > job["cap"]:
            fail("config", "pac-size", "the PAC file %s is larger than %d bytes" % (job["shown"], job["cap"]))
        data = b""
        for chunk in response.iter_content(8192):
            data += chunk
            if len(data) > job["cap"]:
                fail("config", "pac-size", "the PAC file %s is larger than %d bytes" % (job["shown"], job["cap"]))
        return data.decode(response.encoding or "utf-8", "replace"), None
    except requests.RequestException as exc:
        return None, "cannot download the PAC file %s: %s" % (job["shown"], type(exc).__name__)
    finally:
        response.close()

def main():
    job = json.load(sys.stdin)
    script = job.get("script")
    if script is None:
        try:
            import requests
        except ImportError as exc:
            fail("library", "", "downloading a PAC file needs the Python library 'requests' on the probing host: %s" % exc)
        urls = [job["url"]]
        if job["url"] == "auto":
            try:
                from pypac.api import collect_pac_urls
            except ImportError as exc:
                fail("library", "", "WPAD discovery needs the Python library 'pypac' on the probing host: %s" % exc)
            urls = collect_pac_urls(from_os_settings=True, from_dns=True)
            if not urls:
                fail("config", "wpad-not-found", "no PAC file was found by WPAD discovery (DNS wpad.<domain>)")
        session = requests.Session()
        session.trust_env = False  # the PAC file itself is fetched directly
        problem = None
        for url in urls:
            script, problem = fetch(session, url, job)
            if script is not None:
                break
        session.close()
        if script is None:
            fail("config", "wpad-not-found" if job["url"] == "auto" else "reachable", problem)
    try:
        from pypac.parser import PACFile
    except ImportError as exc:
        fail("library", "", "PAC evaluation needs the Python libraries 'pypac' and 'dukpy' on the probing host "
             "(pip install pypac); import failed: %s" % exc)
    try:
        pac = PACFile(script)
    except Exception as exc:
        fail("config", "pac-script", "the PAC file from %s does not evaluate: %s" % (job["shown"], exc))
    answers = {}
    for key, url, host in job["targets"]:
        try:
            answers[key] = pac.find_proxy_for_url(url, host)
        except Exception as exc:
            answers[key] = {"error": "the PAC file from %s failed for %s: %s" % (job["shown"], host, exc)}
    json.dump({"script": script, "answers": answers}, sys.stdout)

main()
"""


def url_for_script(target: ProbeTarget) -> str:
    """The URL FindProxyForURL is given: ``https://host[:port]/`` for https, the whole URL for http.

    Browsers strip the path and query of https URLs before calling the script (Chromium since
    Chrome 52, without a way back since 75: net/docs/proxy.md; Firefox unless
    network.proxy.autoconfig_url.include_path is set), so a script never sees a SAS token or a
    path there, and a rule that matches on one would route devices differently from this probe.
    """
    if target.scheme == "https":
        return "https://%s/" % target.host_header
    return target.url


def _script_questions(targets: Sequence[ProbeTarget]) -> List[List[str]]:
    """[answer key, URL for the script, host] per target."""
    return [[target.url, url_for_script(target), target.host] for target in targets]


def _run_child(job: Dict[str, Any], limit: float, field_name: str) -> Dict[str, Any]:
    """Run the PAC child with a hard time limit; its errors become ProbeConfigError / MissingLibraryError."""
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(job), capture_output=True, text=True,
                              timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        # subprocess.run kills the child before raising.
        raise ProbeConfigError(field_name, "pac-time-limit", "loading and evaluating the PAC file from %s took longer "
                               "than %gs (the probe timeout, cut to the run deadline); it was stopped" % (job["shown"], limit))
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ProbeConfigError(field_name, "pac-script", "evaluating the PAC file from %s failed (exit status %d)"
                               % (job["shown"], done.returncode))
    error = answer.get("error")
    if error:
        if error["kind"] == "library":
            raise MissingLibraryError(error["message"])
        raise ProbeConfigError(field_name, error["rule"], error["message"])
    return answer


class PacResolver:
    """A PAC script and its answers, computed in a child process with a hard time limit.

    ``answers`` maps a URL to what ``FindProxyForURL`` returned. Without them, the script is
    evaluated once up front so that a broken script fails before any probe; a target without an
    answer is evaluated on first use (normally all are evaluated together, see :func:`load_pac`).
    """

    def __init__(self, script: str, origin: str, limit: float = DEFAULT_PAC_LIMIT, field_name: str = "pac_url",
                 answers: Optional[Dict[str, Any]] = None) -> None:
        self.script = script
        self.origin = origin
        self.limit = limit
        self.field = field_name
        self._answers = dict(answers or {})  # type: Dict[str, Any]
        self._lock = threading.Lock()
        if answers is None:
            self.prepare(())  # a broken script fails here, before any probe

    def prepare(self, targets: Sequence[ProbeTarget]) -> None:
        """Evaluate the script for every target not evaluated yet, in one child process."""
        missing = [target for target in targets if target.url not in self._answers]
        job = {"script": self.script, "shown": self.origin, "targets": _script_questions(missing)}
        self._answers.update(_run_child(job, self.limit, self.field)["answers"])

    def hop_for(self, target: ProbeTarget) -> Hop:
        with self._lock:
            if target.url not in self._answers:
                self.prepare([target])
            value = self._answers[target.url]
        if isinstance(value, dict):
            raise ProbeConfigError(self.field, "pac-script", value.get("error", "the PAC file failed"))
        choices = parse_pac_result(value)
        first = choices[0]
        note = "PAC returned %s" % ("DIRECT" if first is None else "PROXY " + first.host_port())
        return Hop(PAC, first, None, note)


def load_pac(pac_url: Optional[str] = None, pac_file: Optional[str] = None, timeout: float = DEFAULT_PAC_LIMIT,
             ca_file: Optional[str] = None, ca_dir: Optional[str] = None,
             targets: Sequence[ProbeTarget] = ()) -> PacResolver:
    """Read or fetch (directly, without a proxy) a PAC script and evaluate it for ``targets``.

    ``timeout`` is the hard limit for the whole of it (download and evaluation); the caller cuts
    it to the run deadline. The download verifies TLS against ``ca_file`` or ``ca_dir`` when given.
    """
    pairs = _script_questions(targets)
    if pac_file:
        try:
            with open(pac_file, "rb") as handle:
                data = handle.read(MAX_PAC_BYTES + 1)
        except (IOError, OSError) as exc:
            raise ProbeConfigError("pac_file", "readable", "cannot read %s: %s" % (pac_file, exc.strerror or exc))
        if len(data) > MAX_PAC_BYTES:
            raise ProbeConfigError("pac_file", "pac-size", "%s is larger than %d bytes" % (pac_file, MAX_PAC_BYTES))
        script = data.decode("utf-8", "replace")
        answer = _run_child({"script": script, "shown": pac_file, "targets": pairs}, timeout, "pac_file")
        return PacResolver(script, pac_file, timeout, "pac_file", answer["answers"])
    shown = "WPAD" if pac_url == "auto" else redact_url(pac_url or "")
    job = {"script": None, "url": pac_url, "shown": shown, "timeout": timeout, "cap": MAX_PAC_BYTES,
           "verify": ca_file or ca_dir or True, "targets": pairs}
    answer = _run_child(job, timeout, "pac_url")
    return PacResolver(answer["script"], shown, timeout, "pac_url", answer["answers"])
