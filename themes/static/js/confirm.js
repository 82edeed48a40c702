// Asks before a form is sent when it carries data-confirm="question" (instead of inline
// onsubmit handlers, which the Content-Security-Policy does not allow).
// data-confirm-field / data-confirm-skip: ask only when that field has a value other than the skip value.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (!message) return;
  var field = form.getAttribute("data-confirm-field");
  if (field) {
    var input = form.elements[field];
    var value = input ? input.value : "";
    if (!value || value === form.getAttribute("data-confirm-skip")) return;
  }
  if (!window.confirm(message)) event.preventDefault();
});
