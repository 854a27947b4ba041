# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allowlist renderers for a selection of service URLs (documentation in the sidecar .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    AllowlistError,
    render_domains,
    render_pac,
    render_squid,
)


def _wrap(name, function):
    def run(entries, *args, **kwargs):
        try:
            return function(entries, *args, **kwargs)
        except AllowlistError as exc:
            raise AnsibleFilterError("purview.device_proxy.%s: %s" % (name, exc)) from exc
    run.__name__ = name
    return run


def allowlist_domains(entries, style="wildcard", collapse=False):
    return render_domains(entries, style=style, collapse_covered=collapse)


def allowlist_pac(entries, proxy=None, route="proxy", otherwise="DIRECT", header=""):
    return render_pac(entries, proxy=proxy, route=route, otherwise=otherwise, header=header)


def allowlist_squid(entries, acl_name="mde_service"):
    return render_squid(entries, acl_name=acl_name)


class FilterModule:

    def filters(self):
        return {
            "allowlist_domains": _wrap("allowlist_domains", allowlist_domains),
            "allowlist_pac": _wrap("allowlist_pac", allowlist_pac),
            "allowlist_squid": _wrap("allowlist_squid", allowlist_squid),
        }
