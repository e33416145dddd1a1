// Starts GOV.UK Frontend's components (error summary focus, password reveal, navigation
// toggle...). A module script, so browsers too old for GOV.UK Frontend skip it.
import { initAll } from "./vendor/govuk-frontend.min.js";

initAll();

// After HTMX swaps in new content, start the components inside it too.
document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.detail.elt });
});
