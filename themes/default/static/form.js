// Fills the forms' signed timestamp, one request for the forms of the page in
// view: submissions faster than a person can type are refused, and forms sent
// without it face stricter limits. A form folded in a closed <details> (an
// alert, a report) asks for its own when it is opened: a page view costs the
// functions nothing.
function fill(fields) {
  if (!fields.length) return;
  fetch('/api/form-token', { credentials: 'same-origin' })
    .then((response) => (response.ok ? response.json() : null))
    .then((answer) => {
      if (answer) fields.forEach((field) => { field.value = answer.token; });
    })
    .catch(() => {
      // Offline or no API: the forms still work without it.
    });
}
const fields = [...document.querySelectorAll('input[name="form_token"]')];
fill(fields.filter((field) => !field.closest('details:not([open])')));
for (const field of fields.filter((f) => f.closest('details:not([open])'))) {
  field.closest('details').addEventListener('toggle', () => fill([field]), { once: true });
}

// Right after confirming, the poster lands on `#publiee`: once, the page says it
// worked and shows no contact form addressed to themselves. The mark leaves the
// address at once, so that a link the poster shares opens the usual page.
if (window.location.hash === '#publiee') {
  const notice = document.getElementById('publiee');
  if (notice) {
    notice.hidden = false;
    document.querySelectorAll('.contact, .contact-link').forEach((block) => { block.hidden = true; });
  }
  history.replaceState(null, '', window.location.pathname + window.location.search);
}
