# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is winhttp_proxy.ps1 (target) with the action plugin of the same name (controller);
# this file holds its documentation only.

DOCUMENTATION = r"""
---
module: winhttp_proxy
short_description: Set the system-wide WinHTTP default proxy, the way netsh winhttp does
description:
  - Sets the WinHTTP default proxy (what C(netsh winhttp set proxy) sets), resets it to direct access
    (C(netsh winhttp reset proxy)), or imports the manual proxy of the Internet Options of the
    connection user (C(netsh winhttp import proxy source=ie)).
  - The setting is system-wide; every WinHTTP client that uses the default proxy is affected, services
    included. Microsoft recommends it only for devices in a stable topology. Devices that move between
    networks should use M(purview.device_proxy.telemetry_proxy) instead; see O(device_topology).
  - Reads the raw C(WinHttpSettings) value of both registry views (native and C(WOW6432Node)) and
    decodes them on the controller; nothing depends on the localized text of C(netsh). Writes go
    through C(WinHttpSetDefaultProxyConfiguration); the resulting native value is then copied to the
    C(WOW6432Node) view so that 32-bit processes see the same setting. A difference between the two
    views is reported as drift and repaired.
  - Whether a write held is read back through C(WinHttpGetDefaultProxyConfiguration), WinHTTP's own
    view of the setting, not from the undocumented byte layout; native bytes the codec cannot decode
    (for example an unknown version word) are compared through the same API reading, so they neither
    fail a write that held nor force a rewrite on every run. Bytes after the known fields are kept.
  - A C(WinHttpSettings) value of another registry kind than C(REG_BINARY) (C(REG_SZ), C(REG_MULTI_SZ),
    C(REG_NONE)...) is reported as such and replaced; a rollback puts back any kind as it was read. A
    value of a kind .NET cannot write (such as C(REG_LINK)) is refused before anything is written,
    because it could not be restored.
  - Comparisons are semantic (addresses and bypass entries normalised, host names lower-cased), so
    settings written by C(netsh) or a Group Policy in another spelling are not rewritten.
  - An idempotent run or a check-mode run costs one round trip to the host; a run that changes
    something costs two (read, then a write guarded by the bytes that were read). With
    O(current_settings) the read is skipped, see there.
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  state:
    description:
      - V(present) sets the proxy given in O(proxy) or imported with O(source).
      - V(absent) resets the default proxy to direct access.
    type: str
    choices: [present, absent]
    default: present
  proxy:
    description:
      - The proxy server, either one C(host:port) for every scheme or per-scheme proxies as
        C(http=host:port;https=host:port) or as a dictionary with the keys C(http), C(https),
        C(ftp) and C(socks).
      - Required with O(state=present) unless O(source) is given.
    type: raw
  bypass:
    description:
      - Hosts that are reached directly. C(<local>) stands for every name without a dot, C(*) is a
        wildcard (C(*.corp.example), C(10.*)).
      - A list, or a string whose entries are separated by C(;).
      - Only with O(proxy).
    type: list
    elements: str
  source:
    description:
      - V(ie) imports the manual proxy and bypass list of the Internet Options of the user the
        module runs as, like C(netsh winhttp import proxy source=ie). Automatic detection and
        configuration scripts are not imported; without a manual proxy the result is direct access.
      - Mutually exclusive with O(proxy) and O(bypass).
    type: str
    choices: [ie]
  device_topology:
    description:
      - Whether the device stays behind the same proxy (V(stable)) or moves between networks
        (V(roaming)), for example the C(topology) fact of M(purview.device_proxy.device_facts).
      - A static WinHTTP proxy is refused on a V(roaming) device unless O(force=true), because such
        devices lose connectivity off the corporate network; V(unknown) gives a warning.
    type: str
    choices: [stable, roaming, unknown]
    default: unknown
  force:
    description:
      - Set a static proxy even though O(device_topology=roaming).
    type: bool
    default: false
  current_settings:
    description:
      - The C(WinHttpSettings) bytes both registry views hold now, as
        M(purview.device_proxy.device_facts) read them earlier in the same play; with it the task
        does not read the host itself. Pass the facts unchanged, that is the mapping
        C(ansible_facts.purview_device_proxy.winhttp) (see the examples).
      - Keys C(native) and C(wow64), each the bytes as hex text (any case, no separators), C(null)
        when the value does not exist, or the facts' view C({raw, decoded, error}) of which only
        C(raw) is used (the bytes are decoded again here). The optional key C(drift) is the
        facts' drift flag; it is how a 32-bit OS (which has no C(WOW6432Node) view and reports
        its C(wow64) as C(null)) is recognised. Hex that is not valid C(WinHttpSettings) is
        accepted, as a read would accept it, and replaced.
      - When the given bytes already hold the requested setting the task makes no call at all
        and reports no change, trusting the facts; in check mode it never calls the host. When
        something must change, the only call is the write, guarded by the given bytes; if the
        host holds other bytes by then, it refuses the write, and the task reads the host and
        decides again (at most one read and one more write) with a warning.
      - Only bytes read moments earlier in the same play are fit for this, since a change made
        on the host in between goes unnoticed when the decision is "no change". The
        RV(before_source) return value says where the state came from.
      - A view in the facts' form with C(raw) C(null) and an C(error) (device_facts reports a value of another
        registry kind than C(REG_BINARY) that way) holds no bytes to decide on; the task then reads the host
        itself, with a warning, rather than taking the value for a missing one (direct access).
      - Mutually exclusive with O(source), which needs a read of the Internet Options anyway.
      - Malformed input (not hex, a missing or unknown key, a C(drift) that contradicts the
        bytes) fails before the host is contacted, naming the key, for example
        C(current_settings.wow64).
    type: dict
notes:
  - Check mode and diff are supported. The diff shows, for each registry view, the C(netsh) command
    that produces its setting.
  - O(source=ie) reads the Internet Options of the connection user; over WinRM that user's profile
    may hold no proxy even when an interactive user's does. When WinHTTP finds no Internet Options
    settings for that user at all, the task fails without writing anything.
  - When a write fails part-way (for example the WOW6432Node copy cannot be written after the native
    one was), both copies are put back to the values read before (kind and data) and the task fails saying so.
  - Needs 64-bit PowerShell on 64-bit Windows (the default over WinRM and SSH); from a 32-bit process
    WinHTTP would write only the WOW6432Node copy, so the task refuses before writing.
attributes:
  check_mode:
    support: full
    details: Reports what would change and changes nothing.
  diff_mode:
    support: full
    details: For each registry view, the C(netsh) command that produces its setting, before and after.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.windows_target
seealso:
  - module: purview.device_proxy.telemetry_proxy
  - module: purview.device_proxy.device_facts
"""

EXAMPLES = r"""
- name: Gather the topology of the device
  purview.device_proxy.device_facts:

- name: Set the WinHTTP proxy on stable desktops only
  purview.device_proxy.winhttp_proxy:
    proxy: 10.0.0.6:8080
    bypass:
      - <local>
      - "*.corp.example"
    device_topology: "{{ ansible_facts.purview_device_proxy.topology }}"

- name: Per-scheme proxies
  purview.device_proxy.winhttp_proxy:
    proxy:
      http: proxy.corp.example:3128
      https: proxy.corp.example:3129
    device_topology: stable

- name: Import the Internet Options proxy of the connection user
  purview.device_proxy.winhttp_proxy:
    source: ie
    device_topology: stable

- name: Back to direct access
  purview.device_proxy.winhttp_proxy:
    state: absent

- name: Set the proxy in one round trip, from the facts gathered at the start of the play
  purview.device_proxy.winhttp_proxy:
    proxy: 10.0.0.6:8080
    device_topology: "{{ ansible_facts.purview_device_proxy.topology }}"
    current_settings: "{{ ansible_facts.purview_device_proxy.winhttp }}"
"""

RETURN = r"""
before:
  description: The setting of each registry view before the task.
  returned: success
  type: dict
  contains:
    native:
      description: The native (64-bit) view, C(HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections).
      type: dict
      contains:
        raw:
          description: The C(WinHttpSettings) value as upper-case hex, C(null) when it does not exist.
          type: str
          sample: 1800000000000000010000000000000000000000
        uses_proxy:
          description: Whether WinHTTP uses a named proxy (false means direct access).
          type: bool
          sample: false
        proxy:
          description: The proxy server string as stored.
          type: str
          sample: ""
        bypass:
          description: The bypass list as stored.
          type: str
          sample: ""
        error:
          description: Why the value could not be decoded, C(null) when it could.
          type: str
          sample: null
    wow64:
      description: The C(WOW6432Node) view, same keys as RV(before.native); C(null) on a 32-bit OS.
      type: dict
after:
  description:
    - The setting of each registry view after the task, same keys as RV(before).
    - In check mode, the setting the task would have made (with C(raw) null for views it would change).
  returned: success
  type: dict
drift:
  description: Whether the two registry views held different settings before the task.
  returned: success
  type: bool
  sample: false
netsh:
  description: The C(netsh) command that produces the requested setting.
  returned: success
  type: str
  sample: netsh winhttp set proxy proxy-server="10.0.0.6:8080" bypass-list="<local>"
before_source:
  description:
    - Where RV(before) came from; V(host) when the task read the host, V(current_settings) when it
      was taken from O(current_settings).
  returned: success
  type: str
  sample: current_settings
codec_check:
  description:
    - The collection's reading of the C(WinHttpSettings) bytes checked against WinHTTP's own
      (C(WinHttpGetDefaultProxyConfiguration), read in the same round trip) for the registry view the
      API reads (C(view), V(native), or V(wow64) when the host process is 32-bit).
    - C(agrees) is V(false) when they differ; then WinHTTP's reading is trusted, the task decides from it
      (a write is never decided from a misread) and a warning says so. C(agrees) is C(null) when the bytes
      could not be decoded at all (WinHTTP's reading is used then too).
    - C(null) when there was no API reading to compare with (the API call failed, or O(current_settings)
      was given and nothing had to change, so the host was not called). With O(current_settings) and a
      write, the check uses the write's own reading from before it changed anything, and is reported only.
  returned: success
  type: dict
  sample: {view: native, agrees: false, codec: direct access, api: "proxy 10.0.0.6:8080 bypass <local>"}
raw:
  description:
    - The target's reply; C(*_before) from the first round trip, C(*_after) from the last.
    - C(null) when the task made no call (O(current_settings) given and nothing to change, or
      check mode with O(current_settings)).
  returned: success
  type: dict
  contains:
    is_64bit_os:
      description: Whether the OS is 64-bit (only then does the C(WOW6432Node) view exist).
      type: bool
      sample: true
    native_before:
      description:
        - The native C(WinHttpSettings) value as upper-case hex, C(null) when absent.
        - A value of another registry kind than C(REG_BINARY) as C({kind, data}) instead; it is reported as such,
          never decoded as hex.
      type: raw
      sample: 1800000000000000010000000000000000000000
    wow64_before:
      description: The C(WOW6432Node) value, in the same form as C(native_before).
      type: raw
      sample: 1800000000000000010000000000000000000000
    native_after:
      description: The native value after the task, in the same form.
      type: raw
      sample: 28000000000000000300000004000000613A3432040000002A2E3432
    wow64_after:
      description: The C(WOW6432Node) value after the task, in the same form.
      type: raw
      sample: 28000000000000000300000004000000613A3432040000002A2E3432
    guard_before:
      description:
        - The changed-since-read tokens of C(native) and C(wow64) (the hex of a binary value, C("") when absent,
          the kind and data of any other kind); the write is refused when the host no longer holds them.
      type: dict
      sample: {native: 1800000000000000010000000000000000000000, wow64: 1800000000000000010000000000000000000000}
    api_view:
      description: The registry view WinHTTP's API reads and writes from the module's process (C(native), or C(wow64)
        from a 32-bit process on 64-bit Windows).
      type: str
      sample: native
    api_before:
      description:
        - The WinHTTP default proxy as C(WinHttpGetDefaultProxyConfiguration) reports it before the task,
          C({access_type, proxy, bypass, error}); C(access_type) is C(no_proxy), C(default_proxy), C(named_proxy)
          or C(unknown:N); C(error) says why the API could not be read.
        - Used in place of the native bytes when the codec cannot decode them (for example a new version word).
      type: dict
      sample: {access_type: no_proxy, proxy: "", bypass: "", error: null}
    api_after:
      description:
        - The same reading right after a write, C(null) when nothing was written. Whether the write held is decided
          from it; the bytes are used only when the API could not be read.
      type: dict
      sample: {access_type: named_proxy, proxy: "10.0.0.6:8080", bypass: "<local>", error: null}
    ie_proxy:
      description: The Internet Options proxy of the connection user; only with O(source=ie), else C(null).
      type: dict
      contains:
        found:
          description:
            - Whether WinHTTP found Internet Options settings for the user at all.
            - C(false) when the account has none (for example a profile that never had any); the task then
              fails without writing, since there is nothing to import.
          type: bool
        auto_detect:
          description: Automatic detection is on.
          type: bool
        auto_config_url:
          description: The configuration script address.
          type: str
        proxy:
          description: The manual proxy.
          type: str
        proxy_bypass:
          description: The manual bypass list.
          type: str
"""
