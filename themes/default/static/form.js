// Fills the form's signed timestamp: submissions faster than a person can type
// are refused, and forms sent without it face stricter limits.
document.querySelectorAll('input[name="form_token"]').forEach(async (field) => {
  try {
    const response = await fetch('/api/form-token', { credentials: 'same-origin' });
    if (response.ok) field.value = (await response.json()).token;
  } catch (_) {
    // Offline or no API: the form still works without it.
  }
});
