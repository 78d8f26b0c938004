/* Inside the join widget: report the page's height to the host page, whose origin the
 * server checked against the allowed list, and answer its hello only from that origin. */
(function () {
  var host = document.body.getAttribute('data-host');
  var form = document.querySelector('form');
  if (form) form.addEventListener('submit', function () {
    var b = form.querySelector('button');
    if (b) { b.disabled = true; b.textContent = 'Sending\u2026'; }
  });
  if (!host || window.parent === window) return;
  function send() {
    window.parent.postMessage({ type: 'gatehouse:height', height: document.documentElement.scrollHeight }, host);
  }
  window.addEventListener('message', function (ev) {
    if (ev.origin === host && ev.source === window.parent && ev.data && ev.data.type === 'gatehouse:hello') send();
  });
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
  send();
})();
