"""A whole national year in minutes: generated contracts, a scripted actor, the real flows.

- ``generator``: contract files for the 101 Départements (and the examples), deterministic
  from a seed and valid per ``cdppe.domain.rules.check_contract``;
- ``actor``: what people answer, on which simulated day (some late, one avenant each);
- ``runner``: the simulated clock, the daily sweep and the phase flows on a real Prefect API.
"""
