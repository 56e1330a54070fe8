"""The runtime state of one emulator, and the one way to change it: edits.

Runtime state is what may change while the server runs without being a task or a ledger entry:
the clock mode and speed, timelines, the webhook schedule and timeout, the rate limit, the fault
rules, the key policy and grants, the scenario in force and the edits made since. `RuntimeState`
holds it (the clock, the rule registry, the rate limiter and the webhooks keep their own parts,
and only it writes them) and changes it only by applying `Edit`s: a control call is one edit, a
scenario is a list of them (`scenario_edits`), and a reset puts the start edits back in force
(the settings', then the start scenario's). So a scenario and a control call cannot drift apart.

May import `core/`, `settings/` and the capability folders it writes (`billing/`, `faults/`,
`webhooks/`); never the emulator, `Control`, Flask or the HTTP layer.
"""
