/* みまもりSNS service worker: shows content-free push notices and opens the notices page. */
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "みまもりSNS", {
    body: data.body || "新しいお知らせがあります",
    data: { url: data.url || "/timeline/notifications/" },
    lang: "ja"
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
