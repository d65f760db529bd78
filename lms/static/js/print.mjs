// Progressive enhancement: shows the Print button on the printable record and prints when pressed.
// Without JavaScript the button stays hidden and the browser's own Print command works as ever.
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
