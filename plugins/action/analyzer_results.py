# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""purview.device_proxy.analyzer_results: read collected analyzer result files on the controller.

The reading is plugin_utils.analyzer_import (and analyzer_files); this plugin validates the
options and shapes the task result. Nothing is written.
"""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.purview.device_proxy.plugins.modules.analyzer_results import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_files
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_import
from ansible_collections.purview.device_proxy.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError


class ActionModule(ControllerAction):
    DOCUMENTATION = DOCUMENTATION

    def run_on_controller(self, params: Dict[str, Any], result: Dict[str, Any], task_vars: Dict[str, Any]) -> Dict[str, Any]:
        try:
            imported = analyzer_import.import_folder(params["path"])
        except analyzer_files.AnalyzerFileError as err:
            raise TaskInputError("path", "folder", str(err)) from err
        if params["require_results"] and not imported["results"]:
            raise TaskInputError("path", "no-results", "%s holds no analyzer result file (%s)" % (
                params["path"], ", ".join(analyzer_files.RESULT_NAMES)))
        errors = [d["error"] for d in imported["devices"] if d["status"] == "error"]
        for error in errors:
            self._display.warning(error)
        read = len(imported["devices"]) - len(errors)
        result.update(changed=False, results=imported["results"], devices=imported["devices"],
                      skipped=imported["skipped"], errors=errors,
                      msg="%d device(s) read, %d with an unreadable file, %d file(s) passed over"
                      % (read, len(errors), len(imported["skipped"])))
        return result
