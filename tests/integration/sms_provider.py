"""The SMS provider the real-process tests send through: the file backend (one file per idempotency
key, every call logged, `accepted` answered from the files) with a real provider's latency, half
before it accepts a message and half before its answer comes back, so that a worker killed or
cut off mid-send leaves a message the provider accepted but the database never heard of."""

import os
import time

from sessions.channels import FileSmsBackend


class SlowFileSmsBackend(FileSmsBackend):
    def send(self, message):
        latency = float(os.environ.get("SMS_TEST_LATENCY_SECONDS", "0.1"))
        time.sleep(latency / 2)
        provider_id = super().send(message)
        time.sleep(latency / 2)
        return provider_id
