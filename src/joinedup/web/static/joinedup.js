// Starts GOV.UK Frontend's components (error summary focus, password reveal, navigation
// toggle...). A module script, so browsers too old for GOV.UK Frontend skip it.
import { initAll } from "./vendor/govuk-frontend.min.js";

initAll();

// After HTMX swaps in new content, start the components inside it too.
document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.detail.elt });
});

// The upload form's progress bar: bytes sent while the file uploads, then a note while
// the server checks and loads the rows (HTMX reports the upload's progress events).
document.body.addEventListener("htmx:xhr:progress", (event) => {
  const form = event.target.closest ? event.target.closest("[data-upload-form]") : null;
  if (!form || !event.detail.lengthComputable) return;
  const bar = document.getElementById("upload-progress");
  const text = document.getElementById("upload-progress-text");
  const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
  bar.value = percent;
  bar.textContent = `${percent}%`;
  text.textContent =
    percent < 100 ? `Uploading: ${percent}%` : "Uploaded. Checking and loading the rows…";
});
