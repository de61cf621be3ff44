"""Prefect flows over the copydesk library. Importing this package sets quiet defaults for
Prefect and Great Expectations on a machine with no network (each can be overridden)."""

import logging
import os

for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # telemetry fails loudly without network
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",  # 20 s is too short when cold
    "PREFECT_LOGGING_EXTRA_LOGGERS": "copydesk",  # library logs appear in flow runs
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",  # library calls outside a flow
    "GX_ANALYTICS_ENABLED": "false",
}.items():
    os.environ.setdefault(_name, _value)

# The library only names its loggers; the application says how much it wants to hear: INFO,
# such as the near-duplicate counts and the validation summary, reaches the run's logs.
logging.getLogger("copydesk").setLevel(logging.INFO)
