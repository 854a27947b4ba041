#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: network_url_probe
short_description: Probe service URLs directly and through proxies, and judge the proxy requirements
version_added: 0.1.0
description:
  - The network-side probe, which runs on a Linux or macOS host in front of the proxy. For the device side, from
    each Windows device through WinHTTP, use M(purview.device_proxy.device_connectivity_probe). This module was
    called C(purview.device_proxy.service_url_probe); that name still works, with a deprecation warning, until
    2.0.0.
  - Sends one HTTP request to every URL over every configured route - directly, through a named proxy,
    through the proxy the environment names (C(https_proxy), C(http_proxy), C(all_proxy), C(no_proxy)) and through
    the proxy a PAC file chooses - concurrently, with a bound, a per-probe timeout and a run deadline.
  - Classifies every probe as C(reachable) (with the HTTP status), C(blocked) by the proxy (403 and the like),
    C(proxy_auth_required) (407, anonymous traffic not permitted), C(tls_intercepted) (the certificate does not
    chain to the trust store in use, or its issuer is not one of O(expected_issuers); the issuer is reported),
    C(tls_error), C(dns_failure), C(proxy_dns_failure) (the proxy's own name did not resolve; the URL's name was
    never looked up), C(connection_refused), C(network_unreachable), C(timeout), C(proxy_error), C(proxy_redirect)
    (the proxy answered a redirect of its own, to a sign-in portal or a block page), C(not_run) (the run deadline
    came first) or C(error).
  - Judges the three proxy requirements of the Defender for Endpoint documentation from the proxied probes -
    the service domains are allowed, their TLS is not inspected, anonymous traffic is permitted - and renders the
    results in the text layout of Microsoft's MDE Client Analyzer.
  - An answer through a proxy is the proxy's own, never the service's, when it carries C(X-Squid-Error) or a
    C(Proxy-Status) error or is a 407 - over plain HTTP and inside TLS alike (a TLS-inspecting proxy whose CA the
    probing host trusts delivers its denials inside the verified TLS). A 403 through a proxy without those headers
    (the block page of a proxy that is not Squid) is C(blocked) unless the URL's C(expected_status) includes 403 or
    it came over TLS with a certificate from one of O(expected_issuers).
  - The same holds for the other answers proxies make without marking them - a redirect (3xx, C(proxy_redirect),
    unless the URL's C(expected_status) includes that code), 401 (C(proxy_auth_required)), 451 (C(blocked)) and
    5xx (C(proxy_error)) - and for any answer with a C(Proxy-Authenticate) challenge. None of them is
    C(reachable), and none makes C(allowed) or C(anonymous) met; a redirect or an authentication demand for an
    anonymous request makes C(anonymous) not met.
  - A malformed proxy header (an errno that is not ASCII digits, a broken C(Proxy-Status)) fails only its own
    probe; every other probe still reports.
  - TLS verification is never switched off. When verification fails, one more connection reads the presented
    certificate to name its issuer and whether the interceptor answers by itself (a TLS-inspecting proxy delivers
    its denials inside TLS, which is then reported as C(blocked) with the issuer). That request carries no
    credentials and its answer never counts as success.
  - Runs on any Linux or macOS host with Python 3.8 or later (use C(delegate_to) to probe from a particular host).
    Only PAC support needs extra Python libraries (C(requests), C(pypac) and its JavaScript engine C(dukpy)).
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  urls:
    description:
      - The URLs to probe. Each item is a URL string or a mapping with the key C(url) and optionally C(channel),
        C(expected_status) (list of codes), C(no_pinning) (skip the O(expected_issuers) check) and C(method)
        (C(GET) or C(HEAD)), which is what the lookup P(purview.device_proxy.service_urls#lookup) returns with
        C(output=probe). Other keys are ignored.
      - Only C(http) and C(https) URLs with a concrete host name (no wildcard) are accepted. A URL with control
        characters (tab, CR, LF, NUL, escape and the like) or with user information is refused before any probe.
      - International host names are sent in their ASCII (punycode) form and paths are percent-encoded (UTF-8);
        the URL is reported as given.
    type: list
    elements: raw
    required: true
  routes:
    description:
      - Routes to probe. A route that is not configured is skipped and listed in RV(skipped_routes) -
        C(named) needs O(proxy), C(environment) needs a proxy variable in the module's environment and
        C(pac) needs O(pac_url) or O(pac_file). C(direct) always runs.
    type: list
    elements: str
    choices: [direct, named, environment, pac]
    default: [direct, named, environment, pac]
  proxy:
    description:
      - The named proxy as C(host:port) or C(http://host:port). Credentials do not belong here; use
        O(proxy_username) and O(proxy_password). A value with C(user:password@) is refused, and its
        user information is masked in everything the module returns.
    type: str
  proxy_username:
    description:
      - User name for Basic authentication at the named proxy. With credentials, the C(anonymous) requirement
        can only be judged from the other routes.
    type: str
  proxy_password:
    description:
      - Password for O(proxy_username). Never returned.
    type: str
  pac_url:
    description:
      - URL of a PAC file, fetched directly (without a proxy), or C(auto) for WPAD discovery through DNS.
      - The download and the evaluation of the script run in a child process that is stopped after O(timeout)
        seconds (cut to O(deadline)), and the file may be at most 1 MiB; a script that loops or a server that
        drips its answer fails the task with an error naming this option instead of stalling the run.
      - HTTPS downloads are verified against O(ca_path) (file or folder) when given, else the system trust store.
      - User information, and the values of query parameters that carry credentials or signatures (C(sig),
        C(token), C(access_token), C(code), C(password), C(client_secret), C(X-Amz-Signature) and the like), are
        masked in everything the module returns. Other query values are shown as they are.
      - As browsers do, the script's C(FindProxyForURL) is given C(https://host[:port]/) for an https URL (no path,
        no query) and the whole URL for an http URL.
    type: str
  pac_file:
    description:
      - Path of a PAC file on the probing host (at most 1 MiB), evaluated in a child process under the same time limit
        as O(pac_url).
    type: path
  ca_path:
    description:
      - A CA bundle file or a directory of hashed CA certificates to verify servers against, instead of the
        system trust store. Intercepted TLS is what does not chain to this trust store.
      - It is loaded before any probe; a file without usable CA certificates or a folder that cannot be read fails the
        task with an error naming this option.
    type: path
  expected_issuers:
    description:
      - Who may issue the certificate of a URL without C(no_pinning). A certificate from anyone else is reported as
        C(tls_intercepted) even when it chains to the trust store, which is what a TLS-inspecting proxy looks like
        when the probing host trusts its CA (common on corporate Linux hosts).
      - Each item is either an organisation (O) or common name (CN) that the issuer of the service's certificate
        must carry as its whole value (case-insensitive; C(Microsoft) does not match C(Microsoft Corporation), and
        C(Microsoft Corporation) does not match C(Microsoft Corporation Inspection)), or the SHA-1 fingerprint of a
        CA certificate (40 hex digits, colons allowed) that must be in the verified chain.
      - Fingerprints are checked only where Python gives the verified chain (Python 3.13 and later); there they
        decide over the names, so an inspection CA that calls itself C(Microsoft Corporation) is still caught. Below
        3.13 only the issuer of the leaf certificate is known, so only names are checked, and an inspection CA that
        copies an expected name is not detected.
      - When not set, the issuers Microsoft's service certificates use - the organisations C(Microsoft Corporation)
        and C(DigiCert Inc) and the fingerprints of the roots Microsoft documents for its services (see
        U(https://learn.microsoft.com/en-us/azure/security/fundamentals/azure-ca-details)).
      - An empty list checks no issuer; then a verified certificate proves nothing about inspection and the
        C(not_inspected) requirement is C(unknown), never C(met).
    type: list
    elements: str
  timeout:
    description:
      - Seconds one probe may take in all (name resolution, connect, TLS, the answer's status line).
      - A finite number greater than 0 and at most 300; C(nan) and C(inf) are refused with an error naming the option.
    type: float
    default: 10
  deadline:
    description:
      - Seconds the whole run may take. Probes not started by then are reported as C(not_run), and probes in
        flight get only what is left.
      - A finite number greater than 0 and at most 3600.
    type: float
    default: 120
  concurrency:
    description:
      - How many probes run at once at most, from 1 to 256.
    type: int
    default: 32
  require:
    description:
      - Fail the task when one of these is not met after the run. C(reachable) means every URL was reachable by
        at least one route; the others are the requirements in RV(summary) and must be C(met).
    type: list
    elements: str
    choices: [reachable, allowed, not_inspected, anonymous]
    default: []
notes:
  - Only Basic authentication is offered to a proxy.
  - The module only reads; it runs the probes in check mode too.
attributes:
  check_mode:
    support: full
    details: The probes only read, so they run in check mode as well.
  diff_mode:
    support: none
    details: Nothing is changed, so there is nothing to show.
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
seealso:
  - module: purview.device_proxy.device_connectivity_probe
  - module: purview.device_proxy.squid_allowlist
  - name: Verify client connectivity to Microsoft Defender for Endpoint service URLs
    description: The analyzer whose text layout RV(report) follows.
    link: https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity
"""

EXAMPLES = r"""
- name: Probe the service URLs for a US tenant directly and through the proxy
  purview.device_proxy.network_url_probe:
    urls: "{{ lookup('purview.device_proxy.service_urls', cloud='commercial', regions=['us'], output='probe') }}"
    proxy: proxy.corp.example:3128
  register: probe

- name: Show the analyzer-style report
  ansible.builtin.debug:
    msg: "{{ probe.report }}"

- name: Prove the proxy is ready, from a host on the device network
  purview.device_proxy.network_url_probe:
    urls:
      - https://winatp-gw-cus.microsoft.com/test
      - url: https://ussus1eastprod.blob.core.windows.net
        expected_status: [400]
        no_pinning: true
    routes: [named]
    proxy: http://10.0.0.6:8080
    require: [allowed, not_inspected, anonymous]
  delegate_to: jumphost.corp.example

- name: Probe through the proxy a PAC file chooses
  purview.device_proxy.network_url_probe:
    urls: [https://winatp-gw-eus.microsoft.com/test]
    routes: [pac]
    pac_url: http://wpad.corp.example/wpad.dat

- name: Prove TLS is not inspected, pinning the chain to one root by fingerprint (checked on Python 3.13+)
  purview.device_proxy.network_url_probe:
    urls: [https://winatp-gw-cus.microsoft.com/test]
    routes: [named]
    proxy: proxy.corp.example:3128
    expected_issuers:
      - Microsoft Corporation
      - DF:3C:24:F9:BF:D6:66:76:1B:26:80:73:FE:06:D1:CC:8D:4F:82:A4
    require: [not_inspected]
"""

RETURN = r"""
results:
  description: One entry per probe, grouped by route in the order direct, named, environment, pac.
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL probed.
      type: str
      sample: https://winatp-gw-cus.microsoft.com/test
    channel:
      description: The channel the catalog gives for the URL, or an empty string.
      type: str
      sample: command-and-control
    route:
      description: C(direct), C(named), C(environment) or C(pac).
      type: str
      sample: named
    proxy:
      description: The proxy used as C(host:port), or null for a direct connection. Never carries credentials.
      type: str
      sample: 10.0.0.6:8080
    proxy_authenticated:
      description: Whether credentials were offered to the proxy.
      type: bool
      sample: false
    category:
      description: The classification of the probe.
      type: str
      sample: reachable
    reachable:
      description: Whether the service answered.
      type: bool
      sample: true
    status:
      description: The HTTP status the service answered, or null.
      type: int
      sample: 200
    proxy_status:
      description: The status the proxy answered instead of the service (for example 403 or 407), or null.
      type: int
      sample: 407
    status_expected:
      description: Whether RV(results[].status) is one of the URL's expected codes; null when none are given.
      type: bool
      sample: true
    issuer:
      description: Issuer of the certificate presented for an https URL (also when verification failed), or null.
      type: str
      sample: C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03
    issuer_expected:
      description:
        - For a verified HTTPS answer of a URL without C(no_pinning), whether its certificate came from one of
          O(expected_issuers); null when nothing was checked (no expectations, plain HTTP, a failed probe).
      type: bool
      sample: true
    failed_at:
      description:
        - Where a probe that was not reachable failed - C(proxy) (reaching the proxy, or the proxy's own answer,
          including a proxy that could not reach the service) or C(service); null when reachable.
      type: str
      sample: proxy
    detail:
      description: A short explanation of the category.
      type: str
      sample: HTTP 200
    elapsed:
      description: Seconds the probe took.
      type: float
      sample: 0.213
summary:
  description:
    - The three proxy requirements judged from the probes that went through a proxy, each with C(status)
      (C(met), C(not_met) or C(unknown)), C(reason) and the C(urls) that failed it.
    - A proxy that answers that it could not forward a request (Squid C(ERR_CANNOT_FORWARD), C(ERR_DNS_FAIL), a
      connect or read timeout, or the same as an RFC 9209 C(Proxy-Status) error) let that request through its access
      rules, so it counts towards C(allowed) and, without credentials, C(anonymous), though nothing was reachable.
  returned: always
  type: dict
  contains:
    allowed:
      description: The proxy lets the service URLs through.
      type: dict
    not_inspected:
      description: The proxy does not intercept the service's TLS.
      type: dict
    anonymous:
      description: The proxy lets anonymous traffic through (no 407).
      type: dict
  sample:
    allowed: {status: met, reason: the proxy let every answered probe through, urls: []}
    not_inspected: {status: met, reason: every HTTPS answer came with a certificate from an expected issuer, urls: []}
    anonymous:
      status: not_met
      reason: the proxy demanded authentication (407) for 1 URL(s)
      urls: [http://crl.microsoft.com/pki/crl/products/MicRooCerAut2011_2011_03_22.crl]
counts:
  description: Number of probes per route and category.
  returned: always
  type: dict
  sample: {direct: {dns_failure: 12}, named: {reachable: 11, blocked: 1}}
reachable_urls:
  description: How many distinct URLs were reachable by at least one route.
  returned: always
  type: int
  sample: 11
url_count:
  description: How many distinct URLs were probed.
  returned: always
  type: int
  sample: 12
verdict:
  description: One paragraph saying what was reachable and, when nothing was, why.
  returned: always
  type: str
  sample: "Nothing was reachable from this host: 12 URL(s) over 12 probe(s) failed, mostly because the name did not resolve."
report:
  description: The results in the MDE Client Analyzer text layout, one block per URL.
  returned: always
  type: str
  sample: |
    Testing URL : https://winatp-gw-cus.microsoft.com/test
    1 - Default proxy: Doesn't exist
    2 - Proxy auto discovery (WPAD): Doesn't exist
    3 - Proxy disabled: Failed (dns_failure)
    4 - Named proxy (10.0.0.6:8080): Succeeded (200)
    5 - Command line proxy: Doesn't exist
table:
  description: A plain-text verdict table, one row per URL and one column per route that ran.
  returned: always
  type: str
  sample: |
    URL                                       direct       named proxy 10.0.0.6:8080
    ----------------------------------------  -----------  -------------------------
    https://winatp-gw-cus.microsoft.com/test  dns_failure  OK 200
skipped_routes:
  description: Routes that were asked for but not configured, with the reason.
  returned: always
  type: dict
  sample:
    environment: no https_proxy, http_proxy or all_proxy variable is set
    pac: neither pac_url nor pac_file is given
"""

import os
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as engine
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError, parse_endpoint
from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust

# Issuer organisations of the service certificates and the roots they chain to (data with sources
# in microsoft_tls_trust); the fingerprints are checked where Python gives the verified chain.
DEFAULT_EXPECTED_ISSUERS = tuple(microsoft_tls_trust.MICROSOFT_SERVICE_ISSUER_ORGANISATIONS) + tuple(
    sorted(microsoft_tls_trust.root_thumbprints()))


def argument_spec() -> Dict[str, Dict[str, Any]]:
    return dict(
        urls=dict(type="list", elements="raw", required=True),
        routes=dict(type="list", elements="str", choices=list(engine.ROUTES), default=list(engine.ROUTES)),
        proxy=dict(type="str"),
        proxy_username=dict(type="str"),
        proxy_password=dict(type="str", no_log=True),
        pac_url=dict(type="str"),
        pac_file=dict(type="path"),
        ca_path=dict(type="path"),
        expected_issuers=dict(type="list", elements="str"),
        timeout=dict(type="float", default=10.0),
        deadline=dict(type="float", default=120.0),
        concurrency=dict(type="int", default=32),
        require=dict(type="list", elements="str", choices=["reachable", "allowed", "not_inspected", "anonymous"], default=[]),
    )


def tls_policy(params: Mapping[str, Any]) -> engine.TlsPolicy:
    ca_path = params["ca_path"]
    if ca_path and not os.path.exists(ca_path):
        raise engine.ProbeConfigError("ca_path", "exists", "%s does not exist" % ca_path)
    is_dir = bool(ca_path) and os.path.isdir(ca_path)
    if ca_path:
        # Load it now: an unreadable or unusable trust store fails the task before any probe.
        engine.check_trust_store(None if is_dir else ca_path, ca_path if is_dir else None)
    return engine.TlsPolicy(
        ca_file=ca_path if ca_path and not is_dir else None,
        ca_dir=ca_path if is_dir else None,
        expected_issuers=expected_issuers(params["expected_issuers"]),
    )


def expected_issuers(value: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """The option as given; unset means the issuers Microsoft's service certificates use."""
    if value is None:
        return DEFAULT_EXPECTED_ISSUERS
    return tuple(item.strip() for item in value if item and item.strip())


def named_hop(params: Mapping[str, Any]) -> Optional[engine.Hop]:
    if not params["proxy"]:
        return None
    try:
        endpoint = parse_endpoint(params["proxy"], field="proxy", allow_scheme=True)
    except ProxyAddressError as exc:
        raise engine.ProbeConfigError(exc.field, exc.rule, exc.message)
    credentials = None
    if params["proxy_username"]:
        credentials = engine.Credentials(params["proxy_username"], params["proxy_password"] or "")
    return engine.Hop(engine.NAMED, endpoint, credentials)


def check_settings(params: Mapping[str, Any]) -> None:
    engine.check_settings(params["timeout"], params["deadline"], params["concurrency"])
    if params["proxy_password"] and not params["proxy_username"]:
        raise engine.ProbeConfigError("proxy_password", "needs-username", "proxy_password needs proxy_username")


def plan(params: Mapping[str, Any], environ: Mapping[str, str]
         ) -> Tuple[List[engine.ProbeTarget], engine.TlsPolicy, List[engine.Job], Dict[str, str]]:
    """Validate everything and build the jobs before any probe leaves the host."""
    check_settings(params)
    targets = engine.make_targets(params["urls"], "urls")
    policy = tls_policy(params)
    routes = list(dict.fromkeys(params["routes"]))
    skipped: Dict[str, str] = {}
    named = named_hop(params)
    if engine.NAMED in routes and named is None:
        skipped[engine.NAMED] = "no proxy is given"
    if engine.ENVIRONMENT in routes:
        if engine.environment_configured(environ):
            engine.validate_environment(environ)
        else:
            skipped[engine.ENVIRONMENT] = "no https_proxy, http_proxy or all_proxy variable is set"
    pac = None
    if engine.PAC in routes:
        if params["pac_url"] or params["pac_file"]:
            # One hard limit for download and evaluation: the probe timeout, cut to the run deadline.
            pac = engine.load_pac(params["pac_url"], params["pac_file"], timeout=min(params["timeout"], params["deadline"]),
                                  ca_file=policy.ca_file, ca_dir=policy.ca_dir, targets=targets)
        else:
            skipped[engine.PAC] = "neither pac_url nor pac_file is given"
    jobs = engine.plan_jobs(targets, routes, named=named, environ=environ, pac=pac)
    return targets, policy, jobs, skipped


def secrets(params: Mapping[str, Any], environ: Mapping[str, str]) -> List[str]:
    """Everything secret a URL option or proxy variable carries (userinfo, query tokens), for no_log_values."""
    values = [params["proxy"], params["pac_url"]]
    values.extend(item.get("url") if isinstance(item, dict) else item for item in params["urls"] or [])
    values.extend(environ.get(name) for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"))
    found: List[str] = []
    for value in values:
        found.extend(engine.url_secrets(value))
    return found


def unmet(required: Sequence[str], summary: Mapping[str, Mapping[str, Any]], reachable_urls: int,
          url_count: int) -> List[str]:
    problems: List[str] = []
    for name in required:
        if name == "reachable":
            if reachable_urls < url_count:
                problems.append("reachable: only %d of %d URL(s) were reachable" % (reachable_urls, url_count))
        elif summary[name]["status"] != engine.MET:
            problems.append("%s: %s (%s)" % (name, summary[name]["status"], summary[name]["reason"]))
    return problems


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("pac_url", "pac_file")],
        supports_check_mode=True,
    )
    params = module.params
    # Credentials written into the proxy option would otherwise be echoed in invocation.module_args
    # and in messages; the option itself refuses them, but the value must not be shown either.
    module.no_log_values.update(secrets(params, os.environ))
    started = time.monotonic()
    try:
        targets, policy, jobs, skipped = plan(params, os.environ)
        # The run deadline covers the PAC file too: the probes get what is left of it.
        left = max(params["deadline"] - (time.monotonic() - started), 0.001)
        results = engine.run_jobs(jobs, policy=policy, timeout=params["timeout"], deadline=left,
                                  concurrency=params["concurrency"], probe=engine.perform_probe)
    except engine.ProbeConfigError as exc:
        module.fail_json(msg=str(exc), field=exc.field, rule=exc.rule)
    except engine.MissingLibraryError as exc:
        module.fail_json(msg=str(exc))

    summary = engine.summarise(results)
    reachable_urls = len(set(r.target.url for r in results if r.reachable))
    outcome = dict(
        changed=False,
        results=[r.as_dict() for r in results],
        summary=summary,
        counts=engine.count_by_route(results),
        reachable_urls=reachable_urls,
        url_count=len(targets),
        verdict=engine.verdict(results),
        report=engine.render_analyzer_text(results),
        table=engine.render_table(results),
        skipped_routes=skipped,
    )
    problems = unmet(params["require"], summary, reachable_urls, len(targets))
    if problems:
        module.fail_json(msg="Requirements not met: " + "; ".join(problems), **outcome)
    module.exit_json(**outcome)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
