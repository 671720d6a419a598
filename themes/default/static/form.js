// Fills the forms' signed timestamp, one request for every form of the page:
// submissions faster than a person can type are refused, and forms sent
// without it face stricter limits.
const fields = document.querySelectorAll('input[name="form_token"]');
if (fields.length) {
  fetch('/api/form-token', { credentials: 'same-origin' })
    .then((response) => (response.ok ? response.json() : null))
    .then((answer) => {
      if (answer) fields.forEach((field) => { field.value = answer.token; });
    })
    .catch(() => {
      // Offline or no API: the forms still work without it.
    });
}
