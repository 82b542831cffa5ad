"""Pages in headless Chromium, for tests: a screenshot at a window size, and a page's layout
measured at a width (its height, its right edge, and how large each image is shown).

Chromium is a system package (``.ci/run`` installs it); the tests that need it skip without it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
DESKTOP, PHONE = (1280, 900), (375, 812)

# Run in the measured copy once the page has loaded: the height as the page opens (folded
# sections folded), then, with every section unfolded, the right edge of every element and
# the shown and natural width of every image.
MEASURE = """<script>
const data = document.body.dataset;
data.height = document.documentElement.scrollHeight;
document.querySelectorAll('details').forEach(d => { d.open = true; });
data.rightEdge = Math.ceil(Math.max(...Array.from(document.body.querySelectorAll('*')).map(
  e => e.getBoundingClientRect().right)));
data.images = JSON.stringify(Array.from(document.images).map(
  i => [i.getBoundingClientRect().width, i.naturalWidth]));
</script>"""


def chromium() -> str:
    """The Chromium binary; the test is skipped where there is none."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.skip("chromium not installed: apt-get install chromium (done by .ci/run)")
    return found


def run(arguments: list[str], size: tuple[int, int], profile: Path) -> subprocess.Popen:
    """Chromium started headless with its own profile at a window size."""
    return subprocess.Popen(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
         *arguments], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=profile.parent)


def finish(processes: list[subprocess.Popen], timeout: float = 60) -> list[bytes]:
    """Each process's output, once all have ended (they run side by side)."""
    try:
        outputs = [process.communicate(timeout=timeout)[0] for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [process.returncode for process in processes] == [0] * len(processes)
    return outputs


def screenshot(url: str, size: tuple[int, int], target: Path) -> subprocess.Popen:
    """Start a screenshot of ``url`` at a window size into ``target`` (see ``finish``)."""
    return run([f"--screenshot={target}", url], size, target.with_suffix(".profile"))


@dataclass(frozen=True)
class Layout:
    height: int  # of the whole page as it opens, in CSS pixels
    right_edge: int  # of the rightmost element with every section unfolded
    images: list[tuple[float, int]]  # each image's shown width and its natural width


def measuring_copy(page: str, width: int) -> str:
    """The page laid out ``width`` pixels wide, with the script that measures it.

    Headless Chromium keeps a window at least 500 pixels wide for --dump-dom (a screenshot is
    emulated at the asked width), so the copy fixes the root's width instead; a window of 500
    pixels still takes a phone's images. Only this test copy runs a script: the report's own
    policy forbids them.
    """
    page = page.replace('<meta http-equiv="Content-Security-Policy"', '<meta name="x-csp"')
    style = f"<style>html {{ width: {width}px; }}</style>"
    return page.replace("</head>", f"{style}</head>").replace("</body>", f"{MEASURE}</body>")


def measure(page: str, width: int, folder: Path) -> subprocess.Popen:
    """Start measuring a page's layout at ``width`` (see ``finish`` and ``layout_of``)."""
    copy = folder / f"measured-{width}.html"
    copy.write_text(measuring_copy(page, width), encoding="utf-8")
    return run(["--dump-dom", copy.as_uri()], (width, 900), folder / f"profile-{width}")


def layout_of(dumped: bytes) -> Layout:
    """The measurements in a dumped page's body."""
    body = re.search(r"<body[^>]*>", dumped.decode("utf-8")).group(0)
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body))
    images = json.loads(attributes["images"].replace("&quot;", '"'))
    return Layout(int(attributes["height"]), int(attributes["right-edge"]),
                  [(float(shown), int(natural)) for shown, natural in images])
