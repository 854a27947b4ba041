# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A file under plugins/ that grows past 600 lines has taken on a second job (docs/architecture.md):
split it by job. Generated data (the service URL catalog) is not written by hand and is exempt."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LIMIT = 600
GENERATED = {os.path.join("plugins", "plugin_utils", "service_url_catalog.json")}


def test_no_plugin_file_is_over_the_limit():
    too_long = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, ROOT)
            if relative in GENERATED or "__pycache__" in relative:
                continue
            with open(path, "rb") as handle:
                count = handle.read().count(b"\n")
            if count > LIMIT:
                too_long.append("%s: %d lines" % (relative, count))
    assert too_long == []


def test_the_exemption_names_a_file_that_exists():
    assert all(os.path.exists(os.path.join(ROOT, path)) for path in GENERATED)
