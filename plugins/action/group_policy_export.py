# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""purview.device_proxy.group_policy_export: write the plan as Group Policy files on the controller.

Everything is built (plugin_utils.group_policy_export) before anything is written, so bad input
writes nothing; a file is written only when its bytes differ, so a second run changes nothing.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.modules.group_policy_export import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files
from ansible_collections.purview.device_proxy.plugins.plugin_utils.group_policy_export import export_group_policy
from ansible_collections.purview.device_proxy.plugins.plugin_utils.group_policy_readme import README


def planned_files(export: Mapping[str, Any]) -> Dict[str, bytes]:
    """{relative path: bytes} of every file of the export."""
    files = {README: export["index"]}
    for item in export["classes"]:
        for name, data in item["files"].items():
            files["%s/%s" % (item["name"], name)] = data
    return files


def _unchanged(path: str, data: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def write_files(dest: str, files: Mapping[str, bytes], check_mode: bool) -> List[str]:
    changed = [name for name in sorted(files) if not _unchanged(os.path.join(dest, name), files[name])]
    if check_mode:
        return changed
    for name in changed:
        path = os.path.join(dest, name)
        report_files.make_folder(os.path.dirname(path))
        report_files.write_atomically(path, files[name])
    return changed


def _summary(item: Mapping[str, Any]) -> Dict[str, Any]:
    return {"name": item["name"], "topology": item["topology"], "hosts": item["hosts"],
            "values": [dict(value) for value in item["values"]], "winhttp": item["winhttp"]["delivery"],
            "winhttp_reason": item["winhttp"]["reason"], "wmi_query": item["wmi_filter"]["query"],
            "misclassified": item["misclassified"]}


class ActionModule(ControllerAction):
    DOCUMENTATION = DOCUMENTATION

    def run_on_controller(self, params: Dict[str, Any], result: Dict[str, Any], task_vars: Dict[str, Any]) -> Dict[str, Any]:
        if not str(params["dest"]).strip():
            raise InputError("dest", "required", "must name a folder")
        export = export_group_policy(params["devices"])
        files = planned_files(export)
        try:
            changed = write_files(params["dest"], files, bool(self._task.check_mode))
        except OSError as err:
            result.update(failed=True, msg="dest: cannot write the Group Policy files: %s" % err)
            return result
        verb = "to write" if self._task.check_mode else "written"
        result.update(changed=bool(changed), dest=params["dest"], changed_files=changed,
                      classes=[_summary(item) for item in export["classes"]],
                      msg="%d device classes, %d files %s" % (len(export["classes"]), len(changed), verb))
        if self._task.diff and changed:
            result["diff"] = {"before": "", "after": "".join("%s: %d bytes\n" % (name, len(files[name])) for name in changed)}
        return result
