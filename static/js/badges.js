// Badge sheet and label pages: the print button (no inline script under the CSP).
for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
}
