"""How fast Slack gets its ack: `/lookup` (parse, identity, defer a job) against Bolt's own floor.

floors, in the same run: a signed `url_verification` request (Bolt's minimum: signature check and
dispatch, no listener) and `/switchboard whoami` (a slash command whose listener acks at once from the
cached identity; Bolt waits for ack() in 10 ms polls, so this is the least any command can cost).
measured: a signed `/lookup` until its HTTP answer (the ack); the provider work happens afterwards in the
job. ratio_p50 = p50(lookup ack) / p50(whoami ack): what parsing and deferring the job add to a command.
Slack allows 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.common import booted, emit, summary


async def main(iterations: int) -> dict[str, object]:
    async with booted() as (driver, _emulator, _container):
        await driver.command("/lookup", "+1 415 555 0100", user="U0SUPER")  # warm caches and the identity
        await driver.settle()
        floor: list[float] = []
        bare: list[float] = []
        acks: list[float] = []
        for _ in range(iterations):
            started = time.perf_counter()
            response = await driver.url_verification()
            floor.append(time.perf_counter() - started)
            assert response.status == 200
            started = time.perf_counter()
            response = await driver.command("/switchboard", "whoami", user="U0SUPER")
            bare.append(time.perf_counter() - started)
            assert response.status == 200
            started = time.perf_counter()
            response = await driver.command("/lookup", "+1 415 555 0100 7d", user="U0SUPER")
            acks.append(time.perf_counter() - started)
            assert response.status == 200 and "Looking up" in response.body
            await driver.settle()  # the job's work is not part of the ack
        result: dict[str, object] = {
            "benchmark": "ack_latency",
            "iterations": iterations,
            "floor_url_verification": summary(floor),
            "floor_whoami_ack": summary(bare),
            "lookup_ack": summary(acks),
        }
        ratio = summary(acks)["p50_ms"] / max(summary(bare)["p50_ms"], 1e-6)
        result["ratio_p50"] = round(ratio, 2)
        emit({"detail": result})
        emit(
            {
                "summary": "ack_latency",
                "ratio_p50": round(ratio, 2),
                "lookup_ack_p50_ms": summary(acks)["p50_ms"],
            }
        )
        return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=30)
    asyncio.run(main(parser.parse_args().iterations))
