"""Speech engines for tests, named "tests.practice.engines:<Class>" (an operator's engine is
named the same way), so that a `SpeechPool`'s worker process imports them.

`Gated` waits, inside the worker process, until the test lets it go: the folder named by
GREENROOM_TEST_GATE gets a file `started` when it begins and is released by a file `release`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from greenroom.speech.engines import Transcript, Word

RELEASE_WAIT = 300.0  # seconds: a test that never releases the gate fails rather than hangs


class Gated:
    name = "gated"

    def transcribe(self, pcm: bytes) -> Transcript:
        gate = Path(os.environ["GREENROOM_TEST_GATE"])
        (gate / "started").touch()
        deadline = time.monotonic() + RELEASE_WAIT
        while not (gate / "release").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never released the gate")
            time.sleep(0.01)
        return Transcript(engine=self.name, words=(Word("released", 0.5, 1.0),))
