/* Subscribe this browser to content-free Web Push notices (notifications page). */
(function () {
  "use strict";
  var button = document.getElementById("push-toggle");
  var status = document.getElementById("push-status");
  // Texts come translated from the page (data-* on #push-status), Japanese as the fallback.
  var text = function (name, fallback) { return (status && status.dataset[name]) || fallback; };
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) {
    if (status) status.textContent = text("unsupported", "この端末のブラウザは通知に対応していません。");
    return;
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function key(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
                        body: JSON.stringify(body), credentials: "same-origin" });
  }
  navigator.serviceWorker.register("/sw.js").then(function (reg) {
    return reg.pushManager.getSubscription().then(function (sub) {
      button.hidden = false;
      var on = !!sub;
      function show() { button.textContent = on ? text("labelOff", "この端末への通知をやめる") : text("labelOn", "この端末に通知する"); }
      show();
      button.addEventListener("click", function () {
        if (on) {
          reg.pushManager.getSubscription().then(function (s) {
            if (!s) return;
            return post(button.dataset.unsubscribe, { endpoint: s.endpoint }).then(function () { return s.unsubscribe(); });
          }).then(function () { on = false; show(); status.textContent = text("doneOff", "通知をやめました。"); });
        } else {
          reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(button.dataset.key) })
            .then(function (s) { return post(button.dataset.subscribe, s.toJSON()); })
            .then(function (r) { if (!r.ok) throw new Error(); on = true; show(); status.textContent = text("doneOn", "この端末に通知します。"); })
            .catch(function () { status.textContent = text("failed", "通知を有効にできませんでした。ブラウザの設定で通知を許可してください。"); });
        }
      });
    });
  });
})();
