# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allowlist renderers for a selection of service URLs (documentation in the sidecar .yml files)."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    AllowlistError,
    render_domains,
    render_pac,
    render_squid,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist_selection import selection_title
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.proxy_team_table import render_table


def _wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(entries: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(entries, *args, **kwargs)
        except (AllowlistError, CatalogError) as exc:
            raise AnsibleFilterError("purview.device_proxy.%s: %s" % (name, exc)) from exc
    run.__name__ = name
    return run


def allowlist_domains(entries: Any, style: str = "wildcard", collapse: bool = False) -> List[str]:
    return render_domains(entries, style=style, collapse_covered=collapse)


def allowlist_pac(entries: Any, proxy: Optional[str] = None, route: str = "proxy", otherwise: str = "DIRECT",
                  header: str = "", direct_only: str = "direct") -> str:
    return render_pac(entries, proxy=proxy, route=route, otherwise=otherwise, header=header, direct_only=direct_only)


def allowlist_squid(entries: Any, acl_name: str = "mde_service") -> str:
    return render_squid(entries, acl_name=acl_name)


def allowlist_table(entries: Any, output: str = "csv", direct_only: str = "direct") -> Any:
    return render_table(entries, output=output, direct_only=direct_only)


def allowlist_title(tenants: Any, model: str = "standard", os: str = "windows", required_only: bool = False) -> str:
    return selection_title(tenants, model=model, os=os, required_only=required_only)


class FilterModule:

    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {
            "allowlist_domains": _wrap("allowlist_domains", allowlist_domains),
            "allowlist_pac": _wrap("allowlist_pac", allowlist_pac),
            "allowlist_squid": _wrap("allowlist_squid", allowlist_squid),
            "allowlist_table": _wrap("allowlist_table", allowlist_table),
            "allowlist_title": _wrap("allowlist_title", allowlist_title),
        }
