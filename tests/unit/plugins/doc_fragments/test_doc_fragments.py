# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's doc fragments: each shared by two plugins or more, and never where it would drop options.

The Windows modules' action plugins and the service_urls lookup read their options from their own
DOCUMENTATION string (plugin_utils/windows_module.argument_spec_from_documentation, the lookup's unknown
option check), which has no fragments merged: an option moved into a fragment there would be refused at
run time. So option fragments are for the filters, whose documentation is only documentation; the
modules share attribute fragments (platform), which no argument spec reads.
"""

from __future__ import annotations

import glob
import importlib.util
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FRAGMENTS = sorted(glob.glob(os.path.join(ROOT, "plugins", "doc_fragments", "*.py")))

_spec = importlib.util.spec_from_file_location("plugin_docs_for_tests", os.path.join(ROOT, "tools", "gates", "plugin_docs.py"))
plugin_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plugin_docs)


def _documented_plugins():
    paths = glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) + glob.glob(os.path.join(ROOT, "plugins", "lookup", "*.py"))
    paths += glob.glob(os.path.join(ROOT, "plugins", "filter", "*.yml"))
    return sorted(paths)


def _own_doc(path):
    if path.endswith(".yml"):
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle).get("DOCUMENTATION") or {}
    return yaml.safe_load(plugin_docs.python_string(path, "DOCUMENTATION")) or {}


def _users(name):
    reference = "purview.device_proxy." + name
    return [p for p in _documented_plugins() if reference in (_own_doc(p).get("extends_documentation_fragment") or [])]


@pytest.mark.parametrize("path", FRAGMENTS, ids=os.path.basename)
def test_each_fragment_is_yaml_with_options_and_shared(path):
    name = os.path.basename(path)[:-3]
    doc = plugin_docs.fragment_doc(ROOT, "purview.device_proxy." + name)
    # ansible-core's add_fragments refuses a fragment with neither options nor attributes.
    assert doc.get("options") or doc.get("attributes"), "%s documents no options and no attributes" % name
    users = _users(name)
    assert len(users) >= 2, "doc fragment %s is used by %s: a fragment is for what two plugins or more share" % (
        name, users)


@pytest.mark.parametrize("path", [p for p in _documented_plugins() if not p.endswith(".yml")], ids=os.path.basename)
def test_no_module_or_lookup_takes_options_from_a_collection_fragment(path):
    references = [r for r in _own_doc(path).get("extends_documentation_fragment") or []
                  if r.startswith("purview.device_proxy.")]
    with_options = [r for r in references if plugin_docs.fragment_doc(ROOT, r).get("options")]
    assert not with_options, "%s extends %s: its options would be missing where the plugin reads its own DOCUMENTATION" % (
        os.path.relpath(path, ROOT), with_options)


def test_a_fragment_option_reaches_the_merged_documentation():
    doc = plugin_docs.plugin_doc(os.path.join(ROOT, "plugins", "filter", "allowlist_pac.yml"), ROOT)
    assert doc["options"]["_input"] == {"description": "Allowlist items, catalog entries, probe dicts or URL strings.",
                                        "type": "list", "elements": "raw", "required": True}
    # The plugin's own keys win, as in ansible-core's merge.
    table = plugin_docs.plugin_doc(os.path.join(ROOT, "plugins", "filter", "allowlist_table.yml"), ROOT)
    assert table["options"]["_input"]["description"].startswith("Catalog entries (recommended)")
    assert table["options"]["_input"]["required"] is True
