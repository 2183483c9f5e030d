// Who is in the zone: the count and the list are kept current every 30 seconds by
// fetching the page again and swapping those two parts, not by reloading the page
// (a timed reload sends screen readers and keyboard focus back to the top).
const REFRESH_MS = 30000;
const PARTS = ['present-count', 'present'];

async function refresh() {
  try {
    const response = await fetch(window.location.href, {credentials: 'same-origin', headers: {Accept: 'text/html'}});
    if (!response.ok) return;
    // DOMParser runs no script: the fetched page is only read.
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const id of PARTS) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (now && next) now.replaceWith(document.importNode(next, true));
    }
  } catch (error) {
    // The hub is out of reach for a moment: the next round tries again.
  }
}

setInterval(refresh, REFRESH_MS);
