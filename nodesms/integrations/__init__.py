"""Integrations with other systems: each in its own module, imported only when used.

- :mod:`nodesms.integrations.taskiq` (extra ``nodesms[taskiq]``): a campaign spread over
  taskiq workers on Redis, exactly once.
"""
