# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is device_connectivity_probe.ps1 (target) with the action plugin of the same name
# (controller); this file holds its documentation only.

DOCUMENTATION = r"""
---
module: device_connectivity_probe
short_description: Test a Windows device's reach to the Defender for Endpoint service URLs over WinHTTP
description:
  - The device-side probe, which runs on the Windows device itself. For the network side, from a host in front
    of the proxy, use M(purview.device_proxy.network_url_probe). This module was called
    C(purview.device_proxy.connectivity_test); that name still works, with a deprecation warning, until 2.0.0.
  - Replaces Microsoft's client analyzer connectivity check (C(MDEClientAnalyzer.cmd)). For every
    service URL it tests the analyzer's methods with WinHTTP itself, as the sensor does,
    namely C(1) default proxy (the WinHTTP default configuration, in automatic mode on Windows 8.1 and later),
      C(2) proxy auto discovery (WPAD), C(3) proxy disabled, C(4) named proxy (the registry value
      C(TelemetryProxyServer), reported as absent when it is not set) and C(5) command-line proxy
      (O(command_line_proxy)).
  - Probes run concurrently (at most O(max_concurrency) at once), each within O(probe_timeout)
    seconds, and the whole run ends by O(deadline) seconds; probes that could not start by then
    are reported as skipped. A proxy that takes no connection, and WPAD finding nothing, are
    established once (see O(establish_after)), so a broken network costs about one probe timeout.
  - The target only runs the probes and returns raw results (HTTP status, WinHTTP error, elapsed
    time). The controller classifies them, gives a verdict per URL and per channel (command and
    control, cyber data, AutoIR and sample storage, configuration) and renders the analyzer's text,
    one C(Testing URL) block per URL with one line per method (see RV(analyzer_text)).
  - Two verdicts are given. The B(analyzer) verdict passes a URL when any method answers C(200),
    C(400) or C(404), like the analyzer script. The B(strict) verdict passes it only when the method
    this device is configured to use answers C(200) or a code the catalog documents for that URL - the
    named proxy when C(TelemetryProxyServer) is set, otherwise the default proxy.
  - URLs come from the collection's service URL catalog (O(cloud), O(regions), O(model)) or from
    O(urls), or both.
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  urls:
    description:
      - URLs to test, each a URL string or a dictionary shaped like the items of
        C(lookup('purview.device_proxy.service_urls', output='probe')) (keys C(url), C(channel),
        C(expected_status), C(no_pinning), C(required)).
      - URLs must be concrete (no wildcards) and start with C(http://) or C(https://).
    type: list
    elements: raw
  catalog:
    description:
      - Test the analyzer probe URLs of the service URL catalog for O(cloud), O(regions) and O(model).
      - Defaults to V(true) when O(urls) is empty and V(false) otherwise.
    type: bool
  cloud:
    description: The cloud of the tenant (catalog selection).
    type: str
    default: commercial
    choices: [commercial, gcc, gcc-high, dod]
  regions:
    description:
      - The data location(s) of the tenant (catalog selection); worldwide URLs are always included.
      - The default matches what the analyzer tests on a device that is not onboarded.
    type: list
    elements: str
    default: [us, eu, uk]
  model:
    description: Standard or streamlined connectivity (catalog selection).
    type: str
    default: standard
    choices: [standard, streamlined]
  required_only:
    description: Test only URLs the catalog marks as required.
    type: bool
    default: false
  command_line_proxy:
    description:
      - A proxy as C(host:port) to test as method 5, like the analyzer's C(-p) argument.
      - When not given, method 5 is reported as C(Doesn't exist).
    type: str
  methods:
    description: The methods to test; the others are reported as not run.
    type: list
    elements: str
    choices: [default, wpad, disabled, named, command_line]
    default: [default, wpad, disabled, named, command_line]
  max_concurrency:
    description:
      - How many probes run at once (1-256). When not given, every planned probe may run at once, up to 256
        (C(min(256, URLs x methods))), so a broken network costs about one O(probe_timeout), not one per batch;
        see RV(raw.run.max_concurrency) for the value used.
    type: int
  probe_timeout:
    description: Seconds one probe may take (1-300); it is cancelled and reported as timed out after that.
    type: int
    default: 10
  deadline:
    description:
      - Seconds the whole run may take (1-3600); what has not finished by then is reported as timed out or skipped.
      - When not given, O(probe_timeout) x (batches + 1.5), where batches is C(ceil(URLs x methods / max_concurrency)).
        That leaves room for the deciding probes (one timeout), the probes that waited for them (one more) and
        WinHTTP's overhead, so no URL is cut off as not run.
    type: int
  establish_after:
    description:
      - 'How many probes on different URLs must all find the named (or command-line) proxy unreachable
        (no TCP connection, name not resolved, stuck connecting) before that method''s other URLs are
        reported failed for that reason without their own probe, as in
        C(4 - Named proxy (10.0.0.6:8080): Failed (proxy unreachable, established on 2 URLs)).'
      - With it, WPAD discovery also runs once per run and its failure answers method 2 for every URL.
      - V(0) makes every probe, with a discovery per method 2 probe (slower on a broken network, same verdicts).
        Failures that belong to one URL (an HTTP answer, a TLS problem, a direct connection) are never generalised.
    type: int
    default: 2
  fail_policy:
    description:
      - When the task fails. V(never) reports only; V(any) fails when any URL fails; V(required) when a
        URL the catalog marks as required fails.
    type: str
    default: never
    choices: [any, required, never]
  fail_verdict:
    description: Which verdict O(fail_policy) looks at.
    type: str
    default: strict
    choices: [strict, analyzer]
  legacy_text:
    description: Render the older spelling of the analyzer text (C(Testing URL:) and C(5 - Command-line proxy)).
    type: bool
    default: false
  validate_maps:
    description:
      - "Also run Defender Antivirus's own cloud check, C(MpCmdRun.exe -ValidateMapsConnection), on the device
        and report it as RV(maps) and as one line after the URL blocks of RV(analyzer_text), for example
        C(MAPS (MpCmdRun -ValidateMapsConnection): Failed (0x80072F8F))."
      - C(MpCmdRun.exe) is taken from the current Defender platform folder
        (C(%ProgramData%\Microsoft\Windows Defender\Platform\<version>)), else from
        C(%ProgramFiles%\Windows Defender). It runs at the same time as the probes, so it adds no time to a run.
      - When V(false) (the default) C(MpCmdRun.exe) is never started and the text has no MAPS line.
      - A failed check fails the task under O(fail_policy) V(any) or V(required), like a failing URL; a check that
        could not run (Defender Antivirus not installed, blocked by policy) is reported and never fails the task.
    type: bool
    default: false
  maps_timeout:
    description:
      - Seconds C(MpCmdRun.exe -ValidateMapsConnection) may take (1-600); it is stopped after that and reported as
        failed (timed out). It starts with the probes and ends by the run's deadline; a O(deadline) you give cuts
        it; when O(deadline) is not given, the computed deadline grows to at least O(maps_timeout).
    type: int
    default: 60
notes:
  - Run it as SYSTEM, like the sensor, with Ansible's C(become) (C(become_method=runas),
    C(become_user=SYSTEM)). No PsExec is involved, so the attack surface reduction rule
    I(Block process creations originating from PSExec and WMI commands), which stops the analyzer's
    SYSTEM check, does not interfere. The result says which account ran the probes and warns when it
    was not SYSTEM. Then methods 1 and 2 (whose results depend on the account) are reported but never
    count as a pass (RV(identity), RV(urls[].probes)).
  - Method 1 is WinHTTP's default configuration (C(netsh winhttp), C(WINHTTP_ACCESS_TYPE_DEFAULT_PROXY)) as the
    sensor uses it, never the user's Internet Options; every probe reports the proxy it used, or C(direct).
  - Supports C(async) with C(poll) above 0 (a run's deadline can be an hour); the action polls the detached module
    and decides the verdicts. C(poll=0) is refused, because the verdicts are decided when the probes finish.
  - Redirects are reported as they are (not followed) and no credentials are sent to proxies, because
    the sensor connects anonymously; a proxy that demands authentication shows as C(Failed (407)).
  - For URLs the sensor pins (every URL without C(no_pinning)) the server certificate chain must end in a
    Microsoft service root, otherwise the method fails as C(tls_intercepted) naming the issuer, even when the
    device trusts the inspection CA. C(no_pinning) URLs (blob storage) cannot reveal TLS inspection.
  - An answer the proxy produced (a refused C(CONNECT), a block page marked by C(X-Squid-Error),
    C(Proxy-Status) or C(Via)) never counts as success; method 2 fails when WPAD discovery found no proxy,
    even if the request then went direct and was answered.
  - The probes run in a 64-bit PowerShell on 64-bit Windows, like the sensor; the analyzer itself is a
    32-bit program, so its C(Default proxy) line may reflect the WOW64 copy of the WinHTTP settings.
    When the module itself ran in a 32-bit PowerShell on 64-bit Windows (for example a 32-bit
    remoting endpoint), the result warns, since method 1 then read the WOW6432Node copy, not the sensor's.
  - Microsoft documents the output of C(MpCmdRun -ValidateMapsConnection) (a sentence saying it established a
    connection to MAPS, or C(failed to establish a connection to MAPS (hr=... httpcode=...))), not its exit code.
    The module therefore reads a failure and its HRESULT from the output, and counts the check as passed only when
    the exit code is 0 B(and) the output holds the success sentence and no failure.
attributes:
  check_mode:
    support: full
    details: The probes only read, so they run in check mode as well.
  diff_mode:
    support: none
    details: Nothing on the device is changed, so there is no difference to show.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.windows_target
seealso:
  - module: purview.device_proxy.telemetry_proxy
  - module: purview.device_proxy.network_url_probe
  - name: Verify client connectivity to Microsoft Defender for Endpoint service URLs
    description: Microsoft's client analyzer this module replaces.
    link: https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity
  - name: Configure and manage Microsoft Defender Antivirus with the mpcmdrun.exe command-line tool
    description: C(-ValidateMapsConnection), where C(MpCmdRun.exe) lives and its common errors.
    link: https://learn.microsoft.com/en-us/defender-endpoint/command-line-arguments-microsoft-defender-antivirus
  - name: Configure and validate Microsoft Defender Antivirus network connections
    description: Validating the cloud connection, and C(hr=0x80072F8F) without a system-wide WinHTTP proxy.
    link: https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus
"""

EXAMPLES = r"""
- name: Test the US, EU and UK service URLs as SYSTEM
  purview.device_proxy.device_connectivity_probe:
  become: true
  become_method: ansible.builtin.runas
  become_user: SYSTEM
  register: connectivity

- name: Show the analyzer-style text
  ansible.builtin.debug:
    msg: "{{ connectivity.analyzer_text }}"

- name: Test a tenant in the EU with a candidate proxy, failing when a required URL fails
  purview.device_proxy.device_connectivity_probe:
    regions: [eu]
    command_line_proxy: proxy.corp.example:3128
    fail_policy: required
  become: true
  become_method: ansible.builtin.runas
  become_user: SYSTEM

- name: Test two URLs only, quickly
  purview.device_proxy.device_connectivity_probe:
    urls:
      - https://winatp-gw-cus.microsoft.com/commands/test
      - url: https://automatedirstrprdcus.blob.core.windows.net
        channel: autoir-sample-storage
        expected_status: [400]
        no_pinning: true
    probe_timeout: 5
    deadline: 30
  become: true
  become_method: ansible.builtin.runas
  become_user: SYSTEM

- name: Test the required URLs and Defender Antivirus's cloud connection (MAPS), failing on either
  purview.device_proxy.device_connectivity_probe:
    required_only: true
    validate_maps: true
    maps_timeout: 45
    fail_policy: required
  become: true
  become_method: ansible.builtin.runas
  become_user: SYSTEM
  register: connectivity

- name: Show the MAPS result
  ansible.builtin.debug:
    msg: "{{ connectivity.maps.status }} {{ connectivity.maps.hresult | default('', true) }} {{ connectivity.maps.meaning | default('', true) }}"
"""

RETURN = r"""
analyzer_text:
  description: The results in the client analyzer's text layout, one block per URL.
  returned: success
  type: str
  sample: |
    Testing URL : https://winatp-gw-cus.microsoft.com/commands/test
    1 - Default proxy: Succeeded (200)
    2 - Proxy auto discovery (WPAD): Succeeded (200)
    3 - Proxy disabled: Failed (12029)
    4 - Named proxy (10.0.0.6:8080): Succeeded (200)
    5 - Command line proxy: Doesn't exist
configured:
  description: The method this device is configured to use, and why.
  returned: success
  type: dict
  contains:
    method:
      description: C(named) when C(TelemetryProxyServer) is set, else C(default).
      type: str
    proxy:
      description: The proxy that method uses, when a static one is configured.
      type: str
    reason:
      description: Why this method was chosen.
      type: str
    fallbacks:
      description: Methods the sensor may fall back to; their success is reported, not counted.
      type: list
      elements: str
    notes:
      description: What is uncertain about this choice.
      type: list
      elements: str
urls:
  description: One verdict per URL, in the order tested.
  returned: success
  type: list
  elements: dict
  contains:
    url:
      description: The URL.
      type: str
    channel:
      description: C(command-and-control), C(cyber-data), C(autoir-sample-storage), C(configuration) or C(other).
      type: str
    required:
      description: Whether the catalog marks the URL as required.
      type: bool
    expected_status:
      description: Status codes the catalog expects besides 200.
      type: list
      elements: int
    no_pinning:
      description: Whether the analyzer tests this URL without certificate pinning.
      type: bool
    analyzer:
      description: C(pass) when any method answered 200, 400 or 404, else C(fail).
      type: str
    strict:
      description: C(pass) or C(fail) for the configured method, C(untested) when it did not run.
      type: str
    configured_method:
      description: The configured method.
      type: str
    fallback_succeeded:
      description: Fallback methods that succeeded.
      type: list
      elements: str
    diagnosis:
      description: One sentence about the configured method's outcome.
      type: str
    probes:
      description:
        - The methods in order, classified. Each carries C(proxy_used) (the proxy its request went through,
          C(direct), or null), C(identity_dependent) (methods 1 and 2) and C(counted) (false for an
          identity-dependent method not run as SYSTEM; such a success never passes the URL).
      type: list
      elements: dict
identity:
  description: Who ran the probes (C(user), C(sid), C(system), null when not said) and C(withheld_methods), which count only as SYSTEM.
  returned: success
  type: dict
channels:
  description: One verdict per channel with URLs, with the analyzer's event id for the outcome.
  returned: success
  type: list
  elements: dict
summary:
  description: Counts and the host's overall analyzer and strict verdicts, with the failing URLs.
  returned: success
  type: dict
maps:
  description:
    - The result of C(MpCmdRun -ValidateMapsConnection), decided on the controller from RV(raw.maps).
    - It also carries C(exit_code), C(elapsed_ms), C(path) and C(output) as in RV(raw.maps).
  returned: when O(validate_maps) is V(true)
  type: dict
  contains:
    status:
      description: C(passed), C(failed) or C(not_run).
      type: str
    hresult:
      description: The HRESULT of a failure as C(0x...), from the output (or the exit code when the output names none).
      type: str
    meaning:
      description: What Microsoft says the HRESULT means, when it is a known one.
      type: str
    httpcode:
      description: The C(httpcode) the output names, if any.
      type: int
    reason:
      description: C(maps_failed), C(maps_unconfirmed) (exit code 0 without the success sentence), C(timeout), or why it did not run.
      type: str
    detail:
      description: One sentence a person can act on.
      type: str
    line:
      description: The line RV(analyzer_text) ends with.
      type: str
    fails_host:
      description: Whether this result failed the task under O(fail_policy).
      type: bool
  sample:
    status: failed
    hresult: "0x80072F8F"
    line: "MAPS (MpCmdRun -ValidateMapsConnection): Failed (0x80072F8F)"
failed_urls:
  description: The URLs that fail the task under O(fail_policy) and O(fail_verdict).
  returned: success
  type: list
  elements: str
raw:
  description: What the target returned, unchanged.
  returned: success
  type: dict
  contains:
    probes:
      description: One entry per URL and method.
      type: list
      elements: dict
      contains:
        url:
          description: The URL.
          type: str
        method:
          description: C(default), C(wpad), C(disabled), C(named) or C(command_line).
          type: str
        attempted:
          description: Whether the probe ran.
          type: bool
        skip_reason:
          description:
            - Why the probe was not attempted, in the words of the connectivity verdicts (null when it ran).
            - C(not_configured) (the method needs a proxy and none is set or given) or C(deadline) (the run's
              deadline passed before it could start). Before this release the first was spelled C(not-configured).
          type: str
        status_code:
          description: The HTTP status, when an answer was read.
          type: int
        winhttp_error:
          description: The WinHTTP (Win32) error number, when the request failed.
          type: int
        error_stage:
          description: Where it failed (C(url), C(open), C(connect), C(send), C(receive), C(status), C(deadline), C(internal)).
          type: str
        error_message:
          description: The message of an unexpected exception.
          type: str
        autodetect_error:
          description: The WPAD discovery error for method 2, when discovery found nothing.
          type: int
        autodetect_attempt:
          description:
            - Which discovery attempt of method 2 found a proxy configuration, C(service) (the auto-proxy service),
              C(in-process) (retried in the test's own process after 12178), or C(autologon) (retried with automatic
              logon after 12015); null when none did.
          type: str
        server_chain:
          description:
            - The server certificate chain WinHTTP saw for an https URL, leaf first, each with C(thumbprint) (SHA-1,
              lower-case hex), C(subject) and C(issuer); null when no server certificate was seen (plain HTTP, no
              answer, or the proxy's answer to CONNECT). The controller decides whether it ends in a Microsoft root.
          type: list
          elements: dict
        chain_status:
          description: The chain's C(CERT_TRUST_STATUS.dwErrorStatus) (0 when no error; an error never counts as the service's).
          type: int
        chain_source:
          description:
            - C(winhttp) for the chain WinHTTP validated in the handshake (C(WINHTTP_OPTION_SERVER_CERT_CHAIN_CONTEXT)),
              C(built) where Windows does not offer it (built from the machine's caches only, no download).
          type: str
        proxy_used:
          description: The proxy the request was sent through, or C(direct); null when no request was sent.
          type: str
        proxy_bypass:
          description: For method 1, the default configuration's bypass list (the controller applies it).
          type: str
        proxy_headers:
          description: Headers that show a proxy made or relayed the answer (C(via), C(x_squid_error), C(proxy_status)), or null.
          type: dict
        established:
          description:
            - Set when this result was reported without a request of its own, for a failure of the whole method
              established by other probes - C(proxy_unreachable) (the named or command-line proxy took no connection
              on O(establish_after) URLs) or C(wpad_failed) (the run's one WPAD discovery found nothing).
          type: str
        established_on:
          description: On how many probes the shared failure was established (discovery counts as one).
          type: int
        proxy:
          description: The proxy used (named, command line, or discovered).
          type: str
        access:
          description: How WinHTTP was opened (C(default), C(no-proxy), C(named), C(auto-detect)).
          type: str
        elapsed_ms:
          description: Milliseconds the probe took.
          type: int
        timed_out:
          description: Whether the probe hit its time limit or the run's deadline.
          type: bool
    telemetry_proxy_server:
      description: The raw C(TelemetryProxyServer) value, null when not set.
      type: str
    maps:
      description:
        - The raw facts of C(MpCmdRun.exe -ValidateMapsConnection); null when O(validate_maps) is V(false).
      type: dict
      contains:
        ran:
          description: Whether MpCmdRun.exe was started.
          type: bool
        not_run_reason:
          description: C(not-installed) (no MpCmdRun.exe found) or C(start-failed) (it could not be started), when it did not run.
          type: str
        error_message:
          description: The error of a failed start.
          type: str
        path:
          description: The MpCmdRun.exe used.
          type: str
        path_source:
          description: C(install-location) (the Defender C(InstallLocation) value), C(platform) (the newest platform folder) or C(program-files).
          type: str
        exit_code:
          description: The exit code; null when it was stopped.
          type: int
        output:
          description: Standard output and standard error, line by line.
          type: list
          elements: str
        elapsed_ms:
          description: Milliseconds it took.
          type: int
        timed_out:
          description: Whether it was stopped at its time limit.
          type: bool
        timeout_ms:
          description: The time limit used.
          type: int
    winhttp_settings:
      description: The raw C(WinHttpSettings) values (upper-case hex, null when absent).
      type: dict
      contains:
        native:
          description: The 64-bit view.
          type: str
        wow64:
          description: The WOW6432Node view.
          type: str
    winhttp_api:
      description:
        - The default proxy as WinHTTP reports it (C(WinHttpGetDefaultProxyConfiguration)); the configured method is
          decided from it, and from RV(raw.winhttp_settings) only when C(error) is set.
      type: dict
      contains:
        access_type:
          description: C(named_proxy), C(no_proxy), C(default_proxy) or C(unknown:<number>); empty when not read.
          type: str
        proxy:
          description: The proxy list.
          type: str
        bypass:
          description: The bypass list.
          type: str
        error:
          description: Why the API could not be read, or null.
          type: str
    process:
      description: Who ran the probes.
      type: dict
      contains:
        user:
          description: The account name.
          type: str
        sid:
          description: The account SID (C(S-1-5-18) for SYSTEM).
          type: str
        is_system:
          description: Whether the probes ran as SYSTEM.
          type: bool
        is_64bit:
          description: Whether the PowerShell process is 64-bit.
          type: bool
        is_64bit_os:
          description: Whether Windows is 64-bit (a 32-bit process there reads the WOW6432Node copy for method 1, and warns).
          type: bool
        os_version:
          description: The Windows version.
          type: str
    run:
      description: The run's figures.
      type: dict
      contains:
        elapsed_ms:
          description: Milliseconds the whole run took.
          type: int
        probes:
          description: Number of probes planned.
          type: int
        peak_concurrency:
          description: The most probes that ran at once.
          type: int
        probes_made:
          description: Requests actually sent (planned probes less those not configured, established or not run).
          type: int
        wpad_discovery:
          description:
            - The run's one WPAD discovery for method 2 (C(error), C(attempt), C(proxy), C(elapsed_ms), C(timed_out));
              null when method 2 was not run or O(establish_after) is 0.
          type: dict
        abandoned:
          description: Probes that did not return after cancellation.
          type: int
        deadline_reached:
          description: Whether the deadline stopped the run.
          type: bool
        max_concurrency:
          description: The bound used.
          type: int
        probe_timeout_ms:
          description: The per-probe limit used.
          type: int
        deadline_ms:
          description: The deadline used.
          type: int
"""
