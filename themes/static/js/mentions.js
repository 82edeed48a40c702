/* @-mention completion for the post composer. No framework; works without it too
   (typing "@姓名" by hand is enough). Names come from a JSON script element. */
(function () {
  "use strict";
  var data = document.getElementById("mention-choices");
  var list = document.getElementById("mention-list");
  var box = document.querySelector(".composer textarea[name=body]");
  if (!data || !list || !box) return;
  var people = JSON.parse(data.textContent);
  var active = -1;
  var matches = [];

  function query() {
    var before = box.value.slice(0, box.selectionStart);
    var m = before.match(/@([^\s@]*)$/);
    return m ? m[1] : null;
  }
  function close() { list.hidden = true; list.innerHTML = ""; active = -1; box.removeAttribute("aria-activedescendant"); }
  function render() {
    list.innerHTML = "";
    matches.forEach(function (p, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.textContent = p.name;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = matches.length === 0;
    if (active >= 0) box.setAttribute("aria-activedescendant", "mention-" + active);
  }
  function choose(i) {
    var p = matches[i];
    var start = box.selectionStart;
    var before = box.value.slice(0, start).replace(/@([^\s@]*)$/, "@" + p.handle + " ");
    box.value = before + box.value.slice(start);
    box.selectionStart = box.selectionEnd = before.length;
    close();
    box.focus();
  }
  box.setAttribute("aria-controls", "mention-list");
  box.addEventListener("input", function () {
    var q = query();
    if (q === null) { close(); return; }
    matches = people.filter(function (p) {
      return p.handle.indexOf(q) === 0 || p.kana.indexOf(q) === 0 || p.name.indexOf(q) === 0;
    }).slice(0, 8);
    active = matches.length ? 0 : -1;
    render();
  });
  box.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { active = (active + 1) % matches.length; render(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = (active - 1 + matches.length) % matches.length; render(); e.preventDefault(); }
    else if (e.key === "Enter" && active >= 0) { choose(active); e.preventDefault(); }
    else if (e.key === "Escape") { close(); }
  });
  box.addEventListener("blur", function () { setTimeout(close, 150); });
})();
