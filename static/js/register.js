// Self-registration: show the guardian step for under-16s, make the right
// consents required, and fetch a new nickname suggestion. The server checks
// everything again; this only saves a round trip.
import { api, setText } from './common.js';

const form = document.getElementById('register-form');
const guardianStep = document.getElementById('guardian-step');
const guardianBox = document.getElementById('consent_guardian');
const childBox = document.getElementById('consent_child');
const minorBands = new Set((form.dataset.minorBands || '').split(' ').filter(Boolean));

function chosenBand() {
  const checked = form.querySelector('input[name="age_band"]:checked');
  return checked ? checked.value : '';
}

function update() {
  const band = chosenBand();
  const minor = minorBands.has(band);
  guardianStep.hidden = band !== '' && !minor;
  guardianBox.required = minor;
  childBox.required = band !== '' && band !== 'u7';
}

for (const radio of form.querySelectorAll('input[name="age_band"]')) {
  radio.addEventListener('change', update);
}
update();

document.getElementById('new-nickname').addEventListener('click', async () => {
  try {
    const {status, body} = await api('GET', form.dataset.suggestUrl);
    if (status === 200 && body && body.nickname) {
      const input = document.getElementById('nickname');
      input.value = body.nickname;
      input.dispatchEvent(new Event('input', {bubbles: true}));
    }
  } catch (err) {
    setText(document.getElementById('new-nickname'), '…');
  }
});
