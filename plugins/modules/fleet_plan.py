# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

# The module is an action plugin only (it runs on the controller); this file holds its
# documentation only.

DOCUMENTATION = r"""
---
module: fleet_plan
short_description: Plan the device proxy of every host of the play in one pass on the controller
description:
  - Computes the plan of P(purview.device_proxy.device_proxy_plan#filter) for every host in O(hosts), in one
    task, instead of a chain of tasks per host. Each host's plan inputs are its C(device_proxy_*) variables
    (inventory, host facts, extra vars); a variable the host does not have comes from the play (the role's
    defaults).
  - With O(facts_from=supplied) (plan-only mode) the facts of a host are, first found wins, its
    C(device_proxy_facts) variable, the file C(<device_proxy_facts_dir>/<host>.json) (or C(.yml), C(.yaml)),
    or the fact cache of an earlier M(purview.device_proxy.device_facts) run. Supplied facts are checked
    against the device facts schema (C(docs/reference/device-facts.schema.json)) first. With
    O(facts_from=gathered) they are what M(purview.device_proxy.device_facts) returned in this run.
  - A host that cannot be planned (bad inputs, missing or malformed facts) is listed in RV(errors) with the
    field and the rule; the other hosts are planned.
  - With O(review_dir), the full fleet review is written there (C(plan-review.csv), C(plan-review.json),
    C(plan-review.md)); RV(review) holds the console summary, at most 60 lines whatever the fleet size.
  - Contacts no device. Run it once per play (C(run_once)); check mode writes no file.
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  hosts:
    description: The hosts to plan, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  stage:
    description:
      - V(plan) plans every host; V(inputs) only checks every host's inputs (before any device is contacted)
        and fails when one breaks a rule.
    type: str
    choices: [plan, inputs]
    default: plan
  facts_from:
    description: V(supplied) (plan-only mode, see above) or V(gathered) (this run's device_facts).
    type: str
    choices: [supplied, gathered]
    default: supplied
  return_plans:
    description:
      - Return every host's plan in RV(plans). A fleet of thousands makes a result of tens of megabytes that
        Ansible copies several times; the plan playbook turns it off (the review files hold every host).
    type: bool
    default: true
  review_dir:
    description: The folder on the controller to write the review files into; created when missing. No files when unset.
    type: path
attributes:
  check_mode:
    support: full
    details: Every host is planned and no review file is written; RV(files) lists the files a real run writes.
  diff_mode:
    support: none
    details: No device changes in this task; the plans and the review say what the apply tasks would change.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.controller_only
"""

EXAMPLES = r"""
- name: Plan every host of the play from the facts files
  purview.device_proxy.fleet_plan:
    hosts: "{{ ansible_play_hosts_all }}"
    review_dir: "{{ playbook_dir }}/reports/plan"
  run_once: true
  register: fleet

- name: A host's plan
  ansible.builtin.debug:
    var: fleet.plans[inventory_hostname]
"""

RETURN = r"""
plans:
  description: Per host, its plan (the shape P(purview.device_proxy.device_proxy_plan#filter) returns); empty with O(return_plans=false).
  returned: success
  type: dict
errors:
  description: Per host that could not be planned, the C(field), the C(rule), the C(message) and, for facts, their C(source).
  returned: success
  type: dict
changed_hosts:
  description: The hosts whose plan changes something, in play order.
  returned: success
  type: list
  elements: str
review:
  description: The fleet review for the console (at most 60 lines).
  returned: success
  type: list
  elements: str
files:
  description: The review files written (none in check mode or without O(review_dir)).
  returned: success
  type: list
  elements: str
"""
